// Counts the tokens node-llama-cpp evaluates, at LlamaContextSequence.controlledEvaluate (every
// evaluation of our adapter goes through it): the model tests' measure of work saved.
import assert from "node:assert/strict";
import type { LlamaContextSequence } from "node-llama-cpp" with { "resolution-mode": "import" };

export interface EvaluatedTokens {
  /** Tokens evaluated since the counter was installed or last reset. */
  readonly count: number;
  /** Of them, those whose next-token distribution was read (each a product with the output matrix). */
  readonly outputs: number;
  reset(): void;
  /** Puts node-llama-cpp's own method back. */
  restore(): void;
}

/** Wraps controlledEvaluate on the prototype, so every sequence of every context is counted. */
export async function countEvaluatedTokens(): Promise<EvaluatedTokens> {
  const { LlamaContextSequence } = await import("node-llama-cpp");
  const prototype = LlamaContextSequence.prototype;
  const descriptor = Object.getOwnPropertyDescriptor(prototype, "controlledEvaluate");
  const controlledEvaluate: unknown = descriptor?.value;
  assert.ok(descriptor && typeof controlledEvaluate === "function");
  let count = 0;
  let outputs = 0;
  Object.defineProperty(prototype, "controlledEvaluate", {
    ...descriptor,
    value: function (this: LlamaContextSequence, ...args: Parameters<LlamaContextSequence["controlledEvaluate"]>) {
      count += args[0].length;
      outputs += args[0].filter((item) => Array.isArray(item) && item[1].generateNext !== undefined).length;
      return Reflect.apply(controlledEvaluate, this, args) as unknown;
    },
  });
  return {
    get count() {
      return count;
    },
    get outputs() {
      return outputs;
    },
    reset() {
      count = 0;
      outputs = 0;
    },
    restore() {
      Object.defineProperty(prototype, "controlledEvaluate", descriptor);
    },
  };
}

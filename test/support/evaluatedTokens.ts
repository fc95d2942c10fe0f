// Counts the tokens node-llama-cpp evaluates for our adapter, at LlamaContextSequence's internal
// _decodeTokens, which every evaluation goes through (controlledEvaluate, its generators, and
// BatchSampling's reads at once): the model tests' measure of work saved.
import assert from "node:assert/strict";
import type { LlamaContextSequence } from "node-llama-cpp" with { "resolution-mode": "import" };

export interface EvaluatedTokens {
  /** Tokens evaluated since the counter was installed or last reset. */
  readonly count: number;
  /** Of them, those whose next-token distribution was read (each a product with the output matrix). */
  readonly outputs: number;
  /** Outputs read through controlledEvaluate (the rest were read at once, see BatchSampling, or by a generator). */
  readonly controlledOutputs: number;
  /** controlledEvaluate's calls, each of which builds a native sampler, outputs or not. */
  readonly controlledCalls: number;
  reset(): void;
  /** Puts node-llama-cpp's own methods back. */
  restore(): void;
}

/** Wraps the methods on the prototype, so every sequence of every context is counted. */
export async function countEvaluatedTokens(): Promise<EvaluatedTokens> {
  const { LlamaContextSequence } = await import("node-llama-cpp");
  const prototype = LlamaContextSequence.prototype;
  const controlledDescriptor = Object.getOwnPropertyDescriptor(prototype, "controlledEvaluate");
  const decodeDescriptor = Object.getOwnPropertyDescriptor(prototype, "_decodeTokens");
  const controlledEvaluate: unknown = controlledDescriptor?.value;
  const decodeTokens: unknown = decodeDescriptor?.value;
  assert.ok(controlledDescriptor && typeof controlledEvaluate === "function");
  assert.ok(decodeDescriptor && typeof decodeTokens === "function", "node-llama-cpp 3.22.1's LlamaContextSequence._decodeTokens");
  let count = 0;
  let outputs = 0;
  let controlledOutputs = 0;
  let controlledCalls = 0;
  Object.defineProperty(prototype, "controlledEvaluate", {
    ...controlledDescriptor,
    value: function (this: LlamaContextSequence, ...args: Parameters<LlamaContextSequence["controlledEvaluate"]>) {
      controlledCalls++;
      controlledOutputs += args[0].filter((item) => Array.isArray(item) && item[1].generateNext !== undefined).length;
      return Reflect.apply(controlledEvaluate, this, args) as unknown;
    },
  });
  Object.defineProperty(prototype, "_decodeTokens", {
    ...decodeDescriptor,
    // (tokens, logits, ...): the tokens to evaluate, and whether each one's output is read.
    value: function (this: LlamaContextSequence, ...args: [readonly unknown[], readonly boolean[], ...unknown[]]) {
      count += args[0].length;
      outputs += args[1].filter(Boolean).length;
      return Reflect.apply(decodeTokens, this, args) as unknown;
    },
  });
  return {
    get count() {
      return count;
    },
    get outputs() {
      return outputs;
    },
    get controlledOutputs() {
      return controlledOutputs;
    },
    get controlledCalls() {
      return controlledCalls;
    },
    reset() {
      count = 0;
      outputs = 0;
      controlledOutputs = 0;
      controlledCalls = 0;
    },
    restore() {
      Object.defineProperty(prototype, "controlledEvaluate", controlledDescriptor);
      Object.defineProperty(prototype, "_decodeTokens", decodeDescriptor);
    },
  };
}

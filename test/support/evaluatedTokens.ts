// Counts the tokens node-llama-cpp evaluates for our adapter, at LlamaContextSequence's
// controlledEvaluate (steps with drafts, token healing, prefixes) and evaluateWithMetadata (plain
// steps: see GenerationStreams): the model tests' measure of work saved.
import assert from "node:assert/strict";
import type { LlamaContextSequence, Token } from "node-llama-cpp" with { "resolution-mode": "import" };

export interface EvaluatedTokens {
  /** Tokens evaluated since the counter was installed or last reset. */
  readonly count: number;
  /** Of them, those whose next-token distribution was read (each a product with the output matrix). */
  readonly outputs: number;
  /** Of those, the ones read by a generation stream (evaluateWithMetadata). */
  readonly streamedOutputs: number;
  reset(): void;
  /** Puts node-llama-cpp's own methods back. */
  restore(): void;
}

type Generation = AsyncGenerator<unknown, void, Token | Token[] | undefined>;

/** Wraps both methods on the prototype, so every sequence of every context is counted. */
export async function countEvaluatedTokens(): Promise<EvaluatedTokens> {
  const { LlamaContextSequence } = await import("node-llama-cpp");
  const prototype = LlamaContextSequence.prototype;
  const controlledDescriptor = Object.getOwnPropertyDescriptor(prototype, "controlledEvaluate");
  const streamDescriptor = Object.getOwnPropertyDescriptor(prototype, "evaluateWithMetadata");
  const controlledEvaluate: unknown = controlledDescriptor?.value;
  const evaluateWithMetadata: unknown = streamDescriptor?.value;
  assert.ok(controlledDescriptor && typeof controlledEvaluate === "function");
  assert.ok(streamDescriptor && typeof evaluateWithMetadata === "function");
  let count = 0;
  let outputs = 0;
  let streamedOutputs = 0;
  Object.defineProperty(prototype, "controlledEvaluate", {
    ...controlledDescriptor,
    value: function (this: LlamaContextSequence, ...args: Parameters<LlamaContextSequence["controlledEvaluate"]>) {
      count += args[0].length;
      outputs += args[0].filter((item) => Array.isArray(item) && item[1].generateNext !== undefined).length;
      return Reflect.apply(controlledEvaluate, this, args) as unknown;
    },
  });
  Object.defineProperty(prototype, "evaluateWithMetadata", {
    ...streamDescriptor,
    value: function (this: LlamaContextSequence, ...args: Parameters<LlamaContextSequence["evaluateWithMetadata"]>) {
      const generation = Reflect.apply(evaluateWithMetadata, this, args) as Generation;
      let started = false;
      // Each next() evaluates the tokens it was given (the first, those of the call) and reads one output.
      const counted: Generation = {
        next(...[tokens]: [] | [Token | Token[] | undefined]) {
          count += started ? (Array.isArray(tokens) ? tokens.length : 1) : args[0].length;
          started = true;
          outputs++;
          streamedOutputs++;
          return generation.next(tokens);
        },
        return: (value) => generation.return(value),
        throw: (error) => generation.throw(error),
        [Symbol.asyncIterator]() {
          return counted;
        },
      };
      return counted;
    },
  });
  return {
    get count() {
      return count;
    },
    get outputs() {
      return outputs;
    },
    get streamedOutputs() {
      return streamedOutputs;
    },
    reset() {
      count = 0;
      outputs = 0;
      streamedOutputs = 0;
    },
    restore() {
      Object.defineProperty(prototype, "controlledEvaluate", controlledDescriptor);
      Object.defineProperty(prototype, "evaluateWithMetadata", streamDescriptor);
    },
  };
}

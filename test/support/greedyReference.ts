// The embedded model with node-llama-cpp's own greedy generation of a few code prompts: the
// reference the model tests hold our decoder and adapter to (exact at temperature 0).
import assert from "node:assert/strict";
import { join } from "node:path";
import type { LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { loadRuntime, type Runtime } from "../../language-server/src/model/runtime";

export const MODEL_PATH = join(__dirname, "..", "..", "models", "stand-code-mini.gguf");
/** Tokens each greedy reference (and each decode compared with it) generates at most. */
export const MAX_TOKENS = 48;
export const PROMPTS = [
  "export function binarySearch(items: number[], target: number): number {\n",
  'import { readFile } from "node:fs/promises";\n\nexport async function readJson<T>(path: string): Promise<T> {\n',
  "export class Stack<T> {\n  private readonly items: T[] = [];\n\n  push(item: T): void {\n",
  "function fibonacci(n) {\n  if (n < 2) {\n",
];

export interface GreedyReference {
  readonly runtime: Runtime;
  readonly model: LlamaModel;
  /** PROMPTS, tokenized. */
  readonly prompts: Token[][];
  readonly stopTokens: Token[];
  /** node-llama-cpp's own greedy continuation of each prompt, up to its end-of-sequence token or MAX_TOKENS. */
  readonly greedy: Token[][];
  dispose(): Promise<void>;
}

/** Loads the embedded model and decodes the reference with node-llama-cpp's own loop, independent of our decoder and adapter. */
export async function loadGreedyReference(): Promise<GreedyReference> {
  const runtime = await loadRuntime(false);
  const model = await runtime.llama.loadModel({ modelPath: MODEL_PATH });
  const prompts = PROMPTS.map((text) => model.tokenize(text));
  const eos = model.tokens.eos;
  assert.ok(eos !== null, "the embedded model has an end-of-sequence token");
  const stopTokens = [eos];
  const greedy: Token[][] = [];
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  for (const prompt of prompts) {
    const sequence = context.getSequence();
    const tokens: Token[] = [];
    for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
      if (stopTokens.includes(token)) break;
      tokens.push(token);
      if (tokens.length >= MAX_TOKENS) break;
    }
    greedy.push(tokens);
    await sequence.dispose();
  }
  await context.dispose();
  return {
    runtime,
    model,
    prompts,
    stopTokens,
    greedy,
    async dispose() {
      await model.dispose();
      await runtime.llama.dispose();
    },
  };
}

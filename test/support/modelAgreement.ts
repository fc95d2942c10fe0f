// How closely two models compute the same function: the first model's greedy continuations of
// some prompts, then both models' logits at every position of prompt + continuation (teacher
// forcing). Logits are compared as differences to the first model's top token (log p_i − log p_top),
// which is what sampling depends on and what the probabilities node-llama-cpp returns determine.
import type { LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };

/** How many of the most likely tokens at each position have their logits compared. */
const COMPARED_TOKENS = 32;

export interface Reference {
  readonly prompts: Token[][];
  /** The model's greedy continuation of each prompt. */
  readonly continuations: Token[][];
  /** At each position of each prompt + continuation: the top tokens and their logits relative to the first. */
  readonly logits: { tokens: Token[]; relative: number[] }[][];
}

export interface Agreement {
  /** The largest |Δ(log p_i − log p_top)| over every compared token and position. */
  readonly maxLogitDifference: number;
  /** Positions whose most likely token differs. */
  readonly argmaxDisagreements: number;
  readonly positions: number;
  /** The smallest gap between the reference's top two logits (a near tie may flip within tolerance). */
  readonly smallestTopGap: number;
}

export async function greedyReference(model: LlamaModel, texts: readonly string[], tokens: number): Promise<Reference> {
  const prompts = texts.map((text) => model.tokenize(text));
  const continuations = await greedyContinuations(model, prompts, tokens);
  const distributions = await teacherForced(model, prompts, continuations);
  const logits = distributions.map((positions) =>
    positions.map((probabilities) => {
      const top = [...probabilities.entries()].sort((a, b) => b[1] - a[1]).slice(0, COMPARED_TOKENS);
      const first = Math.log(top[0]?.[1] ?? 1);
      return { tokens: top.map(([token]) => token), relative: top.map(([, p]) => Math.log(p) - first) };
    }),
  );
  return { prompts, continuations, logits };
}

/** node-llama-cpp's own greedy generation: `tokens` tokens after each prompt. */
export async function greedyContinuations(model: LlamaModel, prompts: readonly Token[][], tokens: number): Promise<Token[][]> {
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  try {
    const sequence = context.getSequence();
    const continuations: Token[][] = [];
    for (const prompt of prompts) {
      await sequence.clearHistory();
      const continuation: Token[] = [];
      for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
        continuation.push(token);
        if (continuation.length >= tokens) break;
      }
      continuations.push(continuation);
    }
    return continuations;
  } finally {
    await context.dispose();
  }
}

/** Compares `model` with the reference at every position of every prompt + continuation. */
export async function agreement(model: LlamaModel, reference: Reference): Promise<Agreement> {
  const distributions = await teacherForced(model, reference.prompts, reference.continuations);
  let maxLogitDifference = 0;
  let argmaxDisagreements = 0;
  let positions = 0;
  let smallestTopGap = Infinity;
  distributions.forEach((sequence, s) => {
    sequence.forEach((probabilities, position) => {
      const expected = reference.logits[s]?.[position];
      if (!expected) throw new Error(`no reference at prompt ${s}, position ${position}`);
      positions++;
      const top = [...probabilities.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best));
      if (top[0] !== expected.tokens[0]) argmaxDisagreements++;
      smallestTopGap = Math.min(smallestTopGap, -(expected.relative[1] ?? -Infinity));
      const topToken = expected.tokens[0];
      const first = Math.log((topToken === undefined ? undefined : probabilities.get(topToken)) ?? 0);
      expected.tokens.forEach((token, i) => {
        const difference = Math.abs(Math.log(probabilities.get(token) ?? 0) - first - (expected.relative[i] ?? 0));
        maxLogitDifference = Math.max(maxLogitDifference, Number.isNaN(difference) ? Infinity : difference);
      });
    });
  });
  return { maxLogitDifference, argmaxDisagreements, positions, smallestTopGap };
}

/** The model's full next-token distribution at every position of each prompt + continuation (one batch each). */
async function teacherForced(
  model: LlamaModel,
  prompts: readonly Token[][],
  continuations: readonly Token[][],
): Promise<Map<Token, number>[][]> {
  const context = await model.createContext({ contextSize: 256, batchSize: 256, threads: 1 });
  try {
    const sequence = context.getSequence();
    const result: Map<Token, number>[][] = [];
    for (const [i, prompt] of prompts.entries()) {
      await sequence.clearHistory();
      // The last continuation token's successor is not compared: the reference stopped there.
      const tokens = [...prompt, ...(continuations[i] ?? []).slice(0, -1)];
      const outputs = await sequence.controlledEvaluate(
        tokens.map((token) => [token, { generateNext: { probabilities: true, options: { temperature: 0 } } }] as const),
      );
      const distributions: Map<Token, number>[] = [];
      for (let position = 0; position < tokens.length; position++) {
        const probabilities = outputs[position]?.next.probabilities;
        if (!probabilities) throw new Error(`no probabilities at position ${position}`);
        distributions.push(probabilities);
      }
      result.push(distributions);
    }
    return result;
  } finally {
    await context.dispose();
  }
}

// LlamaTarget reads every step's outputs at once (BatchSampling), plain steps and steps with
// drafts alike. Whichever step computed a position, it must read the sampler's distribution that a
// bare controlledEvaluate reads after the same tokens.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { LlamaTarget } from "../../language-server/src/model/llamaTarget";
import { DraftTree, Random, sampleToken, type SamplingOptions, type SparseDistribution } from "../../language-server/src/stand";
import { countEvaluatedTokens } from "../support/evaluatedTokens";
import { loadGreedyReference, type GreedyReference } from "../support/greedyReference";

const SAMPLING: SamplingOptions = { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05 };
const STEPS = 30;
/**
 * Most total-variation distance between the target's distribution and the reference's. Batches
 * of other shapes compute logits that differ in their last digits, which moves probabilities by
 * about 1e-4 and can move a token that sits on the top-p or min-p boundary across it; a reading
 * at the wrong place in the sequence is another distribution altogether (distances of 0.3–1).
 */
const MAX_DISTANCE = 0.05;

describe("LlamaTarget's plain steps and steps with drafts", () => {
  let reference: GreedyReference;
  let model: LlamaModel;
  let prompts: Token[][];

  before(async () => {
    reference = await loadGreedyReference();
    ({ model, prompts } = reference);
  });

  after(async () => {
    await reference.dispose();
  });

  /** The sampler's distribution after `tokens`, evaluated afresh in the reference sequence by controlledEvaluate. */
  async function referenceDistribution(sequence: LlamaContextSequence, tokens: readonly Token[]): Promise<Map<Token, number>> {
    await sequence.clearHistory();
    const options = { temperature: SAMPLING.temperature, topK: SAMPLING.topK, topP: SAMPLING.topP, minP: SAMPLING.minP, seed: 0 };
    const items = tokens.map((token, i) =>
      i === tokens.length - 1 ? ([token, { generateNext: { probabilities: true, options } }] as const) : token,
    );
    const output = await sequence.controlledEvaluate(items as Parameters<LlamaContextSequence["controlledEvaluate"]>[0]);
    const probabilities = output[tokens.length - 1]?.next.probabilities;
    assert.ok(probabilities, "the reference read a distribution");
    return probabilities;
  }

  function assertSameDistribution(actual: SparseDistribution | undefined, expected: Map<Token, number>, where: string): void {
    assert.ok(actual, `${where}: the target returned a distribution`);
    const total = [...expected.values()].reduce((sum, p) => sum + p, 0);
    let distance = 0;
    for (const token of new Set<number>([...actual.tokens, ...expected.keys()])) {
      const index = actual.tokens.indexOf(token);
      const p = index < 0 ? 0 : (actual.probs[index] ?? 0);
      distance += Math.abs(p - (expected.get(token as Token) ?? 0) / total) / 2;
    }
    assert.ok(distance <= MAX_DISTANCE, `${where}: ${distance.toFixed(4)} in total variation from what controlledEvaluate reads`);
    // The sampler the request asked for, not another: top-k and min-p were applied (llama.cpp's
    // chain applies min-p before the temperature, which raises probability ratios to 1/T).
    const highest = Math.max(...actual.probs);
    const lowest = SAMPLING.minP ** (1 / SAMPLING.temperature) * highest * (1 - 1e-6);
    assert.ok(actual.tokens.length <= SAMPLING.topK, `${where}: ${actual.tokens.length} tokens, more than top-k`);
    assert.ok(
      actual.probs.every((p) => p >= lowest),
      `${where}: a token below min-p of the likeliest`,
    );
  }

  for (const trajectories of [1, 4]) {
    test(`read what controlledEvaluate reads, before, between and after steps with drafts (N = ${trajectories})`, async () => {
      const target = await LlamaTarget.create(model, { trajectories, contextSize: 256, threads: 1 });
      const referenceContext = await model.createContext({ contextSize: 256, threads: 1 });
      const counter = await countEvaluatedTokens();
      try {
        const sequence = referenceContext.getSequence();
        const random = new Random(5);
        const contexts = prompts.slice(0, trajectories).map((prompt) => [...prompt]);
        let drafted = 0;
        for (let step = 0; step < STEPS; step++) {
          // Every fifth step, trajectory 0 drafts two tokens it will not keep: the next step erases
          // them first.
          const requests = contexts.map((context, trajectory) => {
            const draft = new DraftTree(context);
            if (step % 5 === 4 && trajectory === 0) {
              draft.addChild(draft.addChild(0, context[0] ?? 0, 1), context[1] ?? 0, 2);
              drafted++;
            }
            return { trajectory, context, draft };
          });
          const distributions = await target.evaluate(requests, SAMPLING);
          for (const [trajectory, context] of contexts.entries()) {
            const next = distributions[trajectory]?.[0];
            assertSameDistribution(next, await referenceDistribution(sequence, context), `step ${step}, trajectory ${trajectory}`);
            if (next) context.push(sampleToken(next, random) as Token);
          }
        }
        assert.equal(drafted, STEPS / 5, "steps with drafts came between the plain ones");
        // The reference reads through controlledEvaluate; the target read every output at once:
        // each step's, the drafted positions' and the padding of the first step's prompts.
        const atOnce = counter.outputs - counter.controlledOutputs;
        assert.ok(
          atOnce >= STEPS * trajectories + 2 * drafted,
          `${atOnce} outputs read at once in ${STEPS} steps of ${trajectories} trajectories (${counter.controlledOutputs} through controlledEvaluate)`,
        );
      } finally {
        counter.restore();
        await referenceContext.dispose();
        await target.dispose();
      }
    });
  }

  test("a solve's first step, every trajectory after one prompt, reads it once and calls no controlledEvaluate", async () => {
    const trajectories = 4;
    const target = await LlamaTarget.create(model, { trajectories, contextSize: 256, threads: 1 });
    const referenceContext = await model.createContext({ contextSize: 256, threads: 1 });
    try {
      const prompt = [...(prompts[0] ?? [])];
      const expected = await referenceDistribution(referenceContext.getSequence(), prompt);
      const counter = await countEvaluatedTokens();
      let distributions;
      try {
        const requests = Array.from({ length: trajectories }, (_, trajectory) => ({
          trajectory,
          context: prompt,
          draft: new DraftTree(prompt),
        }));
        distributions = await target.evaluate(requests, SAMPLING);
      } finally {
        counter.restore();
      }
      for (let trajectory = 0; trajectory < trajectories; trajectory++) {
        assertSameDistribution(distributions[trajectory]?.[0], expected, `trajectory ${trajectory}`);
      }
      assert.equal(counter.outputs, 1, "the prompt's end is read once, for every trajectory");
      // The sequences whose context end another reads evaluate without a native sampler (0.15 ms each on a CPU).
      assert.equal(counter.controlledCalls, 0, "nothing went through controlledEvaluate");
    } finally {
      await referenceContext.dispose();
      await target.dispose();
    }
  });
});

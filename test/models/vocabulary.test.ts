// A 152k vocabulary (the cost fixture: Qwen3-0.6B's shape and tokenizer, random weights): token
// healing, drafting and the n-gram table do no per-step work proportional to the vocabulary.
// The latency this buys is measured by `npm run bench:vocabulary`, not asserted here.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { LlamaTarget } from "../../language-server/src/model/llamaTarget";
import type { ModelSession } from "../../language-server/src/model/session";
import {
  Decoder,
  DraftShape,
  DraftTree,
  NgramTable,
  serializeTable,
  standDrafter,
  type EvaluationOptions,
  type SamplingOptions,
  type SparseDistribution,
  type TargetCapabilities,
  type TargetRequest,
} from "../../language-server/src/stand";
import {
  BROAD_DISTRIBUTION,
  healedStarts,
  healingCut,
  MAX_CANDIDATES,
  type Reading,
  type RestrictingTarget,
} from "../../language-server/src/tokenHealing";
import { openFixture } from "./fixtureSession";

/** Short: a step of this model costs about as much as a 0.6B model's, and the tests run on a small CPU. */
const CODE = "let sum = 0;\n";

/** Records what a target is asked and how large the distributions it returns are. */
class RecordingTarget implements RestrictingTarget {
  readonly topKs: number[] = [];
  readonly amongSizes: number[] = [];
  readonly returnedSizes: number[] = [];
  constructor(private readonly inner: LlamaTarget) {}
  get capabilities(): TargetCapabilities {
    return this.inner.capabilities;
  }
  async evaluate(requests: readonly TargetRequest[], sampling: SamplingOptions, options?: EvaluationOptions): Promise<SparseDistribution[][]> {
    this.topKs.push(sampling.topK);
    const distributions = await this.inner.evaluate(requests, sampling, options);
    for (const list of distributions) for (const distribution of list) this.returnedSizes.push(distribution.tokens.length);
    return distributions;
  }
  async evaluateReadings(requests: readonly TargetRequest[], readings: readonly (readonly Reading[])[], signal?: AbortSignal) {
    for (const reading of readings.flat()) {
      if ("among" in reading) this.amongSizes.push(reading.among.length);
      else this.topKs.push(reading.sampling.topK);
    }
    const distributions = await this.inner.evaluateReadings(requests, readings, signal);
    for (const list of distributions) for (const distribution of list) this.returnedSizes.push(distribution.tokens.length);
    return distributions;
  }
}

describe("a 152k vocabulary (Qwen3-0.6B-shaped cost fixture)", () => {
  let session: ModelSession;
  let target: LlamaTarget;
  before(async () => {
    session = await openFixture("qwen3-cost");
    // One thread: two spin against each other on a busy two-core machine (see threadsForModel).
    target = await LlamaTarget.create(session.model, { trajectories: 2, contextSize: 256, threads: 1 });
  });
  after(async () => {
    await target.dispose();
    await session.dispose();
  });

  test("the vocabulary is read once: 151,936 tokens, found by prefix without a pass over them", () => {
    const { vocabulary } = session;
    assert.equal(vocabulary.size, 151936);
    const returns = vocabulary.startingWith(" return", MAX_CANDIDATES);
    assert.ok(returns && returns.length > 1);
    for (const token of returns) assert.ok(vocabulary.textOf(token).startsWith(" return"));
    assert.equal(vocabulary.startingWith(" ", MAX_CANDIDATES), undefined, "a lone space starts too many tokens to list");
  });

  test("evaluateAmong is the model's untruncated distribution restricted to the tokens, renormalised", async () => {
    const context = session.model.tokenize(CODE);
    const request = { trajectory: 0, context, draft: new DraftTree(context) };
    const among = session.vocabulary.startingWith(" re", MAX_CANDIDATES) ?? [];
    assert.ok(among.length > 50);
    const [full] = await target.evaluate([request], { temperature: 1, topK: 0, topP: 1, minP: 0 });
    const [restricted] = await target.evaluateAmong([request], [among]);
    const next = full?.[0];
    assert.ok(next && restricted);
    const fullProbability = new Map(Array.from(next.tokens, (token, i) => [token, next.probs[i] ?? 0]));
    const mass = among.reduce((sum, token) => sum + (fullProbability.get(token) ?? 0), 0);
    assert.equal(restricted.tokens.length, among.length);
    restricted.tokens.forEach((token, i) => {
      assert.ok(Math.abs((restricted.probs[i] ?? 0) - (fullProbability.get(token) ?? 0) / mass) < 1e-4, `token ${token}`);
    });
  });

  test("one call reads the allowed tokens at the prompt's end and the sampler after the typed token, and the cache holds that token", async () => {
    const prompt = session.model.tokenize(CODE);
    const typed = session.model.tokenize(" return").at(-1) ?? 0;
    const among = session.vocabulary.startingWith(" re", MAX_CANDIDATES) ?? [];
    const sampling = { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05 };
    const draft = new DraftTree(prompt);
    draft.addChild(0, typed, 1);
    await target.reset(0);
    const [read] = await target.evaluateReadings([{ trajectory: 0, context: prompt, draft }], [[{ among }, { sampling }]]);
    const [atEnd, afterTyped] = read ?? [];
    assert.ok(atEnd && afterTyped);
    // The same positions, each read by its own call from an empty cache in the other sequence.
    await target.reset(1);
    const [alone] = await target.evaluateAmong([{ trajectory: 1, context: prompt, draft: new DraftTree(prompt) }], [among]);
    const withTyped = [...prompt, typed];
    const [separate] = await target.evaluate([{ trajectory: 1, context: withTyped, draft: new DraftTree(withTyped) }], sampling);
    const close = (a: SparseDistribution | undefined, b: SparseDistribution | undefined, what: string) => {
      assert.ok(a && b, what);
      const of = new Map(Array.from(b.tokens, (token, i) => [token, b.probs[i] ?? 0]));
      assert.equal(a.tokens.length, b.tokens.length, what);
      for (const [i, token] of a.tokens.entries()) {
        assert.ok(Math.abs((a.probs[i] ?? 0) - (of.get(token) ?? 0)) < 1e-3, `${what}: token ${token}`);
      }
    };
    close(atEnd, alone, "among the allowed tokens");
    close(afterTyped, separate?.[0], "the sampler after the typed token");
    // Sequence 0 holds the typed token: the next step evaluates only what follows it, and reads what a fresh cache reads.
    const next = afterTyped.tokens[0] ?? 0;
    const longer = [...withTyped, next];
    const [continued] = await target.evaluate([{ trajectory: 0, context: longer, draft: new DraftTree(longer) }], sampling);
    await target.reset(1);
    const [fresh] = await target.evaluate([{ trajectory: 1, context: longer, draft: new DraftTree(longer) }], sampling);
    close(continued?.[0], fresh?.[0], "the step after the typed token");
  });

  test("token healing reads the allowed tokens' probabilities, or the top 1,024, never the whole vocabulary", async () => {
    const recording = new RecordingTarget(target);
    for (const prefix of [`${CODE}function fil`, `${CODE}const value = items.map`, `${CODE}  return `, `${CODE}    `]) {
      const lineSoFar = prefix.slice(prefix.lastIndexOf("\n") + 1);
      const cut = healingCut(prefix, session.model.tokenize(lineSoFar), (token) => session.tokenText(token));
      assert.ok(cut, JSON.stringify(prefix));
      await healedStarts(recording, {
        prompt: session.model.tokenize(cut.text),
        constraint: cut.constraint,
        typed: cut.typed,
        trajectories: 2,
        sampling: { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05 },
        seed: 5,
        textOf: (token) => session.tokenText(token),
        excluded: session.stopTokens,
        index: session.vocabulary,
      });
    }
    assert.ok(recording.amongSizes.length > 0, "some steps asked about the allowed tokens only");
    for (const size of recording.amongSizes) assert.ok(size <= MAX_CANDIDATES);
    for (const topK of recording.topKs) assert.ok(topK > 0 && topK <= BROAD_DISTRIBUTION.topK, `topK ${topK}`);
    for (const size of recording.returnedSizes) assert.ok(size <= MAX_CANDIDATES, `a distribution of ${size} tokens`);
  });

  test("drafting reads the sampler's top-k at every step, and the table keeps the same bytes per entry as with a small vocabulary", async () => {
    const recording = new RecordingTarget(target);
    const table = new NgramTable({ maxEntries: 4096 });
    const prompt = session.model.tokenize(CODE);
    await new Decoder({ target: recording, drafter: standDrafter(table), shape: DraftShape.chain(4) }).decode({
      prompts: Array.from({ length: 2 }, () => prompt),
      maxTokens: 6,
      sampling: { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05 },
      seed: 3,
      stopTokens: session.stopTokens,
    });
    assert.ok(recording.returnedSizes.length > 0);
    for (const size of recording.returnedSizes) assert.ok(size <= 40, `a distribution of ${size} tokens`);
    assert.ok(table.size > 0);
    // The same entries with ids of a 4k vocabulary take the same bytes, in memory and on disk.
    const small = new NgramTable({ maxEntries: 4096 });
    const big = new NgramTable({ maxEntries: 4096 });
    const sequence = Array.from({ length: 64 }, (_, i) => (i * 37) % 4000);
    small.observeSequence(sequence);
    big.observeSequence(sequence.map((token) => token + 147_000));
    assert.equal(big.size, small.size);
    assert.equal(big.byteLength, small.byteLength);
    assert.equal(serializeTable(big).length, serializeTable(small).length);
  });
});

// The benchmark's rows from its timed runs: paired ratios per repetition give each speedup its
// spread, the spread decides "within noise", and a bound below the speedup always carries why;
// the protocol's sampler, method order and seeds.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { boundBelowSpeedup, costAt, summariseMethods, type MethodRuns, type Run } from "../../language-server/src/model/benchmarkSummary";
import { benchmarkSampling, rotated, runSeed } from "../../language-server/src/model/benchmarkProtocol";
import { greedySampling } from "../../language-server/src/stand";
import { defaultSettings } from "../../common/protocol";
import { defined } from "../support/defined";

/** One prompt per repetition: `tokens` tokens in `seconds`, one call per token unless drafted. */
const run = (seconds: number, tokens = 100, calls = tokens, draftedPerCall = 0): Run => ({
  tokens,
  seconds,
  callsPerTrajectory: calls,
  draftedPerCall,
  drafterSeconds: 0,
});
const method = (
  name: string,
  seconds: number[],
  ownLoop = false,
  shape: Partial<Pick<Run, "callsPerTrajectory" | "draftedPerCall">> = {},
): MethodRuns => ({
  method: name,
  ownLoop,
  runs: seconds.map((s) => [run(s, 100, shape.callsPerTrajectory ?? 100, shape.draftedPerCall ?? 0)]),
});
const curve = { 0: 1, 1: 1.5, 2: 2 };

describe("benchmark summary", () => {
  test("each repetition's ratio is paired with the baseline's same repetition; the spread is their min–max", () => {
    // The machine slows down in the second repetition for both methods: the paired ratios stay at 2×.
    const [baseline, fast] = summariseMethods([method("base", [1, 3, 1.5]), method("fast", [0.5, 1.5, 0.75])], 1, curve);
    assert.deepEqual(defined(baseline, "baseline").speedupRange, { low: 1, high: 1 });
    assert.equal(defined(baseline, "baseline").withinNoise, undefined, "the baseline is not judged against itself");
    const row = defined(fast, "fast");
    assert.equal(row.speedup, 2);
    assert.ok(Math.abs(row.speedupRange.low - 2) < 1e-12 && Math.abs(row.speedupRange.high - 2) < 1e-12, JSON.stringify(row.speedupRange));
    assert.equal(row.withinNoise, false);
    assert.equal(row.repetitions, 3);
  });

  test("within noise when the spread reaches 1×; unknown with one repetition", () => {
    const [, noisy] = summariseMethods([method("base", [1, 1, 1]), method("noisy", [0.8, 1.1, 0.9])], 1, curve);
    assert.equal(defined(noisy, "noisy").withinNoise, true);
    assert.ok(defined(noisy, "noisy").speedupRange.low < 1 && defined(noisy, "noisy").speedupRange.high > 1);
    const [, once] = summariseMethods([method("base", [1]), method("once", [0.5])], 1, curve);
    assert.equal(defined(once, "once").withinNoise, undefined);
    assert.equal(defined(once, "once").repetitions, 1);
  });

  test("the bound is A / cost(k) and comes with a reason whenever it is below the speedup", () => {
    // 2 tokens per call with one drafted token per call: bound 2 / 1.5.
    const drafting = method("drafting", [0.5, 0.55], false, { callsPerTrajectory: 50, draftedPerCall: 1 });
    const [, row] = summariseMethods([method("base", [1, 1]), drafting], 1, curve);
    assert.ok(Math.abs(defined(row, "row").bound - 2 / 1.5) < 1e-12);
    assert.ok(defined(row, "row").speedup > defined(row, "row").bound);
    assert.match(defined(row, "row").boundNote ?? "", /cost curve/);
    const [, nodeLlamaCpp] = summariseMethods([method("base", [1, 1]), method("node-llama-cpp", [0.8, 0.85], true)], 1, curve);
    assert.match(defined(nodeLlamaCpp, "node-llama-cpp").boundNote ?? "", /own loop/);
  });

  test("the bound counts tokens per call relative to the baseline's, which a stop token puts below 1", () => {
    // The baseline commits 99 tokens in 100 calls (the last call sampled the stop token).
    const baseline: MethodRuns = { method: "base", ownLoop: false, runs: [[run(1, 99, 100)], [run(1, 99, 100)]] };
    const [base, drafting] = summariseMethods(
      [baseline, { ...baseline, method: "drafting", runs: [[run(1, 99, 50, 1)], [run(1, 99, 50, 1)]] }],
      1,
      curve,
    );
    assert.equal(defined(base, "baseline").bound, 1);
    assert.equal(defined(base, "baseline").boundNote, undefined);
    assert.ok(Math.abs(defined(drafting, "drafting").bound - 2 / 1.5) < 1e-12);
  });

  test("the bound prices each call by its own draft: plain calls and long drafts cost what the curve says for each, not for their mean", () => {
    // A first draft token that is cheap and a second that is dear, as llama.cpp's CPU kernels
    // price batches: half the calls plain and half with 2 tokens cost 2 on average, where the
    // mean draft (1 token) costs 1.2.
    const steep = { 0: 1, 1: 1.2, 2: 3 };
    const counted = (callsByDraft: ReadonlyMap<number, number>): Run => ({ ...run(0.5, 100, 50, 1), callsByDraft });
    const baseline = method("base", [1, 1]);
    /** Two repetitions of one prompt, each with these calls. */
    const twice = (name: string, callsByDraft: ReadonlyMap<number, number>): MethodRuns => ({
      method: name,
      ownLoop: false,
      runs: [[counted(callsByDraft)], [counted(callsByDraft)]],
    });
    const halfPlainHalfTwo = new Map([
      [0, 25],
      [2, 25],
    ]);
    const bimodal = twice("plain or 2", halfPlainHalfTwo);
    const even = twice("1 each", new Map([[1, 50]]));
    const [, bimodalRow, evenRow] = summariseMethods([baseline, bimodal, even], 1, steep);
    assert.ok(Math.abs(defined(bimodalRow, "bimodal").bound - 2 / 2) < 1e-12, String(defined(bimodalRow, "bimodal").bound));
    assert.ok(Math.abs(defined(evenRow, "even").bound - 2 / 1.2) < 1e-12, String(defined(evenRow, "even").bound));
    assert.equal(defined(bimodalRow, "bimodal").draftedPerTrajectoryPerCall, 1, "the mean draft is reported as before");
    // A run that did not count its calls (node-llama-cpp's loops) is priced at its mean draft.
    const [, uncounted] = summariseMethods(
      [baseline, method("uncounted", [0.5, 0.5], false, { callsPerTrajectory: 50, draftedPerCall: 1 })],
      1,
      steep,
    );
    assert.ok(Math.abs(defined(uncounted, "uncounted").bound - 2 / 1.2) < 1e-12);
  });

  test("boundBelowSpeedup: none when the bound is at or above the speedup as printed; noise when it lies within the spread", () => {
    assert.equal(boundBelowSpeedup(1.2, 1.1, { low: 1, high: 1.2 }, false), undefined);
    assert.equal(boundBelowSpeedup(1.104, 1.1, { low: 1, high: 1.2 }, false), undefined, "equal to two decimals");
    assert.match(boundBelowSpeedup(1.05, 1.1, { low: 1, high: 1.2 }, false) ?? "", /noise/);
    assert.match(boundBelowSpeedup(0.95, 1.41, { low: 1.3, high: 1.5 }, false) ?? "", /cost curve/);
  });

  test("costAt interpolates the curve and extrapolates past its end", () => {
    assert.equal(costAt(curve, 0), 1);
    assert.equal(costAt(curve, 0.5), 1.25);
    assert.equal(costAt(curve, 2), 2);
    assert.equal(costAt(curve, 4), 3);
  });
});

describe("benchmark protocol", () => {
  test("T > 0 samples with the product's top-k, top-p and min-p unless told otherwise; T = 0 is greedy", () => {
    assert.deepEqual(benchmarkSampling(0.7), {
      temperature: 0.7,
      topK: defaultSettings.topK,
      topP: defaultSettings.topP,
      minP: defaultSettings.minP,
    });
    assert.deepEqual(benchmarkSampling(0.7, { topK: 10, topP: 1, minP: 0 }), { temperature: 0.7, topK: 10, topP: 1, minP: 0 });
    assert.deepEqual(benchmarkSampling(0), greedySampling);
  });

  test("each turn rotates the methods by one place, so every method runs in every place", () => {
    const methods = ["a", "b", "c"];
    assert.deepEqual(rotated(methods, 0), ["a", "b", "c"]);
    assert.deepEqual(rotated(methods, 1), ["b", "c", "a"]);
    assert.deepEqual(rotated(methods, 5), ["c", "a", "b"]);
    const firsts = new Set([0, 1, 2].map((turn) => rotated(methods, turn)[0]));
    assert.equal(firsts.size, 3);
    assert.deepEqual(rotated([], 3), []);
  });

  test("seeds differ across repetitions, prompt sets and prompts", () => {
    const seeds = new Set<number>();
    for (let repetition = 0; repetition < 5; repetition++)
      for (let set = 0; set < 3; set++) for (let prompt = 0; prompt < 40; prompt++) seeds.add(runSeed(repetition, set, prompt));
    assert.equal(seeds.size, 5 * 3 * 40);
  });
});

// The benchmark's rows from its timed runs: paired ratios per repetition give each speedup its
// spread, the spread decides "within noise", and a bound below the speedup always carries why;
// the protocol's sampler, method order and seeds.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { boundBelowSpeedup, costAt, summariseMethods, type MethodRuns, type Run } from "../../language-server/src/model/benchmarkSummary";
import { benchmarkSampling, runOrder, runSeed } from "../../language-server/src/model/benchmarkProtocol";
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

  test("without timed calls the bound is A / cost(k) at the mean draft, with a reason whenever it is below the speedup", () => {
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

  test("the bound charges each step its timed model call plus the baseline's time between calls", () => {
    /** Two repetitions of one prompt: 100 tokens in `seconds`, `count` model calls taking `inCalls` of them. */
    const timed = (name: string, seconds: number, count: number, inCalls: number): MethodRuns => {
      const timedRun: Run = { ...run(seconds, 100, count), modelCalls: { count, seconds: inCalls } };
      return { method: name, ownLoop: false, runs: [[timedRun], [timedRun]] };
    };
    // The baseline spends 0.9 s in 100 calls and 1 ms between each call and the next.
    const baseline = timed("base", 1, 100, 0.9);
    // 40 calls in 0.5 s and 0.1 s between them (2.5 ms each): charged 1 ms each, it would take 0.54 s.
    const drafting = timed("drafting", 0.6, 40, 0.5);
    // 40 calls in 0.49 s and 0.25 ms between each: less than the baseline, so the bound is below the speedup.
    const lean = timed("lean", 0.5, 40, 0.49);
    const [base, draftingRow, leanRow] = summariseMethods([baseline, drafting, lean], 1, curve);
    assert.ok(Math.abs(defined(base, "baseline").bound - 1) < 1e-12, String(defined(base, "baseline").bound));
    const row = defined(draftingRow, "drafting");
    assert.ok(Math.abs(row.bound - 1 / 0.54) < 1e-9, String(row.bound));
    assert.ok(Math.abs(row.speedup - 1 / 0.6) < 1e-9);
    assert.equal(row.boundNote, undefined);
    const leanBound = defined(leanRow, "lean");
    assert.ok(Math.abs(leanBound.bound - 1 / 0.53) < 1e-9, String(leanBound.bound));
    assert.match(leanBound.boundNote ?? "", /between model calls/);
    // A run that did not time its calls (node-llama-cpp's loops) is priced on the curve at its mean draft.
    const [, uncounted] = summariseMethods(
      [baseline, method("uncounted", [0.5, 0.5], false, { callsPerTrajectory: 50, draftedPerCall: 1 })],
      1,
      curve,
    );
    assert.ok(Math.abs(defined(uncounted, "uncounted").bound - 2 / 1.5) < 1e-12);
  });

  test("boundBelowSpeedup: none when the bound is at or above the speedup as printed; noise when it lies within the spread", () => {
    assert.equal(boundBelowSpeedup(1.2, 1.1, { low: 1, high: 1.2 }, "timed calls"), undefined);
    assert.equal(boundBelowSpeedup(1.104, 1.1, { low: 1, high: 1.2 }, "timed calls"), undefined, "equal to two decimals");
    assert.match(boundBelowSpeedup(1.05, 1.1, { low: 1, high: 1.2 }, "timed calls") ?? "", /noise/);
    assert.match(boundBelowSpeedup(0.95, 1.41, { low: 1.3, high: 1.5 }, "timed calls") ?? "", /between model calls/);
    assert.match(boundBelowSpeedup(0.95, 1.41, { low: 1.3, high: 1.5 }, "cost curve") ?? "", /cost curve/);
    assert.match(boundBelowSpeedup(1.05, 1.1, { low: 1, high: 1.2 }, "own loop") ?? "", /own loop/);
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

  test("the run order is balanced: over M turns (2M for an odd M) every method runs in every place and right after every other equally often", () => {
    for (let count = 1; count <= 11; count++) {
      const methods = Array.from({ length: count }, (_, i) => i);
      const cycle = count % 2 === 0 ? count : 2 * count;
      const places = new Map<string, number>();
      const pairs = new Map<string, number>();
      for (let turn = 0; turn < cycle; turn++) {
        const order = runOrder(methods, turn);
        assert.deepEqual(
          [...order].sort((a, b) => a - b),
          methods,
          "each method once a turn",
        );
        order.forEach((method, place) => places.set(`${place}:${method}`, (places.get(`${place}:${method}`) ?? 0) + 1));
        for (let i = 1; i < count; i++) pairs.set(`${order[i - 1]}>${order[i]}`, (pairs.get(`${order[i - 1]}>${order[i]}`) ?? 0) + 1);
      }
      const times = cycle / count;
      assert.equal(places.size, count * count, `M = ${count}: every place`);
      for (const seen of places.values()) assert.equal(seen, times);
      assert.equal(pairs.size, count * (count - 1), `M = ${count}: every ordered pair`);
      for (const seen of pairs.values()) assert.equal(seen, times);
    }
    assert.deepEqual(runOrder(["a", "b", "c", "d"], 0), ["a", "b", "d", "c"]);
    assert.deepEqual(runOrder(["a", "b", "c", "d"], 5), runOrder(["a", "b", "c", "d"], 1));
    assert.deepEqual(runOrder([], 3), []);
  });

  test("seeds differ across repetitions, prompt sets and prompts", () => {
    const seeds = new Set<number>();
    for (let repetition = 0; repetition < 5; repetition++)
      for (let set = 0; set < 3; set++) for (let prompt = 0; prompt < 40; prompt++) seeds.add(runSeed(repetition, set, prompt));
    assert.equal(seeds.size, 5 * 3 * 40);
  });
});

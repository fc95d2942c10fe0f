import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DecayedLeastSquares, solveLinear } from "../../language-server/src/stand/leastSquares";
import { BUDGET_TUNING, CallCostModel, type Tuning } from "../../language-server/src/stand";
import { costModel } from "../support/budgetFixtures";

/**
 * Milliseconds of a call of four trajectories by its draft tokens. A draft's cost is not linear in
 * its tokens (as on a CPU, where a batch's cost steps with its size): no line through (0, 10) and
 * (32, 60) passes within 25 % of (8, 30), so the fit alone misprices one shape or more by a quarter.
 */
const NONLINEAR_DRAFT_COSTS: ReadonlyMap<number, number> = new Map([
  [0, 10],
  [8, 30],
  [32, 60],
]);

describe("call cost model", () => {
  test("recovers a call cost with a batching step and a price for a change of shape", () => {
    const truth = (sequences: number, drafts: number, reshaped = false): number =>
      0.4 + 0.6 * sequences + 0.25 * drafts + (sequences + drafts > 1 ? 1.5 : 0) + (reshaped ? 0.3 : 0);
    const model = costModel(truth, [1, 4]);
    const close = (estimate: number, expected: number, what: string): void => {
      assert.ok(Math.abs(estimate - expected) < 0.05 * expected, `${what} = ${estimate}, truth ${expected}`);
    };
    for (const [sequences, drafts] of [
      [1, 0],
      [1, 1],
      [1, 6],
      [4, 0],
      [4, 12],
    ] as const) {
      close(model.cost(sequences, drafts), truth(sequences, drafts), `cost(${sequences}, ${drafts})`);
    }
    // After a plain call: staying plain costs the steady price; a draft pays the change twice
    // (there and, with the plain call after it, back again).
    model.record(4, 0, truth(4, 0));
    const price = model.estimator();
    close(price(4, 0), truth(4, 0), "price(4, 0) after (4, 0)");
    close(price(4, 3), truth(4, 3) + 2 * 0.3, "price(4, 3) after (4, 0)");
    close(price(1, 0), truth(1, 0, true), "price(1, 0) after (4, 0)");
    // After a draft: keeping its shape is the cheap choice.
    model.record(4, 3, truth(4, 3, true));
    close(model.estimator()(4, 3), truth(4, 3), "price(4, 3) after (4, 3)");
    close(model.estimator()(4, 0), truth(4, 0, true), "price(4, 0) after (4, 3)");
  });

  test("a draft's price is a ratio to the plain calls around it: drafts priced while the machine was busy do not stay expensive once it is quiet", () => {
    // One trajectory; a plain call costs 10 ms × load, a call with k draft tokens (10 + 3k) ms × load.
    const model = new CallCostModel();
    const call = (drafts: number, load: number): void => {
      model.record(1, drafts, (10 + 3 * drafts) * load);
    };
    for (let i = 0; i < 200; i++) call(i % 10 === 0 ? 2 : 0, 1);
    // Another program takes the core for a while, and the only draft calls of the period fall in it.
    for (let i = 0; i < 60; i++) call(i % 3 === 0 ? 2 : 0, 3);
    // Quiet again: a few hundred plain calls, as when the budget decides drafting does not pay.
    for (let i = 0; i < 300; i++) call(0, 1);
    const steady = model.cost(1, 2) / model.cost(1, 0);
    assert.ok(steady > 1.45 && steady < 1.85, `a two-token draft costs ${steady.toFixed(2)}× a plain call (truth 1.6×)`);
    assert.ok(Math.abs(model.cost(1, 0) - 10) < 1, `a plain call is priced at ${model.cost(1, 0).toFixed(2)} ms (truth 10)`);
    // The plan's price also counts the change of shape there and back; the lag of the load behind
    // the busy period's start leaves a little of it, but far from the busy machine's 4.8×.
    const price = model.estimator();
    const planned = price(1, 2) / price(1, 0);
    assert.ok(planned < 2.2, `the plan prices a two-token draft at ${planned.toFixed(2)}× a plain call`);
  });

  test("a call the scheduler held up does not reprice drafts: one draft call taking 10× its cost leaves a draft's price near the truth", () => {
    // One trajectory; a plain call costs 10 ms, a call with two draft tokens 16 ms; drafts are
    // rare, as where the budget explores, so each draft call weighs heavily in its price.
    const model = new CallCostModel();
    for (let i = 0; i < 400; i++) model.record(1, i % 16 === 0 ? 2 : 0, i % 16 === 0 ? 16 : 10);
    // Another program takes the core during one draft call.
    model.record(1, 2, 160);
    for (let i = 0; i < 15; i++) model.record(1, 0, 10);
    const steady = model.cost(1, 2) / model.cost(1, 0);
    assert.ok(steady > 1.4 && steady < 1.9, `a two-token draft costs ${steady.toFixed(2)}× a plain call (truth 1.6×)`);
    const price = model.estimator();
    const planned = price(1, 2) / price(1, 0);
    assert.ok(planned < 2.3, `the plan prices a two-token draft at ${planned.toFixed(2)}× a plain call`);
  });

  test("draft calls the linear fit cannot price are priced by what they cost: each shape within 10 % of its truth", () => {
    const truth = NONLINEAR_DRAFT_COSTS;
    const model = new CallCostModel();
    // Runs of one shape, as the budget drafts: plain calls, then two-token drafts, then eight-token ones.
    for (let round = 0; round < 20; round++) {
      for (const draftTokens of [0, 8, 0, 32]) {
        for (let i = 0; i < 10; i++) model.record(4, draftTokens, truth.get(draftTokens) ?? NaN);
        // After the first rounds, at every point of the cycle, every shape.
        if (round < 10) continue;
        for (const [shape, milliseconds] of truth) {
          const priced = model.cost(4, shape);
          assert.ok(
            Math.abs(priced - milliseconds) < 0.1 * milliseconds,
            `round ${round}, after ${draftTokens}-token calls: a call with ${shape} draft tokens is priced at ${priced.toFixed(1)} ms, truth ${milliseconds}`,
          );
        }
      }
    }
    // A shape not seen yet is priced with what drafts of every shape cost against the fit: more
    // than a plain call and less than the dearest draft seen.
    const unseen = model.cost(4, 16);
    assert.ok(unseen > model.cost(4, 0) && unseen < model.cost(4, 32), `a call with 16 draft tokens is priced at ${unseen.toFixed(1)} ms`);
    // Where drafting stops, the calibration fades: after a few hundred plain calls a draft is
    // priced by the fit again (about 21 ms here), so a budget that stopped drafting tries again.
    for (let i = 0; i < 500; i++) model.record(4, 0, 10);
    const faded = model.cost(4, 8);
    assert.ok(faded < 0.8 * 30, `after 500 plain calls, a call with 8 draft tokens is priced at ${faded.toFixed(1)} ms`);
  });

  test("sparse draft calls of a shape the fit misprices are priced by what they cost, not pulled back towards the fit between them", () => {
    // Drafts as a budget makes them where they seldom pay: one draft call after every eleven
    // plain calls, the two shapes in turn.
    const truth = NONLINEAR_DRAFT_COSTS;
    const model = new CallCostModel();
    for (let cycle = 0; cycle < 60; cycle++) {
      for (const draftTokens of [8, 32]) {
        for (let i = 0; i < 11; i++) model.record(4, 0, 10);
        model.record(4, draftTokens, truth.get(draftTokens) ?? NaN);
      }
    }
    for (const [shape, milliseconds] of truth) {
      const priced = model.cost(4, shape);
      assert.ok(
        Math.abs(priced - milliseconds) < 0.1 * milliseconds,
        `${shape} draft tokens priced at ${priced.toFixed(1)} ms, truth ${milliseconds}`,
      );
    }
  });

  test("a draft's price includes its aftermath (the plain calls after it that run slower), once per run of draft calls", () => {
    // One trajectory: a plain call costs 10 ms, a call with two draft tokens 16 ms; one draft call
    // after every eleven plain calls. With an aftermath, the second to fourth plain calls after a
    // draft cost 2, 1.5 and 1 ms more (4.5 ms in all); the first pays the reshape either way.
    const calls = (aftermath: readonly number[]): CallCostModel => {
      const model = new CallCostModel();
      for (let cycle = 0; cycle < 60; cycle++) {
        model.record(1, 2, 16);
        model.record(1, 0, 12);
        for (let i = 0; i < 10; i++) model.record(1, 0, 10 + (aftermath[i] ?? 0));
      }
      return model;
    };
    const slowed = calls([2, 1.5, 1]);
    const clean = calls([]);
    const extra = slowed.estimator()(1, 2) - clean.estimator()(1, 2);
    assert.ok(Math.abs(extra - 4.5) < 0.15 * 4.5, `the aftermath adds ${extra.toFixed(2)} ms to a draft's price (truth 4.5)`);
    const plain = slowed.estimator()(1, 0) / clean.estimator()(1, 0);
    assert.ok(plain < 1.06, `a plain call is priced ${plain.toFixed(3)}× with the aftermath about`);
    // A draft after a draft adds no aftermath of its own: the run pays it once, after its last call.
    slowed.record(1, 2, 16);
    clean.record(1, 2, 16);
    const continuing = slowed.estimator()(1, 2) - clean.estimator()(1, 2);
    assert.ok(Math.abs(continuing) < 0.5, `a draft after a draft is priced ${continuing.toFixed(2)} ms dearer with the aftermath about`);
    // Draft calls that come every other call have no aftermath: the plain call between two pays
    // the reshape only. Priced as by a model that measures none.
    const alternating = (tuning: Tuning<"cost">): CallCostModel => {
      const model = new CallCostModel(tuning);
      for (let i = 0; i < 600; i++) model.record(1, i % 2 === 0 ? 2 : 0, i % 2 === 0 ? 16 : 12);
      model.record(1, 0, 12);
      return model;
    };
    const inAlternation =
      alternating(BUDGET_TUNING.cost).estimator()(1, 2) - alternating({ ...BUDGET_TUNING.cost, aftermathCalls: 0 }).estimator()(1, 2);
    assert.ok(Math.abs(inAlternation) < 0.1, `drafts every other call are priced ${inAlternation.toFixed(2)} ms dearer`);
  });

  test("the plain call after a draft counts towards its aftermath: what changing the shape back cost is measured, not left to the fit", () => {
    // One trajectory, one draft call in twelve: a plain call costs 10 ms, one with two draft tokens
    // 16 ms, and the plain call after it 14 ms (the change of shape back, the erased tail). The
    // fit's reshape term cannot price that call alone: at T = 0 draft calls change depth on most
    // calls, and the fit mixed the term up with what every draft call pays.
    const model = (tuning: Tuning<"cost">): CallCostModel => {
      const costs = new CallCostModel(tuning);
      for (let cycle = 0; cycle < 60; cycle++) {
        costs.record(1, 2, 16);
        costs.record(1, 0, 14);
        for (let i = 0; i < 10; i++) costs.record(1, 0, 10);
      }
      return costs;
    };
    const aftermath = model(BUDGET_TUNING.cost).estimator()(1, 2) - model({ ...BUDGET_TUNING.cost, aftermathCalls: 0 }).estimator()(1, 2);
    assert.ok(Math.abs(aftermath - 4) < 0.15 * 4, `the plain call after a draft adds ${aftermath.toFixed(2)} ms to its price (truth 4)`);
  });

  test("a fit of deep drafts alone never prices a short draft below a plain call: a term below its floor is held there and the others refitted", () => {
    // One trajectory: a plain call costs 1, and only drafts of 5 to 8 tokens are seen, costing
    // 0.9 a token less 0.5 (a line that meets zero draft tokens far below a plain call). Least
    // squares alone puts batched at −1.5 and prices a one-token draft below half a plain call.
    const model = new CallCostModel();
    for (let cycle = 0; cycle < 100; cycle++) {
      for (const draftTokens of [5, 6, 7, 8]) {
        model.record(1, 0, 1);
        model.record(1, 0, 1);
        model.record(1, draftTokens, 0.9 * draftTokens - 0.5);
      }
    }
    const plain = model.cost(1, 0);
    const short = model.cost(1, 1);
    assert.ok(short > 1.2 * plain, `a one-token draft is priced at ${short.toFixed(2)}, a plain call at ${plain.toFixed(2)}`);
    for (const draftTokens of [5, 8]) {
      const priced = model.cost(1, draftTokens);
      const truth = 0.9 * draftTokens - 0.5;
      assert.ok(Math.abs(priced - truth) < 0.1 * truth, `${draftTokens} draft tokens priced at ${priced.toFixed(2)}, truth ${truth}`);
    }
  });

  test("a pinned term keeps its value and the others are fitted around it", () => {
    // y = 2 + 3x at x = 0…4; with the slope pinned at 1, the best intercept is the mean of y − x = 6.
    const fit = new DecayedLeastSquares(2, 1);
    for (let x = 0; x <= 4; x++) fit.add([1, x], 2 + 3 * x);
    const free = fit.solve([0, 0], 1e-9);
    assert.ok(free && Math.abs((free[0] ?? NaN) - 2) < 1e-6 && Math.abs((free[1] ?? NaN) - 3) < 1e-6, `free fit ${String(free)}`);
    const pinned = fit.solve([0, 0], 1e-9, new Map([[1, 1]]));
    assert.ok(pinned && Math.abs((pinned[0] ?? NaN) - 6) < 1e-6 && pinned[1] === 1, `fit with the slope pinned at 1: ${String(pinned)}`);
  });

  test("the solver pivots past a zero on the diagonal and refuses a singular system", () => {
    // 0·x + 2·y = 4, 3·x + 1·y = 5 → x = 1, y = 2 (needs a row swap).
    const solution = solveLinear([0, 2, 3, 1], [4, 5]);
    assert.ok(solution);
    assert.ok(Math.abs((solution[0] ?? NaN) - 1) < 1e-12 && Math.abs((solution[1] ?? NaN) - 2) < 1e-12, `solution ${String(solution)}`);
    assert.equal(solveLinear([1, 2, 2, 4], [1, 2]), undefined);
  });
  test("a decode's opening of ever deeper drafts, then plain calls, prices drafts at what they cost (a recorded decode)", () => {
    // The first 40 calls of a decode at N = 1, T = 0 on the embedded model on a 2-core CPU (draft
    // tokens, milliseconds): drafts on every call, deeper and deeper, each new depth's first call
    // allocating for it (the first 8-token draft 4.7 ms, the next 2.5), then plain calls. Replayed
    // from a session whose budget then stopped drafting for 600 calls: it priced a one-token draft
    // at 4.1 plain calls and a four-token one at 8.1. Measured on that machine: 1.44 and 2.7.
    const recorded: readonly (readonly [number, number])[] = [
      [2, 1.057],
      [2, 0.923],
      [3, 1.211],
      [2, 0.988],
      [3, 1.185],
      [4, 1.47],
      [2, 0.999],
      [1, 0.805],
      [2, 1.077],
      [5, 1.773],
      [5, 1.716],
      [6, 1.91],
      [7, 2.068],
      [8, 4.71],
      [8, 2.468],
      [4, 1.683],
      [0, 0.874],
      [0, 0.733],
      [0, 0.752],
      [0, 0.679],
      [0, 0.539],
      [0, 0.523],
      [0, 0.514],
      [0, 0.496],
      [0, 0.57],
      [0, 0.516],
      [0, 0.502],
      [0, 0.546],
      [0, 0.505],
      [0, 0.526],
      [0, 0.565],
      [0, 0.514],
      [0, 0.578],
      [0, 0.514],
      [0, 0.502],
      [0, 0.543],
      [0, 0.531],
      [0, 0.524],
      [0, 0.532],
      [0, 0.521],
    ];
    const model = new CallCostModel();
    for (const [draftTokens, milliseconds] of recorded) model.record(1, draftTokens, milliseconds);
    const price = model.estimator();
    const one = price(1, 1) / price(1, 0);
    const four = price(1, 4) / price(1, 0);
    assert.ok(one < 2, `the plan prices a one-token draft at ${one.toFixed(2)}× a plain call (measured 1.44×)`);
    assert.ok(four < 3.5, `the plan prices a four-token draft at ${four.toFixed(2)}× a plain call (measured 2.7×)`);
  });

  test("the first plain calls after an opening of drafts teach the fit what a plain call costs, not the load", () => {
    // A call with k draft tokens costs 1.2 + 0.2 k ms, a plain call 0.5: the opening's drafts
    // alone cannot say how much of their 1.2 ms a plain call pays. Had the load moved on the first
    // plain calls, it would have taken the fit's error for a faster machine and kept the fit's
    // split, pricing drafts against a plain call the fit still had wrong.
    const model = new CallCostModel();
    for (const depth of [2, 3, 4, 5, 6, 7, 8, 4, 6, 8, 3, 5, 7, 2, 8, 6, 4, 5, 3, 7]) model.record(1, depth, 1.2 + 0.2 * depth);
    for (let i = 0; i < 40; i++) model.record(1, 0, 0.5);
    const four = model.cost(1, 4) / model.cost(1, 0);
    assert.ok(Math.abs(four - 4) < 0.4, `a four-token draft costs ${four.toFixed(2)}× a plain call (truth 4×)`);
  });

  test("a fit whose opening drafts price plain calls at nothing recovers from the plain calls after them, and the load stays bounded", () => {
    // An opening of draft calls only (as a decode's first steps draft on every call), one of them
    // building its graph, whose costs a line fits with a plain call at nothing. Each later plain
    // call was clipped to twice that, the load followed them up without end (to 500 000), and a
    // one-token draft was priced at 600 000 plain calls: the budget never drafted again.
    const opening: readonly (readonly [number, number])[] = [
      [1, 0.9],
      [2, 1.0],
      [2, 0.95],
      [3, 1.1],
      [4, 5.4],
      [6, 6.5],
      [8, 8.0],
      [8, 7.8],
      [4, 3.2],
      [2, 1.0],
      [8, 8.1],
      [6, 6.0],
      [4, 3.1],
      [8, 7.9],
      [3, 2.0],
      [8, 8.0],
    ];
    const model = new CallCostModel();
    for (const [draftTokens, milliseconds] of opening) model.record(1, draftTokens, milliseconds);
    // Then plain calls of about 0.5 ms and, every sixteenth call, a one-token draft of 0.75 ms.
    for (let i = 0; i < 400; i++) model.record(1, i % 16 === 15 ? 1 : 0, i % 16 === 15 ? 0.75 : 0.5 + 0.02 * (i % 3));
    const plain = model.cost(1, 0);
    assert.ok(plain > 0.35 && plain < 0.7, `a plain call is priced at ${plain.toPrecision(3)} ms (truth 0.5)`);
    const price = model.estimator();
    const planned = price(1, 1) / price(1, 0);
    // The opening's drafts cost up to 1 ms a token, the last ones 0.25: the fit may still remember them.
    assert.ok(planned < 20, `the plan prices a one-token draft at ${planned.toPrecision(3)}× a plain call`);
  });
});

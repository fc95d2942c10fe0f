import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AcceptanceEstimator,
  DraftTree,
  Evidence,
  overlap,
  Random,
  reachOf,
  verifyDraft,
  type SparseDistribution,
} from "../../language-server/src/stand";
import { accepting, chain } from "../support/budgetFixtures";

const tuning = { prior: 0.6, priorWeight: 2, decay: 0.995 };
const kind = (description: string): Evidence => Evidence.of("acceptance test", description);

describe("acceptance estimator", () => {
  test("learns a rate per kind of evidence and depth; a depth never reached goes as the one before, an unseen kind as the prior", () => {
    const estimator = new AcceptanceEstimator(tuning);
    const twoSure = kind("two sure tokens");
    // With this evidence the first two levels are always accepted and the third never.
    for (let i = 0; i < 300; i++) estimator.record(twoSure, chain(4), accepting(2));
    assert.ok(estimator.estimate(twoSure, 1) > 0.95);
    assert.ok(estimator.estimate(twoSure, 2) > 0.95);
    assert.ok(estimator.estimate(twoSure, 3) < 0.05);
    assert.ok(estimator.estimate(twoSure, 4) < 0.05, "a depth never reached is expected to go as the one before it");
    assert.equal(estimator.estimate(kind("unseen"), 1), tuning.prior, "an unseen kind of evidence is at the prior");
    assert.equal(estimator.estimate(Evidence.of("another source", "two sure tokens"), 1), tuning.prior, "kinds are told apart by source");
    assert.equal(kind("two sure tokens"), twoSure, "one object per source and description");
  });

  test("reach multiplies the rates down the draft", () => {
    assert.deepEqual(reachOf([1, 0.5, 0.5, 0.2]), [1, 0.5, 0.25, 0.05]);
    const estimator = new AcceptanceEstimator(tuning);
    const evidence = kind("mixed");
    for (let i = 0; i < 300; i++) estimator.record(evidence, chain(3), accepting(i % 2 === 0 ? 3 : 1));
    const rates = estimator.rates(evidence, 3);
    const reach = estimator.reach(evidence, 3);
    reach.forEach((value, depth) => {
      assert.ok(Math.abs(value - rates.slice(0, depth + 1).reduce((a, b) => a * b, 1)) < 1e-12);
    });
  });

  test("a kind's first-depth rate is learned from steps that did not draft", () => {
    const estimator = new AcceptanceEstimator(tuning);
    const evidence = kind("undrafted");
    for (let i = 0; i < 400; i++) estimator.recordUndrafted(evidence, 0.2);
    assert.ok(Math.abs(estimator.estimate(evidence, 1) - 0.2) < 0.02, `estimate ${estimator.estimate(evidence, 1)}`);
    assert.ok(estimator.tries(evidence, 1) > 100);
    assert.ok(Math.abs(estimator.estimate(evidence, 2) - 0.2) < 0.02, "until drafted, a deeper depth is expected to go as the first");
    assert.ok((estimator.bestRates(2)[1] ?? 0) >= tuning.prior, "the best rate still counts kinds not seen yet");
  });

  test("what a step that did not draft teaches: a one-token draft from q is accepted with probability overlap(p, q)", () => {
    const p: SparseDistribution = { tokens: Int32Array.of(1, 2, 3), probs: Float64Array.of(0.5, 0.3, 0.2) };
    const q: SparseDistribution = { tokens: Int32Array.of(2, 3, 4), probs: Float64Array.of(0.6, 0.3, 0.1) };
    assert.ok(Math.abs(overlap(p, q) - 0.5) < 1e-12); // min(.3,.6) + min(.2,.3) + 0
    const random = new Random(11);
    const trials = 20000;
    let accepted = 0;
    for (let i = 0; i < trials; i++) {
      const draft = new DraftTree([0]);
      const token = random.next() < 0.6 ? 2 : random.next() < 0.75 ? 3 : 4;
      draft.addChild(0, token, 1);
      draft.childDistributions[0] = q;
      accepted += verifyDraft(draft, [p, p], random).acceptedCount;
    }
    const sigma = Math.sqrt((0.5 * 0.5) / trials);
    assert.ok(Math.abs(accepted / trials - 0.5) < 4 * sigma, `accepted ${accepted / trials}`);
  });
});

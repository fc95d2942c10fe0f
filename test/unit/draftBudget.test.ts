import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AcceptanceEstimator, CallCostModel, DraftBudget, DraftShape, DraftTree, NO_DRAFT, type Verification } from "../../language-server/src/stand";

/** A chain draft of `length` tokens. */
function chain(length: number): DraftTree {
  const tree = new DraftTree([1, 2, 3]);
  for (let i = 0, node = 0; i < length; i++) node = tree.addChild(node, 10 + i, i + 1);
  return tree;
}

/** A verification of a chain that accepted its first `accepted` tokens. */
function accepting(accepted: number): Verification {
  const acceptedNodes = Array.from({ length: accepted }, (_, i) => i + 1);
  return { tokens: [...acceptedNodes.map((node) => 9 + node), 0], acceptedCount: accepted, acceptedNodes };
}

function costModel(truth: (sequences: number, drafts: number) => number, sequences: number[]): CallCostModel {
  const model = new CallCostModel();
  for (let i = 0; i < 200; i++) {
    const n = sequences[i % sequences.length]!;
    const drafts = (i >> 1) % 9;
    model.record(n, drafts, truth(n, drafts));
  }
  return model;
}

describe("draft budget", () => {
  test("the cost model recovers a call cost with a batching step from its observations", () => {
    const truth = (sequences: number, drafts: number): number => 0.4 + 0.6 * sequences + 0.25 * drafts + (sequences + drafts > 1 ? 1.5 : 0);
    const model = costModel(truth, [1, 4]);
    for (const [sequences, drafts] of [[1, 0], [1, 1], [1, 6], [4, 0], [4, 12]] as const) {
      const estimate = model.cost(sequences, drafts);
      assert.ok(Math.abs(estimate - truth(sequences, drafts)) < 0.05 * truth(sequences, drafts), `cost(${sequences}, ${drafts}) = ${estimate}, truth ${truth(sequences, drafts)}`);
    }
  });

  test("the acceptance estimator learns a rate per evidence and depth", () => {
    const estimator = new AcceptanceEstimator();
    // With evidence 5 the first two levels are always accepted and the third never.
    for (let i = 0; i < 300; i++) estimator.record(5, chain(4), accepting(2));
    assert.ok(estimator.estimate(5, 1) > 0.95);
    assert.ok(estimator.estimate(5, 2) > 0.95);
    assert.ok(estimator.estimate(5, 3) < 0.05);
    assert.equal(estimator.estimate(5, 4), 0.75, "a depth never reached keeps the optimistic prior");
    assert.equal(estimator.estimate(6, 1), 0.75, "so does an unseen kind of evidence");
  });

  test("drafts nothing when drafts cannot pay, the whole chain when they are sure and cheap", () => {
    const sure = new AcceptanceEstimator();
    for (let i = 0; i < 500; i++) sure.record(7, chain(6), accepting(6));
    const shape = DraftShape.chain(6);
    const cheap = new DraftBudget({ acceptance: sure, cost: costModel((n, d) => n + 0.02 * d, [1]) });
    assert.deepEqual(cheap.plan([7], shape), [6]);
    const expensive = new DraftBudget({ acceptance: sure, cost: costModel((n, d) => n + 2 * d, [1]) });
    assert.deepEqual(expensive.plan([7], shape), [0]);
    assert.deepEqual(cheap.plan([NO_DRAFT], shape), [0], "no evidence, no draft");
  });

  test("stops where acceptance falls off, and spends a batch on the trajectories with the best evidence", () => {
    const estimator = new AcceptanceEstimator();
    for (let i = 0; i < 500; i++) {
      estimator.record(1, chain(6), accepting(3)); // evidence 1: three sure tokens, then nothing
      estimator.record(2, chain(6), accepting(0)); // evidence 2: never accepted
    }
    const budget = new DraftBudget({ acceptance: estimator, cost: costModel((n, d) => 1 + n + 0.4 * d, [2]) });
    assert.deepEqual(budget.plan([1, 2], DraftShape.chain(6)), [3, 0]);
  });

  test("looks past an expensive first draft token when a longer draft pays for it", () => {
    const estimator = new AcceptanceEstimator();
    for (let i = 0; i < 500; i++) estimator.record(3, chain(4), accepting(4));
    // One draft token costs as much as a whole step more; each further one is cheap.
    const budget = new DraftBudget({ acceptance: estimator, cost: costModel((n, d) => n + (d > 0 ? 1 + 0.05 * d : 0), [1]) });
    assert.deepEqual(budget.plan([3], DraftShape.chain(4)), [4]);
  });

  test("with a shared depth, every trajectory that can draft drafts one depth, priced for the whole padded batch", () => {
    const estimator = new AcceptanceEstimator();
    for (let i = 0; i < 500; i++) {
      estimator.record(1, chain(6), accepting(3)); // three sure tokens, then nothing
      estimator.record(2, chain(6), accepting(1)); // one sure token
    }
    // Cheap padded tokens: the depth that serves evidence 1 is worth it for all.
    const cheap = new DraftBudget({ acceptance: estimator, cost: costModel((n, d) => 1 + n + 0.05 * d, [3]), sharedDepth: true });
    assert.deepEqual(cheap.plan([1, 2, NO_DRAFT], DraftShape.chain(6)), [3, 3, 0]);
    // Where a padded token costs about a step, the second and third tokens (worth one trajectory's
    // gain, paid for three) do not pay, but the first (sure for two of three) still does.
    const dear = new DraftBudget({ acceptance: estimator, cost: costModel((n, d) => 1 + n + 0.45 * d, [3]), sharedDepth: true });
    assert.deepEqual(dear.plan([1, 2, NO_DRAFT], DraftShape.chain(6)), [1, 1, 0]);
    assert.deepEqual(dear.plan([NO_DRAFT, NO_DRAFT, NO_DRAFT], DraftShape.chain(6)), [0, 0, 0]);
  });

  test("with a shared depth, a call is recorded at the longest draft's length for every trajectory", () => {
    const recorded: [number, number][] = [];
    const cost = { record: (sequences: number, drafts: number) => void recorded.push([sequences, drafts]), estimator: () => (sequences: number) => sequences };
    const verifications = [accepting(1), accepting(0), accepting(0)];
    new DraftBudget({ cost, sharedDepth: true }).record([1, 1, NO_DRAFT], [chain(3), chain(1), chain(0)], verifications, 5);
    new DraftBudget({ cost }).record([1, 1, NO_DRAFT], [chain(3), chain(1), chain(0)], verifications, 5);
    assert.deepEqual(recorded, [
      [3, 9],
      [3, 4],
    ]);
  });
});

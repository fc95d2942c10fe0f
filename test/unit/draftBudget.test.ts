import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AcceptanceEstimator,
  CallCostModel,
  Decoder,
  DraftBudget,
  DraftShape,
  DraftTree,
  NgramTable,
  NO_DRAFT,
  overlap,
  Random,
  standDrafter,
  verifyDraft,
  type Drafter,
  type SparseDistribution,
  type Verification,
} from "../../language-server/src/stand";
import { MarkovTarget } from "../../fixtures/markovTarget";

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

/** Draft tokens per call in the calls a cost model observes: runs of one shape, and changes of shape. */
const DRAFT_PATTERN = [0, 0, 0, 3, 3, 0, 1, 0, 0, 6, 6, 6, 0, 2, 0, 0, 8, 1, 1, 0];

/** A cost model that has observed 240 calls priced by `truth`, told whether a call's shape differs from the one before. */
function costModel(truth: (sequences: number, drafts: number, reshaped: boolean) => number, sequences: number[]): CallCostModel {
  const model = new CallCostModel();
  let previous: string | undefined;
  for (let i = 0; i < 240; i++) {
    const n = sequences[Math.floor(i / 30) % sequences.length]!;
    const drafts = DRAFT_PATTERN[i % DRAFT_PATTERN.length]!;
    const shape = `${n} ${drafts}`;
    model.record(n, drafts, truth(n, drafts, previous !== undefined && shape !== previous));
    previous = shape;
  }
  return model;
}

describe("draft budget", () => {
  test("the cost model recovers a call cost with a batching step and a price for a change of shape", () => {
    const truth = (sequences: number, drafts: number, reshaped = false): number =>
      0.4 + 0.6 * sequences + 0.25 * drafts + (sequences + drafts > 1 ? 1.5 : 0) + (reshaped ? 0.3 : 0);
    const model = costModel(truth, [1, 4]);
    const close = (estimate: number, expected: number, what: string): void =>
      assert.ok(Math.abs(estimate - expected) < 0.05 * expected, `${what} = ${estimate}, truth ${expected}`);
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

  test("the acceptance estimator learns a rate per evidence and depth", () => {
    const estimator = new AcceptanceEstimator();
    // With evidence 5 the first two levels are always accepted and the third never.
    for (let i = 0; i < 300; i++) estimator.record(5, chain(4), accepting(2));
    assert.ok(estimator.estimate(5, 1) > 0.95);
    assert.ok(estimator.estimate(5, 2) > 0.95);
    assert.ok(estimator.estimate(5, 3) < 0.05);
    assert.ok(estimator.estimate(5, 4) < 0.05, "a depth never reached is expected to go as the one before it");
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
    const cost = {
      record: (sequences: number, drafts: number) => void recorded.push([sequences, drafts]),
      estimator: () => (sequences: number) => sequences,
    };
    const verifications = [accepting(1), accepting(0), accepting(0)];
    new DraftBudget({ cost, sharedDepth: true }).record([1, 1, NO_DRAFT], [chain(3), chain(1), chain(0)], verifications, 5);
    new DraftBudget({ cost }).record([1, 1, NO_DRAFT], [chain(3), chain(1), chain(0)], verifications, 5);
    assert.deepEqual(recorded, [
      [3, 9],
      [3, 4],
    ]);
  });

  test("a kind's first-depth rate is learned from steps that did not draft", () => {
    const estimator = new AcceptanceEstimator();
    for (let i = 0; i < 400; i++) estimator.recordUndrafted(4, 0.2);
    assert.ok(Math.abs(estimator.estimate(4, 1) - 0.2) < 0.02, `estimate ${estimator.estimate(4, 1)}`);
    assert.ok(estimator.tries(4, 1) > 100);
    assert.ok(Math.abs(estimator.estimate(4, 2) - 0.2) < 0.02, "until drafted, a deeper depth is expected to go as the first");
    assert.ok(estimator.bestEstimates(2)[1]! >= 0.75, "the best estimate still counts kinds not seen yet");
  });

  test("a one-token draft from q is accepted with probability overlap(p, q)", () => {
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

  test("asks for no evidence when no draft could pay, except on exploring steps", () => {
    const shape = DraftShape.chain(4);
    const expensive = new DraftBudget({ cost: costModel((n, d) => n + 2 * d, [1]) });
    const asked: boolean[] = [];
    for (let step = 0; step < 32; step++) {
      asked.push(expensive.needsEvidence(1, shape));
      expensive.record([NO_DRAFT], [chain(0)], [accepting(0)], 1);
    }
    assert.deepEqual(
      asked.flatMap((ask, step) => (ask ? [step] : [])),
      [15, 31],
      "only every 16th step assesses",
    );
    const sure = new AcceptanceEstimator();
    for (let i = 0; i < 500; i++) sure.record(7, chain(4), accepting(4));
    const cheap = new DraftBudget({ acceptance: sure, cost: costModel((n, d) => n + 0.02 * d, [1]) });
    assert.equal(cheap.needsEvidence(1, shape), true);
  });

  test("an exploring step drafts the likely depths, and with a shared depth one token each, which is all pricing needs", () => {
    const sure = new AcceptanceEstimator();
    for (let i = 0; i < 500; i++) sure.record(7, chain(4), accepting(4));
    const exploringPlan = (sharedDepth: boolean): number[] => {
      const budget = new DraftBudget({ acceptance: sure, cost: costModel((n, d) => n + 2 * d, [3]), sharedDepth });
      const plain = [chain(0), chain(0), chain(0)];
      for (let step = 0; step < 14; step++)
        budget.record([NO_DRAFT, NO_DRAFT, NO_DRAFT], plain, [accepting(0), accepting(0), accepting(0)], 3);
      assert.deepEqual(budget.plan([7, 7, NO_DRAFT], DraftShape.chain(4)), [0, 0, 0], "a step before the exploring one drafts nothing");
      budget.record([NO_DRAFT, NO_DRAFT, NO_DRAFT], plain, [accepting(0), accepting(0), accepting(0)], 3);
      return budget.plan([7, 7, NO_DRAFT], DraftShape.chain(4));
    };
    assert.deepEqual(exploringPlan(false), [4, 4, 0]);
    assert.deepEqual(exploringPlan(true), [1, 1, 0]);
  });

  test("where drafts cannot pay, the decoder assesses only on exploring steps and stays lossless in what it commits", async () => {
    const target = new MarkovTarget({ vocabularySize: 16, order: 2, support: 4, logitScale: 3, seed: 5 });
    const stand = standDrafter(new NgramTable());
    let assessed = 0;
    const counting: Drafter = {
      name: stand.name,
      assess: (context, temperature) => (assessed++, stand.assess(context, temperature)),
      draft: (request) => stand.draft(request),
      acceptanceIfDrafted: (context, p, temperature) => stand.acceptanceIfDrafted(context, p, temperature),
      learn: (draft, distributions, temperature) => stand.learn(draft, distributions, temperature),
    };
    // Every draft token costs ten steps, as measured, and the cost model has seen it.
    const cost = costModel((n, d) => n + 10 * d, [1]);
    const budget = new DraftBudget({ cost });
    for (let i = 0; i < 16; i++) budget.record([1], [chain(2)], [accepting(1)], 21);
    const result = await new Decoder({ target, drafter: counting, shape: DraftShape.chain(6), budget }).decode({
      prompts: [[1, 2, 3]],
      maxTokens: 160,
      sampling: { temperature: 1, topK: 0, topP: 1, minP: 0 },
      seed: 9,
    });
    assert.equal(result.statistics.tokens, 160);
    assert.equal(result.statistics.drafted, 0, "nothing drafted: every draft would cost more than it brings");
    assert.ok(assessed > 0 && assessed <= 11, `assessed on ${assessed} of 160 steps`);
  });
});

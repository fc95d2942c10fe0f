import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AcceptanceEstimator,
  BUDGET_TUNING,
  Decoder,
  DraftBudget,
  DraftShape,
  Evidence,
  NgramTable,
  standDrafter,
  type CallCost,
  type Drafter,
} from "../../language-server/src/stand";
import { MarkovTarget } from "../../fixtures/markovTarget";
import { accepting, chain, costModel } from "../support/budgetFixtures";

const kind = (description: string): Evidence => new Evidence("test", description);

/** An estimator that has seen `samples` drafts of each kind accepted to the given depth. */
function estimatorWith(...kinds: [Evidence, number, number][]): AcceptanceEstimator {
  const estimator = new AcceptanceEstimator();
  for (let i = 0; i < 500; i++)
    for (const [evidence, length, accepted] of kinds) estimator.record(evidence, chain(length), accepting(accepted));
  return estimator;
}

describe("draft budget: the plan", () => {
  test("drafts nothing when drafts cannot pay, the whole chain when they are sure and cheap", () => {
    const sure = kind("sure");
    const acceptance = estimatorWith([sure, 6, 6]);
    const shape = DraftShape.chain(6);
    const cheap = new DraftBudget({ acceptance, cost: costModel((n, d) => n + 0.02 * d, [1]) });
    assert.deepEqual(cheap.plan([sure], shape), [6]);
    const expensive = new DraftBudget({ acceptance, cost: costModel((n, d) => n + 2 * d, [1]) });
    assert.deepEqual(expensive.plan([sure], shape), [0]);
    assert.deepEqual(cheap.plan([undefined], shape), [0], "no evidence, no draft");
  });

  test("stops where acceptance falls off, and spends a batch on the trajectories with the best evidence", () => {
    const threeSure = kind("three sure tokens, then nothing");
    const never = kind("never accepted");
    const budget = new DraftBudget({
      acceptance: estimatorWith([threeSure, 6, 3], [never, 6, 0]),
      cost: costModel((n, d) => 1 + n + 0.4 * d, [2]),
    });
    assert.deepEqual(budget.plan([threeSure, never], DraftShape.chain(6)), [3, 0]);
  });

  test("looks past an expensive first draft token when a longer draft pays for it", () => {
    const sure = kind("sure");
    // One draft token costs as much as a whole step more; each further one is cheap.
    const budget = new DraftBudget({
      acceptance: estimatorWith([sure, 4, 4]),
      cost: costModel((n, d) => n + (d > 0 ? 1 + 0.05 * d : 0), [1]),
    });
    assert.deepEqual(budget.plan([sure], DraftShape.chain(4)), [4]);
  });

  test("with a padding target, every trajectory that can draft drafts one depth, priced for the whole padded batch", () => {
    const threeSure = kind("three sure tokens, then nothing");
    const oneSure = kind("one sure token");
    const acceptance = estimatorWith([threeSure, 6, 3], [oneSure, 6, 1]);
    // Cheap padded tokens: the depth that serves the three-token kind is worth it for all.
    const cheap = new DraftBudget({ acceptance, cost: costModel((n, d) => 1 + n + 0.05 * d, [3]), padsToLongestDraft: true });
    assert.deepEqual(cheap.plan([threeSure, oneSure, undefined], DraftShape.chain(6)), [3, 3, 0]);
    // Where a padded token costs about a step, the second and third tokens (worth one trajectory's
    // gain, paid for three) do not pay, but the first (sure for two of three) still does.
    const dear = new DraftBudget({ acceptance, cost: costModel((n, d) => 1 + n + 0.45 * d, [3]), padsToLongestDraft: true });
    assert.deepEqual(dear.plan([threeSure, oneSure, undefined], DraftShape.chain(6)), [1, 1, 0]);
    assert.deepEqual(dear.plan([undefined, undefined, undefined], DraftShape.chain(6)), [0, 0, 0]);
  });

  test("with a padding target, a call is recorded at the longest draft's length for every trajectory", () => {
    const recorded: [number, number][] = [];
    const cost = {
      record: (sequences: number, drafts: number) => {
        recorded.push([sequences, drafts]);
      },
      estimator: () => (sequences: number) => sequences,
    };
    const evidence = [kind("a"), kind("b"), undefined];
    const verifications = [accepting(1), accepting(0), accepting(0)];
    new DraftBudget({ cost, padsToLongestDraft: true }).record(evidence, [chain(3), chain(1), chain(0)], verifications, 5);
    new DraftBudget({ cost }).record(evidence, [chain(3), chain(1), chain(0)], verifications, 5);
    assert.deepEqual(recorded, [
      [3, 9],
      [3, 4],
    ]);
  });
});

describe("draft budget: exploring", () => {
  const plainStep = (budget: DraftBudget, trajectories: number): void => {
    const none = Array.from({ length: trajectories }, () => undefined);
    budget.record(
      none,
      none.map(() => chain(0)),
      none.map(() => accepting(0)),
      trajectories,
    );
  };

  test("after a run of draft calls, two steps draft nothing, so that drafts stay priced against plain calls", () => {
    const sure = kind("sure");
    const { plainInterval } = BUDGET_TUNING.planning;
    const budget = new DraftBudget({ acceptance: estimatorWith([sure, 4, 4]), cost: costModel((n, d) => n + 0.02 * d, [1]) });
    const shape = DraftShape.chain(4);
    const planned: number[] = [];
    for (let step = 0; step < plainInterval + 3; step++) {
      const depth = budget.plan([sure], shape)[0] ?? 0;
      planned.push(depth);
      budget.record([sure], [chain(depth)], [accepting(depth)], 1 + 0.02 * depth);
    }
    assert.ok(
      planned.slice(0, plainInterval).every((depth) => depth > 0),
      `planned ${planned.join(" ")}`,
    );
    assert.deepEqual(planned.slice(plainInterval), [0, 0, 4], `planned ${planned.join(" ")}`);
    assert.equal(budget.needsEvidence(1, shape), true, "drafting again");
  });

  test("asks for no evidence when no draft could pay, except on exploring steps", () => {
    const shape = DraftShape.chain(4);
    const tuning = { ...BUDGET_TUNING.planning, explorationInterval: 8 };
    const expensive = new DraftBudget({ cost: costModel((n, d) => n + 2 * d, [1]), tuning });
    const asked: number[] = [];
    for (let step = 0; step < 32; step++) {
      if (expensive.needsEvidence(1, shape)) asked.push(step);
      plainStep(expensive, 1);
    }
    assert.deepEqual(asked, [7, 15, 23, 31], "every 8th step assesses");
    const sure = kind("sure");
    const cheap = new DraftBudget({ acceptance: estimatorWith([sure, 4, 4]), cost: costModel((n, d) => n + 0.02 * d, [1]) });
    assert.equal(cheap.needsEvidence(1, shape), true);
  });

  test("asks for evidence wherever a plan with the best evidence would draft: a long draft can pay where one token does not", () => {
    // A CPU's first draft token costs most (a one-token batch takes a faster path): one token
    // costs 2.3 calls and brings at most one, four cost 2.6 calls and bring up to four.
    const shape = DraftShape.chain(4);
    const sure = kind("sure");
    const budget = new DraftBudget({
      acceptance: estimatorWith([sure, 4, 4]),
      cost: costModel((n, d) => n + (n + d > 1 ? 1.2 : 0) + 0.1 * d, [1]),
    });
    const [depth] = budget.plan([sure], shape);
    assert.ok((depth ?? 0) >= 3, `the plan drafts ${String(depth)} tokens`);
    assert.equal(budget.needsEvidence(1, shape), true);
  });

  test("an exploring step drafts the likely depths, and with a padding target one token each, which is all pricing needs", () => {
    const sure = kind("sure");
    const acceptance = estimatorWith([sure, 4, 4]);
    const { explorationInterval } = BUDGET_TUNING.planning;
    const exploringPlan = (padsToLongestDraft: boolean): number[] => {
      const budget = new DraftBudget({ acceptance, cost: costModel((n, d) => n + 2 * d, [3]), padsToLongestDraft });
      for (let step = 0; step < explorationInterval - 2; step++) plainStep(budget, 3);
      assert.deepEqual(
        budget.plan([sure, sure, undefined], DraftShape.chain(4)),
        [0, 0, 0],
        "a step before the exploring one drafts nothing",
      );
      plainStep(budget, 3);
      return budget.plan([sure, sure, undefined], DraftShape.chain(4));
    };
    assert.deepEqual(exploringPlan(false), [4, 4, 0]);
    assert.deepEqual(exploringPlan(true), [1, 1, 0]);
  });

  test("where drafts cannot pay, the decoder drafts nothing and asks the drafter for evidence only on exploring steps", async () => {
    const target = new MarkovTarget({ vocabularySize: 16, order: 2, support: 4, logitScale: 3, seed: 5 });
    const stand = standDrafter(new NgramTable());
    let assessed = 0;
    const counting: Drafter = {
      name: stand.name,
      assess: (context, temperature) => {
        assessed++;
        return stand.assess(context, temperature);
      },
      draft: (request) => stand.draft(request),
      acceptanceIfDrafted: (context, p, temperature) => stand.acceptanceIfDrafted(context, p, temperature),
      learn: (draft, distributions, temperature) => {
        stand.learn(draft, distributions, temperature);
      },
    };
    // Every draft token costs ten steps. The prices are fixed rather than learned: the decoder
    // times this synthetic target's calls by the wall clock, which on a busy machine makes any
    // shape look as cheap as any other (the test failed that way under load).
    const tenStepsPerDraft: CallCost = { record: () => undefined, estimator: () => (n, d) => n + 10 * d };
    const budget = new DraftBudget({ cost: tenStepsPerDraft });
    const { explorationInterval, pricedDraftCalls } = BUDGET_TUNING.planning;
    for (let i = 0; i < pricedDraftCalls; i++) budget.record([kind("seen")], [chain(2)], [accepting(1)], 21);
    const tokens = 160;
    const result = await new Decoder({ target, drafter: counting, shape: DraftShape.chain(6), budget }).decode({
      prompts: [[1, 2, 3]],
      maxTokens: tokens,
      sampling: { temperature: 1, topK: 0, topP: 1, minP: 0 },
      seed: 9,
    });
    assert.equal(result.statistics.tokens, tokens);
    assert.equal(result.statistics.drafted, 0, "nothing drafted: every draft would cost more than it brings");
    // One token per step; the budget had recorded pricedDraftCalls steps before the decode.
    const exploring = Array.from({ length: tokens }, (_, step) => pricedDraftCalls + step).filter(
      (steps) => steps % explorationInterval === explorationInterval - 1,
    ).length;
    assert.ok(exploring > 0);
    assert.equal(assessed, exploring, `assessed on ${assessed} of ${tokens} steps`);
  });
});

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
  pointMass,
  type CallCost,
  type Drafter,
  type TargetModel,
  type Tuning,
} from "../../language-server/src/stand";
import { MarkovTarget } from "../../fixtures/markovTarget";
import { accepting, chain, costModel } from "../support/budgetFixtures";

const kind = (description: string): Evidence => Evidence.of("draft budget test", description);

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

describe("draft budget: resting", () => {
  /** Counts how often the budget asks for the best rates of any evidence: once each time needsEvidence works its answer out. */
  class CountingEstimator extends AcceptanceEstimator {
    bestRatesAsked = 0;
    override bestRates(maxDepth: number): readonly number[] {
      this.bestRatesAsked++;
      return super.bestRates(maxDepth);
    }
  }
  /** Drafts at 0.3 of a call per token: the prior's odds pay, a kind seen to fail does not. */
  const cheapDrafts: CallCost = { record: () => undefined, estimator: () => (n, d) => n + 0.3 * d };
  const neverExploring = { ...BUDGET_TUNING.planning, explorationInterval: Number.MAX_SAFE_INTEGER };
  const { restAfter, maxRestGap } = BUDGET_TUNING.planning;

  test("while steps that could draft do not, whether evidence could pay is worked out ever more rarely, up to maxRestGap apart; a draft ends the rest", () => {
    const acceptance = new CountingEstimator();
    const budget = new DraftBudget({ acceptance, cost: cheapDrafts, tuning: neverExploring });
    const shape = DraftShape.chain(4);
    const workedOut = (steps: number): number[] => {
      const worked: number[] = [];
      for (let step = 0; step < steps; step++) {
        const asked = acceptance.bestRatesAsked;
        assert.equal(budget.needsEvidence(1, shape), true, "the prior's odds pay at these prices, resting or not");
        if (acceptance.bestRatesAsked > asked) worked.push(step);
        budget.record([undefined], [chain(0)], [accepting(0)], 1);
      }
      return worked;
    };
    const resting = workedOut(120);
    const gaps = resting.slice(1).map((step, i) => step - (resting[i] ?? 0));
    assert.deepEqual(
      resting.slice(0, restAfter),
      Array.from({ length: restAfter }, (_, step) => step),
      "every step at first",
    );
    assert.ok(
      gaps.every((gap, i) => gap >= (gaps[i - 1] ?? 1) && gap <= maxRestGap),
      `gaps ${gaps.join(" ")}`,
    );
    assert.equal(gaps[gaps.length - 1], maxRestGap, `gaps ${gaps.join(" ")}`);
    assert.ok(resting.length <= restAfter + Math.log2(maxRestGap) + 120 / maxRestGap, `worked out on ${resting.length} of 120 steps`);

    budget.record([kind("sure")], [chain(2)], [accepting(2)], 1.6);
    assert.deepEqual(
      workedOut(restAfter),
      Array.from({ length: restAfter }, (_, step) => step),
      "every step again after a draft",
    );
  });

  test("on a decode whose text turns repetitive midway, the budget works less per step while nothing drafts, and drafts again as soon as without resting", async () => {
    // Point masses: the next token is a hash of the position and the last token (text no table
    // predicts) for the first `switchAt` tokens, then a cycle of five tokens.
    const switchAt = 160;
    const promptLength = 3;
    const nextToken = (position: number, last: number): number =>
      position < promptLength + switchAt ? 100 + ((Math.imul(position * 7919 + last, 0x9e3779b1) >>> 0) % 100_000) : 1 + (position % 5);
    const target: TargetModel = {
      capabilities: { trees: true, padsToLongestDraft: false },
      evaluate: (requests, _sampling, options) => {
        options?.meanwhile?.();
        return Promise.resolve(
          requests.map(({ context, draft }) =>
            Array.from({ length: draft.size }, (_, node) => {
              const depth = draft.depths[node] ?? 0;
              const last = node === 0 ? (context[context.length - 1] ?? 0) : (draft.tokens[node] ?? 0);
              return pointMass(nextToken(context.length + depth, last));
            }),
          ),
        );
      },
    };
    /** One step of a decode: the tokens generated before it, whether it worked out needsEvidence, whether it drafted. */
    type Step = { generated: number; worked: boolean; drafted: boolean };
    /** One decode from a new budget, and its steps. */
    const decode = async (tuning: Tuning<"planning">): Promise<{ tokens: number[]; steps: Step[] }> => {
      const acceptance = new CountingEstimator();
      const budget = new DraftBudget({ acceptance, cost: cheapDrafts, tuning });
      const steps: Step[] = [];
      let generated = 0;
      let asked = 0;
      let drafted = 0;
      const result = await new Decoder({ target, drafter: standDrafter(new NgramTable()), shape: DraftShape.chain(6), budget }).decode({
        prompts: [[1, 2, 3]],
        maxTokens: switchAt + 80,
        sampling: { temperature: 1, topK: 0, topP: 1, minP: 0 },
        seed: 4,
        onStep: ({ tokens, statistics }) => {
          steps.push({ generated, worked: acceptance.bestRatesAsked > asked, drafted: statistics.drafted > drafted });
          generated += tokens.length;
          asked = acceptance.bestRatesAsked;
          drafted = statistics.drafted;
        },
      });
      return { tokens: result.trajectories[0]?.tokens ?? [], steps };
    };
    const resting = await decode(neverExploring);
    const restless = await decode({ ...neverExploring, restAfter: Number.MAX_SAFE_INTEGER });
    assert.deepEqual(resting.tokens, restless.tokens, "the same text (point masses leave no choice)");
    assert.equal(resting.tokens.length, switchAt + 80);

    // While nothing drafts: the steps from the 40th to the switch.
    const quiet = (steps: Step[]): Step[] => steps.filter(({ generated }) => generated >= 40 && generated < switchAt);
    assert.ok(
      quiet(resting.steps).every(({ drafted }) => !drafted) && quiet(restless.steps).every(({ drafted }) => !drafted),
      "no text to draft before the switch",
    );
    const workedShare = (steps: Step[]): number => quiet(steps).filter(({ worked }) => worked).length / quiet(steps).length;
    assert.ok(workedShare(restless.steps) > 0.9, `without resting, worked out on ${workedShare(restless.steps).toFixed(2)} of the steps`);
    assert.ok(
      workedShare(resting.steps) <= 1.5 / maxRestGap,
      `resting, worked out on ${workedShare(resting.steps).toFixed(2)} of the steps`,
    );

    // After the switch, drafting resumes no later than without resting, give or take one rest, and pays.
    const firstDraft = (steps: Step[]): number =>
      steps.find(({ generated, drafted }) => generated >= switchAt && drafted)?.generated ?? Infinity;
    assert.ok(firstDraft(restless.steps) < switchAt + 20, `without resting, drafts from token ${firstDraft(restless.steps)}`);
    assert.ok(
      firstDraft(resting.steps) <= firstDraft(restless.steps) + maxRestGap,
      `resting, drafts from token ${firstDraft(resting.steps)}; without, from ${firstDraft(restless.steps)}`,
    );
    const repetitive = resting.steps.filter(({ generated }) => generated >= switchAt + 30);
    assert.ok(repetitive.length < 50 / 2, `${repetitive.length} steps for the last 50 tokens`);
  });

  test("the budget keeps what it learned across decodes, each with a drafter of its own (the server makes one per request)", async () => {
    const target = new MarkovTarget({ vocabularySize: 16, order: 2, support: 4, logitScale: 3, seed: 8 });
    const sampling = { temperature: 1, topK: 0, topP: 1, minP: 0 };
    const prompt = target.sample([3, 5], 24, sampling, 8);
    const table = new NgramTable();
    const price = (n: number, d: number): number => n + 0.1 * d;
    const budget = new DraftBudget({ cost: costModel(price, [1]) });
    // The calls take what the prices say on a clock they move: timed by the wall clock, this
    // synthetic target's calls made the budget's choices, and so the kinds the second decode
    // assessed, depend on the machine's load (the test failed that way in one CI run).
    let now = 0;
    const timed: TargetModel = {
      capabilities: target.capabilities,
      evaluate: (requests, options, evaluation) => {
        now += price(requests.length, Math.max(0, ...requests.map(({ draft }) => draft.draftedCount)));
        return target.evaluate(requests, options, evaluation);
      },
    };
    /** Decodes the prompt with a new drafter on the shared table and budget; returns the kinds of evidence it gave. */
    const decode = async (seed: number): Promise<Evidence[]> => {
      const drafter = standDrafter(table);
      const kinds: Evidence[] = [];
      const assess = drafter.assess.bind(drafter);
      drafter.assess = (context, temperature) => {
        const evidence = assess(context, temperature);
        if (evidence) kinds.push(evidence);
        return evidence;
      };
      await new Decoder({ target: timed, drafter, shape: DraftShape.chain(4), budget, clock: () => now }).decode({
        prompts: [prompt],
        maxTokens: 80,
        sampling,
        seed,
      });
      return kinds;
    };
    const first = new Set(await decode(3));
    const second = await decode(4);
    assert.ok(first.size > 0 && second.length > 0, "both decodes assessed");
    // The same kinds, so what the budget learned of them in the first decode serves the second.
    const known = second.filter((evidence) => first.has(evidence));
    assert.ok(
      known.length > second.length / 2,
      `${known.length} of the second decode's ${second.length} assessments are of kinds the first met`,
    );
    assert.ok(known.every((evidence) => budget.acceptance.tries(evidence, 1) > 0));
  });
});

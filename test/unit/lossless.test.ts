// Losslessness, proved with statistics: sequences decoded with every drafter (and plain sampling)
// must follow the target sampler's exact law, and a deliberately broken verifier must be caught.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Decoder,
  DraftBudget,
  DraftShape,
  DraftTree,
  FallbackDrafter,
  NgramTable,
  NoDrafter,
  PromptLookupDrafter,
  ShapeChoice,
  ngramDrafter,
  pointMass,
  probabilityOf,
  residual,
  sampleToken,
  standDrafter,
  distributionAt,
  verifyDraft,
  type Drafter,
  type SamplingOptions,
  type Verifier,
} from "../../language-server/src/stand";
import { countOutcomes, goodnessOfFit } from "../support/chiSquare";
import { MarkovTarget } from "../../fixtures/markovTarget";

const SEQUENCES = 20_000;
/**
 * The negative controls decode half as many: a broken decoder that the test rejects at half the
 * sample size is rejected at the full one with room to spare (χ² grows with the sample for a
 * fixed difference: at half the sample the weakest control gives χ² ≈ 140 on 19-24 degrees of
 * freedom, where the bar is about 50), so the controls prove the positive tests' power in half the time.
 */
const CONTROL_SEQUENCES = SEQUENCES / 2;
const LENGTH = 3;
const TRAJECTORIES = 16;
/** Family-wise significance of the whole suite (Bonferroni: each test runs at this / its count). */
const FAMILY_SIGNIFICANCE = 0.01;

const target = new MarkovTarget({ vocabularySize: 10, order: 2, support: 5, logitScale: 2.5, seed: 7 });
/**
 * Single-token keys mix the order-2 target's contexts, so drafts are often wrong and the
 * rejection paths (residuals, renormalised q) are exercised, not just the accept path.
 */
const mixingTable = (): NgramTable => new NgramTable({ minKeyLength: 1, maxKeyLength: 1 });

const samplings: Record<string, SamplingOptions> = {
  "T=1, top-k 3, top-p 0.9": { temperature: 1, topK: 3, topP: 0.9, minP: 0 },
  "T=0.7, top-k 3, top-p 0.95, min-p 0.05": { temperature: 0.7, topK: 3, topP: 0.95, minP: 0.05 },
};

const prompt = samplePrompt(20);

/** A draft budget with a fixed price per call (not the timed one), which keeps these tests deterministic. */
const fixedPriceBudget = (): DraftBudget =>
  new DraftBudget({
    cost: {
      record: () => undefined,
      estimator: () => (sequences, drafts) => sequences + 0.1 * drafts,
    },
  });

interface Configuration {
  readonly name: string;
  readonly drafter: () => Drafter;
  readonly shape: DraftShape;
  readonly budget?: () => DraftBudget;
  /** Chooses the step's arm instead of shape and budget (see ShapeChoice). */
  readonly choice?: () => ShapeChoice;
  /** Smallest share of committed tokens that must come from accepted drafts, so the test is not vacuous. */
  readonly minDraftShare: number;
}

const configurations: Configuration[] = [
  { name: "autoregressive", drafter: () => new NoDrafter(), shape: DraftShape.chain(0), minDraftShare: 0 },
  { name: "STAND chain of 4", drafter: () => standDrafter(mixingTable()), shape: DraftShape.chain(4), minDraftShare: 0.3 },
  { name: "STAND 80-node tree", drafter: () => standDrafter(mixingTable()), shape: DraftShape.paperTree(), minDraftShare: 0.3 },
  {
    name: "STAND 80-node tree, keys of 1-4 tokens",
    drafter: () => standDrafter(new NgramTable()),
    shape: DraftShape.paperTree(),
    minDraftShare: 0.3,
  },
  { name: "deterministic n-gram tree", drafter: () => ngramDrafter(mixingTable()), shape: DraftShape.paperTree(), minDraftShare: 0.3 },
  {
    name: "STAND 80-node tree cut by the adaptive draft budget",
    drafter: () => standDrafter(mixingTable()),
    shape: DraftShape.paperTree(),
    budget: fixedPriceBudget,
    minDraftShare: 0.3,
  },
  {
    name: "STAND chain of 4 under the budget and plain steps, chosen step by step",
    drafter: () => standDrafter(mixingTable()),
    shape: DraftShape.chain(4),
    // Each arm gets two steps in every six whatever it measured, so both take part.
    choice: () =>
      new ShapeChoice(
        [
          { shape: DraftShape.chain(4), budget: fixedPriceBudget() },
          { shape: DraftShape.chain(0), requiredGain: 1 },
        ],
        { warmUpSteps: 2, exploreInterval: 6, exploreSteps: 2, draftWaitSteps: 3, decay: 1 },
      ),
    minDraftShare: 0.1,
  },
  { name: "prompt lookup chain of 4", drafter: () => new PromptLookupDrafter(), shape: DraftShape.chain(4), minDraftShare: 0.1 },
  {
    name: "STAND 80-node tree on a small table, then prompt lookup",
    drafter: () => smallTableThenLookup(),
    shape: DraftShape.paperTree(),
    minDraftShare: 0.3,
  },
];

/**
 * STAND on a three-entry table, which often has nothing after the context, and prompt lookup
 * there: steps draft sampled trees and point-mass chains in turn (the test below counts both).
 */
function smallTableThenLookup(drafts = { table: 0, lookup: 0 }): Drafter {
  const counted = (drafter: Drafter, source: keyof typeof drafts): Drafter => ({
    name: drafter.name,
    assess: (context, temperature) => drafter.assess(context, temperature),
    draft: (request) => {
      const tree = drafter.draft(request);
      if (tree.draftedCount > 0) drafts[source]++;
      return tree;
    },
    acceptanceIfDrafted: (context, next, temperature) => drafter.acceptanceIfDrafted(context, next, temperature),
    learn: (tree, distributions, temperature) => drafter.learn?.(tree, distributions, temperature),
  });
  const table = new NgramTable({ minKeyLength: 1, maxKeyLength: 1, maxEntries: 3 });
  return new FallbackDrafter([counted(standDrafter(table), "table"), counted(new PromptLookupDrafter(), "lookup")]);
}

/** A passage sampled from the target, then repeated, as code and reasoning repeat themselves. */
function samplePrompt(length: number): number[] {
  const passage = target.sample([1, 2], length, { temperature: 1, topK: 3, topP: 0.9, minP: 0 }, 99);
  return [...passage, ...passage];
}

/** Decodes `sequences` continuations of LENGTH tokens; one drafter (one table) serves all of them. */
async function sampleSequences(
  drafter: Drafter,
  shape: DraftShape,
  sampling: SamplingOptions,
  {
    verifier,
    budget,
    choice,
    sequences = SEQUENCES,
  }: { verifier?: Verifier; budget?: DraftBudget; choice?: ShapeChoice; sequences?: number } = {},
) {
  const decoder = new Decoder({ target, drafter, shape, verifier, budget, choice });
  const outcomes: string[] = [];
  let fromDraft = 0;
  let tokens = 0;
  for (let batch = 0; outcomes.length < sequences; batch++) {
    const result = await decoder.decode({
      prompts: Array.from({ length: TRAJECTORIES }, () => prompt),
      maxTokens: LENGTH,
      sampling,
      seed: 1000 + batch,
      onStep: (step) => {
        fromDraft += step.fromDraft;
        tokens += step.tokens.length;
      },
    });
    for (const trajectory of result.trajectories) outcomes.push(trajectory.tokens.join(","));
  }
  return { counts: countOutcomes(outcomes), draftShare: fromDraft / tokens };
}

/**
 * A dozen equality tests on fixed seeds: at 1 % each, a correct decoder would still fail one of
 * them in about one seed choice in nine. The family is held at 1 % instead, so a failure means a
 * real difference, and the negative controls below must clear the same bar.
 */
const SIGNIFICANCE = FAMILY_SIGNIFICANCE / (configurations.length * Object.keys(samplings).length);

describe("decoding is lossless: the joint law of the first tokens equals the target sampler's", () => {
  for (const [samplingName, sampling] of Object.entries(samplings)) {
    const exact = target.sequenceProbabilities(prompt, LENGTH, sampling);
    for (const configuration of configurations) {
      test(`${configuration.name}, ${samplingName}`, async () => {
        const { counts, draftShare } = await sampleSequences(configuration.drafter(), configuration.shape, sampling, {
          budget: configuration.budget?.(),
          choice: configuration.choice?.(),
        });
        const fit = goodnessOfFit(counts, exact);
        console.log(
          `  ${configuration.name}, ${samplingName}: p = ${fit.pValue.toFixed(4)}, χ² = ${fit.statistic.toFixed(1)}, df = ${fit.degreesOfFreedom}, tokens from drafts ${(100 * draftShare).toFixed(1)} %`,
        );
        assert.deepEqual(fit.impossible, []);
        assert.ok(fit.degreesOfFreedom >= 10, "the test needs enough cells to have power");
        assert.ok(fit.pValue > SIGNIFICANCE, `equality rejected: p = ${fit.pValue}`);
        assert.ok(draftShare >= configuration.minDraftShare, `only ${draftShare} of tokens came from drafts`);
      });
    }
  }

  test("the fallback configuration drafts from the table and from prompt lookup, each on a good share of steps", async () => {
    const drafts = { table: 0, lookup: 0 };
    await sampleSequences(
      smallTableThenLookup(drafts),
      DraftShape.paperTree(),
      { temperature: 1, topK: 3, topP: 0.9, minP: 0 },
      { sequences: 2_000 },
    );
    const total = drafts.table + drafts.lookup;
    assert.ok(drafts.table > 0.2 * total && drafts.lookup > 0.2 * total, `table ${drafts.table} drafts, prompt lookup ${drafts.lookup}`);
  });
});

/** Wrong on purpose: after a rejection it samples from p instead of the residual max(p − q, 0). */
const verifierWithoutResidual: Verifier = (draft, distributions, random) => {
  const tokens: number[] = [];
  const acceptedNodes: number[] = [];
  for (let node = 0; ;) {
    const p = distributionAt(distributions, node);
    const q = draft.childDistributions[node];
    const accepted = draft.children(node).find((child) => {
      const token = draft.tokens[child] ?? -1;
      return random.next() * (q ? probabilityOf(q, token) : 1) < probabilityOf(p, token);
    });
    if (accepted === undefined) {
      tokens.push(sampleToken(p, random));
      return { tokens, acceptedCount: acceptedNodes.length, acceptedNodes };
    }
    tokens.push(draft.tokens[accepted] ?? -1);
    acceptedNodes.push(accepted);
    node = accepted;
  }
};

/** Wrong on purpose: keeps the residual but forgets to take rejected siblings out of q. */
const verifierWithoutRenormalisedDraft: Verifier = (draft, distributions, random) => {
  const tokens: number[] = [];
  const acceptedNodes: number[] = [];
  for (let node = 0; ;) {
    let p = distributionAt(distributions, node);
    const q = draft.childDistributions[node];
    let accepted = -1;
    for (const child of draft.children(node)) {
      const token = draft.tokens[child] ?? -1;
      const draftProbability = q ? probabilityOf(q, token) : 1;
      if (random.next() * draftProbability < probabilityOf(p, token)) {
        accepted = child;
        break;
      }
      p = residual(p, q ?? pointMass(token));
    }
    if (accepted < 0) {
      tokens.push(sampleToken(p, random));
      return { tokens, acceptedCount: acceptedNodes.length, acceptedNodes };
    }
    tokens.push(draft.tokens[accepted] ?? -1);
    acceptedNodes.push(accepted);
    node = accepted;
  }
};

/**
 * Wrong on purpose: a draft cut by what was sampled (a child is kept only while its draft
 * probability is at least 0.3). The verifier is right, but the kept children no longer follow q.
 * Draft budgets must decide before drawing; this is the bug that rule prevents.
 */
function cutBySampledContent(drafter: Drafter): Drafter {
  return {
    name: `${drafter.name}, cut by content`,
    assess: (context, temperature) => drafter.assess(context, temperature),
    learn: (draft, distributions, temperature) => {
      drafter.learn?.(draft, distributions, temperature);
    },
    acceptanceIfDrafted: (context, target, temperature) => drafter.acceptanceIfDrafted(context, target, temperature),
    draft: (request) => {
      const full = drafter.draft(request);
      const cut = new DraftTree(request.context);
      const copies = new Map([[0, 0]]);
      for (let node = 0; node < full.size; node++) {
        const copy = copies.get(node);
        const q = full.childDistributions[node];
        if (copy === undefined || !q) continue;
        for (const child of full.children(node)) {
          const token = full.tokens[child] ?? -1;
          if (probabilityOf(q, token) < 0.3) break;
          copies.set(child, cut.addChild(copy, token, full.shapeNodes[child] ?? 0));
        }
        if (cut.children(copy).length > 0) cut.childDistributions[copy] = q;
      }
      return cut;
    },
  };
}

interface Control {
  readonly name: string;
  readonly verifier: Verifier;
  readonly drafter: () => Drafter;
  readonly shape: DraftShape;
  readonly budget?: () => DraftBudget;
}

const controls: Control[] = [
  {
    name: "correct verifier, but drafts cut by what was sampled",
    verifier: verifyDraft,
    drafter: () => cutBySampledContent(standDrafter(mixingTable())),
    shape: DraftShape.paperTree(),
  },
  {
    name: "no residual, n-gram point-mass drafts",
    verifier: verifierWithoutResidual,
    drafter: () => ngramDrafter(mixingTable()),
    shape: DraftShape.paperTree(),
  },
  {
    name: "no residual, STAND tree",
    verifier: verifierWithoutResidual,
    drafter: () => standDrafter(mixingTable()),
    shape: DraftShape.paperTree(),
  },
  {
    name: "no residual, prompt-lookup drafts",
    verifier: verifierWithoutResidual,
    drafter: () => new PromptLookupDrafter(),
    shape: DraftShape.chain(4),
  },
  {
    name: "q not renormalised after a rejected sibling, STAND tree",
    verifier: verifierWithoutRenormalisedDraft,
    drafter: () => standDrafter(mixingTable()),
    shape: DraftShape.paperTree(),
  },
  {
    name: "no residual, STAND tree cut by the adaptive draft budget",
    verifier: verifierWithoutResidual,
    drafter: () => standDrafter(mixingTable()),
    shape: DraftShape.paperTree(),
    budget: fixedPriceBudget,
  },
];

describe("negative controls: the same test rejects broken decoders", () => {
  for (const [samplingName, sampling] of Object.entries(samplings)) {
    const exact = target.sequenceProbabilities(prompt, LENGTH, sampling);
    for (const control of controls) {
      test(`${control.name}, ${samplingName}`, async () => {
        const { counts } = await sampleSequences(control.drafter(), control.shape, sampling, {
          verifier: control.verifier,
          budget: control.budget?.(),
          sequences: CONTROL_SEQUENCES,
        });
        const fit = goodnessOfFit(counts, exact);
        console.log(
          `  broken decoder (${control.name}, ${samplingName}): p = ${fit.pValue.toExponential(2)}, χ² = ${fit.statistic.toFixed(1)}, df = ${fit.degreesOfFreedom}`,
        );
        assert.ok(fit.pValue < SIGNIFICANCE, `the broken decoder went unnoticed: p = ${fit.pValue}`);
      });
    }
  }
});

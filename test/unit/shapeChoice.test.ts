import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { adaptiveArms, CHAIN_SHAPE, PLAIN_SHAPE, TREE_SHAPE } from "../../language-server/src/draftShapes";
import {
  DraftBudget,
  DraftShape,
  greedySampling,
  PlainCallReference,
  Random,
  SHAPE_CHOICE_TUNING,
  ShapeChoice,
  type ShapeArm,
} from "../../language-server/src/stand";

const target = { capabilities: { trees: true, padsToLongestDraft: false } };
const chainArm: ShapeArm = { shape: DraftShape.chain(8), budget: DraftBudget.for(target) };
const treeArm: ShapeArm = { shape: DraftShape.fromWidths([3, 4, 4, 3, 2, 1, 1]), budget: DraftBudget.for(target), requiredGain: 1.15 };
const sampled = { ...greedySampling, temperature: 0.7 };
/** As adaptiveArms makes it for sampled decodes of several trajectories. */
const plainArm = ((): ShapeArm => {
  const arm = adaptiveArms(sampled, 4, DraftBudget.for(target)).find(({ shape }) => shape === PLAIN_SHAPE);
  assert.ok(arm, "sampled decodes of several trajectories may take plain steps");
  return arm;
})();

test("adaptiveArms: the chain first; plain steps for sampled decodes of several trajectories, not greedy ones or one trajectory; a tree where it has a budget", () => {
  const chainBudget = DraftBudget.for(target);
  const treeBudget = DraftBudget.for(target);
  const shapes = (arms: readonly ShapeArm[]): DraftShape[] => arms.map(({ shape }) => shape);
  assert.deepEqual(shapes(adaptiveArms(greedySampling, 4, chainBudget)), [CHAIN_SHAPE]);
  assert.deepEqual(shapes(adaptiveArms(greedySampling, 4, chainBudget, treeBudget)), [CHAIN_SHAPE, TREE_SHAPE]);
  assert.deepEqual(shapes(adaptiveArms(sampled, 1, chainBudget, treeBudget)), [CHAIN_SHAPE, TREE_SHAPE]);
  assert.deepEqual(shapes(adaptiveArms(sampled, 2, chainBudget, treeBudget)), [CHAIN_SHAPE, PLAIN_SHAPE, TREE_SHAPE]);
  const [chain, plain, tree] = adaptiveArms(sampled, 4, chainBudget, treeBudget);
  assert.equal(chain?.budget, chainBudget);
  assert.equal(plain?.budget, undefined, "a plain step plans nothing");
  assert.ok((plain?.requiredGain ?? 1) > 1, "plain steps must beat the chain by more than noise");
  assert.equal(tree?.budget, treeBudget);
});

/**
 * What one step of each shape commits and evaluates, as measured in kind on the embedded model: a
 * chain commits about 2.2 tokens from 5 evaluated positions, a tree 3.2 from 30 (each branch
 * re-evaluates its trunk), with some spread.
 */
function stepOf(arm: ShapeArm, random: Random): { tokens: number; positions: number } {
  const tree = arm === treeArm;
  const tokens = 1 + Math.floor(random.next() * (tree ? 4.4 : 2.4));
  return { tokens, positions: tree ? 30 : 5 };
}

/** A CPU: a step costs a fixed part plus much per evaluated position (the embedded model on 2 cores). */
const cpu = (positions: number): number => 0.8 + 0.25 * positions;
/** A GPU with a 7B model: the weights' read dominates; positions are nearly free. */
const gpu = (positions: number): number => 20 + 0.02 * positions;

/** Runs the choice for `steps` steps against a cost curve; returns the share of steps each arm got after the first 100. */
function run(choice: ShapeChoice, cost: (positions: number) => number, steps: number, seed: number): number[] {
  const random = new Random(seed);
  const counts = choice.arms.map(() => 0);
  for (let step = 0; step < steps; step++) {
    const arm = choice.next();
    const { tokens, positions } = stepOf(arm, random);
    choice.record(arm, tokens, cost(positions) * (0.9 + 0.2 * random.next()));
    if (step >= 100) counts[choice.arms.indexOf(arm)] = (counts[choice.arms.indexOf(arm)] ?? 0) + 1;
  }
  return counts.map((count) => count / (steps - 100));
}

describe("shape choice: the shape that measured the most progress for its cost", () => {
  test("a CPU-like cost curve keeps chains, a GPU-like one gets trees", () => {
    const [cpuChains = 0, cpuTrees = 0] = run(new ShapeChoice([chainArm, treeArm]), cpu, 2000, 1);
    assert.ok(cpuChains > 0.95, `on a CPU chains got only ${String(cpuChains)} of the steps`);
    assert.ok(cpuTrees > 0, "trees are still tried now and then");
    const [, gpuTrees = 0] = run(new ShapeChoice([chainArm, treeArm]), gpu, 2000, 2);
    assert.ok(gpuTrees > 0.95, `on a GPU trees got only ${String(gpuTrees)} of the steps`);
  });

  test("follows the machine when its costs change", () => {
    const choice = new ShapeChoice([chainArm, treeArm]);
    run(choice, gpu, 1000, 3);
    assert.equal(choice.best(), 1);
    // The chain's measurement is stale until it is explored again (every exploreInterval steps).
    const [chains = 0] = run(choice, cpu, 3000, 4);
    assert.equal(choice.best(), 0);
    assert.ok(chains > 0.6, `after the costs changed chains got only ${String(chains)} of the steps`);
  });

  test("a step that drafted nothing counts for the chain: a tree's budget choosing not to draft never makes trees look faster", () => {
    const choice = new ShapeChoice([chainArm, treeArm]);
    for (let step = 0; step < 600; step++) {
      const arm = choice.next();
      // The chain drafts at a small loss; the tree's budget never drafts, so its steps are plain steps.
      if (arm === chainArm) choice.record(arm, 2, 2.2, 1);
      else choice.record(arm, 1, 1, 0);
    }
    assert.equal(choice.best(), 0);
    assert.equal(choice.throughputs()[1], 0, "the tree was never measured drafting");
  });

  test("a tree must beat the chain by the required gain; until each is measured, each is tried", () => {
    const choice = new ShapeChoice([chainArm, { ...treeArm, requiredGain: 1.05 }], {
      warmUpSteps: 4,
      exploreInterval: 100,
      exploreSteps: 2,
      draftWaitSteps: 0,
      decay: 1,
    });
    const tried = Array.from({ length: 8 }, () => {
      const arm = choice.next();
      // Trees measure 3 % faster: not enough.
      choice.record(arm, arm === chainArm ? 1 : 1.03, 1);
      return choice.arms.indexOf(arm);
    });
    assert.deepEqual(tried, [0, 0, 1, 1, 0, 0, 1, 1]);
    assert.equal(choice.best(), 0);
  });

  test("plain steps are chosen where the chain, assessing on every step and seldom drafting, measures slower by more than their required gain", () => {
    const choice = new ShapeChoice([chainArm, plainArm]);
    const random = new Random(5);
    for (let step = 0; step < 2000; step++) {
      const arm = choice.next();
      // Four trajectories a step; the chain's steps cost 5 % more (assessing) and one in twenty drafts.
      const noise = 0.95 + 0.1 * random.next();
      if (arm === plainArm) choice.record(arm, 4, 1.4 * noise, 0);
      else if (step % 20 === 0) choice.record(arm, 6, 2.4 * noise, 4);
      else choice.record(arm, 4, 1.47 * noise, 0);
    }
    assert.equal(choice.best(), 1, `throughputs ${choice.throughputs().join(" ")}`);
    assert.ok((choice.throughputs()[0] ?? 0) > 0, "the chain is measured on the steps it assessed and did not draft too");
  });

  test("plain steps need their required gain only while the chain's drafts pay: where they lose, a chain slower by less than the gain is not kept", () => {
    // As at N = 16, T = 0.7 on the embedded model on a 2-core CPU: the chain's steps that draft
    // nothing cost 1.5 % more than plain ones (assessing), under plain steps' required gain; in one
    // stretch of 100 steps in every 400 its budget drafts on one step in ten. Where each draft
    // commits 2.3 tokens for 1.6 plain steps, staying ready for the next stretch pays; where it
    // commits 2 for 2.4, the chain is plain steps with a cost on top (2.4 % slower in all, which
    // the required gain of 3 % alone would keep).
    const run = (draftCost: number, draftTokens: number, seed: number): { plainShare: number; throughput: number } => {
      const choice = new ShapeChoice([chainArm, plainArm]);
      const random = new Random(seed);
      let plainSteps = 0;
      let progress = 0;
      let cost = 0;
      for (let step = 0; step < 8000; step++) {
        const arm = choice.next();
        const drafted = arm === chainArm && step % 400 < 100 && random.next() < 0.1 ? 4 : 0;
        const tokens = drafted === 0 ? 1 : draftTokens;
        const stepCost = (arm === plainArm ? 1 : drafted === 0 ? 1.015 : draftCost) * (0.98 + 0.04 * random.next());
        choice.record(arm, tokens, stepCost, drafted);
        if (step < 1000) continue;
        if (arm === plainArm) plainSteps++;
        progress += tokens;
        cost += stepCost;
      }
      return { plainShare: plainSteps / 7000, throughput: progress / cost };
    };
    for (const seed of [1, 2, 3]) {
      const losing = run(2.4, 2, seed);
      const paying = run(1.6, 2.3, seed);
      const detail = `seed ${String(seed)}: drafts losing ${JSON.stringify(losing)}, paying ${JSON.stringify(paying)}`;
      assert.ok(losing.plainShare > 0.8, detail);
      assert.ok(losing.throughput > 0.996, detail);
      assert.ok(paying.plainShare < 0.1, detail);
    }
  });

  test("the chain stays chosen where its drafts pay, though its steps vary several-fold and plain steps measure steadily", () => {
    // As a greedy chain at N = 1 on the embedded model on a 2-core CPU (a sampled one where the text
    // repeats comes close): two steps in five draft and commit one to four tokens; the chain runs
    // about 1.2× plain steps.
    const plainShares = [1, 2, 3, 4, 5, 6].map((seed) => {
      const choice = new ShapeChoice([chainArm, plainArm]);
      const random = new Random(seed);
      let plainSteps = 0;
      for (let step = 0; step < 3000; step++) {
        const arm = choice.next();
        if (arm === plainArm) {
          choice.record(arm, 1, 0.7 * (0.95 + 0.1 * random.next()), 0);
          if (step >= 100) plainSteps++;
          continue;
        }
        const drafted = random.next() < 0.4 ? 4 : 0;
        const tokens = drafted === 0 ? 1 : 1 + Math.floor(random.next() * 3.5);
        choice.record(arm, tokens, (drafted === 0 ? 0.72 : 1.1) * (0.95 + 0.1 * random.next()), drafted);
      }
      assert.equal(choice.best(), 0, `seed ${String(seed)}: throughputs ${choice.throughputs().join(" ")}`);
      return plainSteps / 2900;
    });
    const mean = plainShares.reduce((sum, share) => sum + share, 0) / plainShares.length;
    assert.ok(mean < 0.05, `plain steps took ${plainShares.map((share) => share.toFixed(3)).join(", ")} of the steps`);
    assert.ok(Math.min(...plainShares) > 0, "plain steps are still tried now and then");
  });

  test("while plain steps are chosen the chain is tried every exploreInterval steps, each try measured afresh, so the first try after its drafts begin to pay chooses it", () => {
    const stepsToReturn = (seed: number): number => {
      const choice = new ShapeChoice([chainArm, plainArm]);
      const random = new Random(seed);
      const noise = (): number => 0.95 + 0.1 * random.next();
      // Text the table cannot draft: the chain assesses on every step, drafts nothing, and is 5 % slower.
      for (let step = 0; step < 600; step++) {
        const arm = choice.next();
        choice.record(arm, 1, (arm === plainArm ? 0.7 : 0.735) * noise(), 0);
      }
      assert.equal(choice.best(), 1, "plain steps are chosen while the chain cannot draft");
      // Then its drafts pay 1.2× plain steps.
      for (let step = 1; step <= 3000; step++) {
        const arm = choice.next();
        if (arm === plainArm) {
          choice.record(arm, 1, 0.7 * noise(), 0);
          continue;
        }
        const drafted = random.next() < 0.4 ? 4 : 0;
        const tokens = drafted === 0 ? 1 : 1 + Math.floor(random.next() * 3.5);
        choice.record(arm, tokens, (drafted === 0 ? 0.72 : 1.1) * noise(), drafted);
        if (choice.best() === 0) return step;
      }
      return Infinity;
    };
    const returns = [1, 2, 3, 4, 5, 6, 7, 8].map(stepsToReturn);
    // The next round begins 424 steps after the change (600 is 88 past a round's start); a try
    // measured together with the chain's stale steps would need several rounds.
    const { exploreInterval } = SHAPE_CHOICE_TUNING;
    const sorted = [...returns].sort((a, b) => a - b);
    assert.ok((sorted[4] ?? Infinity) <= exploreInterval, `steps until the chain was chosen again: ${returns.join(", ")}`);
  });

  test("a try of the chain waits for its budget's first draft: where the chain drafts in stretches of the text, it is chosen in more of them", () => {
    // The chain's budget drafts only in one stretch of 120 steps in every 400 (text the table has
    // seen), on four steps in five, each committing 2.3 tokens for 1.6× a plain step's cost;
    // elsewhere the chain drafts nothing and is 5 % slower than plain steps, which are chosen there.
    const drafts = (step: number): boolean => step % 400 < 120;
    const run = (draftWaitSteps: number, seed: number): { inStretches: number; throughput: number } => {
      const choice = new ShapeChoice([chainArm, plainArm], { ...SHAPE_CHOICE_TUNING, draftWaitSteps });
      const random = new Random(seed);
      const noise = (): number => 0.95 + 0.1 * random.next();
      let chainInStretches = 0;
      let stretchSteps = 0;
      let progress = 0;
      let cost = 0;
      for (let step = 0; step < 12_000; step++) {
        const arm = choice.next();
        const drafted = arm === chainArm && drafts(step) && random.next() < 0.8 ? 4 : 0;
        const tokens = drafted === 0 ? 1 : 1 + Math.floor(random.next() * 3.5);
        const stepCost = (arm === plainArm ? 1 : drafted === 0 ? 1.05 : 1.6) * noise();
        choice.record(arm, tokens, stepCost, drafted);
        progress += tokens;
        cost += stepCost;
        if (step >= 1000 && drafts(step)) {
          stretchSteps++;
          if (arm === chainArm) chainInStretches++;
        }
      }
      return { inStretches: chainInStretches / stretchSteps, throughput: progress / cost };
    };
    for (const seed of [1, 2, 3, 4]) {
      const waiting = run(SHAPE_CHOICE_TUNING.draftWaitSteps, seed);
      const fixed = run(0, seed);
      const detail = `seed ${String(seed)}: waiting ${JSON.stringify(waiting)}, fixed tries ${JSON.stringify(fixed)}`;
      // A round every 512 steps finds a stretch begun or beginning within its wait: (120 + 64) / 400
      // of rounds, against (120 - 8) / 400 for tries of exploreSteps alone.
      assert.ok(waiting.inStretches > 1.3 * fixed.inStretches, detail);
      assert.ok(waiting.throughput > fixed.throughput, detail);
    }
  });

  test("rounds of tries come every exploreInterval steps, whichever arm is chosen", () => {
    const roundStarts = (chainSlowdown: number): number[] => {
      const choice = new ShapeChoice([chainArm, plainArm]);
      const starts: number[] = [];
      let previous: ShapeArm | undefined;
      for (let step = 0; step < 3000; step++) {
        const arm = choice.next();
        choice.record(arm, 1, arm === plainArm ? 1 : chainSlowdown, 0);
        if (arm !== previous && previous !== undefined && arm !== (choice.arms[choice.best()] ?? chainArm)) starts.push(step);
        previous = arm;
      }
      return starts;
    };
    const { exploreInterval } = SHAPE_CHOICE_TUNING;
    // The chain 10 % slower (plain steps chosen), or 10 % faster (the chain chosen): after the
    // warm-up's blocks, a round starts at every multiple of the interval.
    for (const slowdown of [1.1, 0.9]) {
      const starts = roundStarts(slowdown).filter((step) => step >= exploreInterval);
      assert.deepEqual(
        starts,
        [1, 2, 3, 4, 5].map((round) => round * exploreInterval),
        `slowdown ${String(slowdown)}`,
      );
    }
  });

  test("steps priced in plain calls keep plain steps chosen while the machine's speed drifts; in milliseconds the drift chose a slower chain", () => {
    // At N = 4, T = 0.7: the chain assesses on every step and drafts nothing, which costs 4.5 % of a
    // call (plain steps 0.5 %), while the machine's speed drifts by ±30 % over a few hundred steps.
    const chainShare = (priced: boolean, seed: number): number => {
      const choice = new ShapeChoice([chainArm, plainArm]);
      const reference = new PlainCallReference();
      const random = new Random(seed);
      let chainSteps = 0;
      for (let step = 0; step < 4000; step++) {
        const arm = choice.next();
        const call = (1 + 0.3 * Math.sin(step / 100)) * (0.95 + 0.1 * random.next());
        const milliseconds = call + (arm === chainArm ? 0.045 : 0.005);
        const cost = priced ? reference.price(4, true, milliseconds, call) : milliseconds;
        if (cost !== undefined) choice.record(arm, priced ? 1 : 4, cost, 0);
        if (step >= 200 && arm === chainArm) chainSteps++;
      }
      return chainSteps / 3800;
    };
    // The chain gets its tries alone: each waits draftWaitSteps for a draft that never comes.
    const { draftWaitSteps, exploreInterval } = SHAPE_CHOICE_TUNING;
    const tries = (draftWaitSteps + 1) / exploreInterval;
    for (const seed of [1, 2, 3]) {
      const priced = chainShare(true, seed);
      const inMilliseconds = chainShare(false, seed);
      assert.ok(priced < tries + 0.01, `seed ${String(seed)}: the chain took ${priced.toFixed(3)} of the steps`);
      assert.ok(inMilliseconds > 0.2, `seed ${String(seed)}: the control, in milliseconds: ${inMilliseconds.toFixed(3)}`);
    }
  });
});

import type { DraftBudget } from "./draftBudget";
import type { DraftShape } from "./draftShape";

/**
 * One way the decoder may take a step: a shape with the budget that plans its depth and learns its
 * costs, or without one, the whole shape every step; the empty chain without a budget is the plain
 * step (no draft, and nothing assessed for one).
 */
export interface ShapeArm {
  readonly shape: DraftShape;
  readonly budget?: DraftBudget;
  /**
   * How much faster than the first arm this arm must measure to be chosen (1 when absent): the
   * choice takes the arm with the most progress per cost divided by it. For plain steps (an arm
   * without a budget) it holds only once the first arm with a budget has drafted, and while its
   * drafting steps measure no slower than plain ones by more than the gain: staying ready for the
   * next stretch of text it drafts in is what the gain buys, and where its drafts lose it is plain
   * steps with a cost on top.
   */
  readonly requiredGain?: number;
}

export interface ShapeChoiceTuning {
  /** Steps each arm is tried before the choice settles (in blocks of exploreSteps). */
  readonly warmUpSteps: number;
  /** After that, every this many steps the arms not chosen get exploreSteps each. */
  readonly exploreInterval: number;
  readonly exploreSteps: number;
  /**
   * A try of an arm with a budget waits up to this many steps for the budget's first draft, and
   * its exploreSteps count from there; a try that never drafts ends with its wait. Tried for
   * exploreSteps alone, the chain mostly met text its budget would not draft in, where a step
   * that drafts nothing measured 3 % dearer than a plain one (the embedded model on a 2-core CPU
   * with a CPU hog, N = 1, T = 0.7), and plain steps stayed chosen for 88 % of the steps, through
   * stretches where the chain, once chosen, committed 3.5 tokens a drafting step.
   */
  readonly draftWaitSteps: number;
  /**
   * Per step of the arm: about its last fifty steps count (one step's progress varies several-fold).
   * An arm tried again after a pause starts afresh, so an exploring block measures the machine
   * as it is now (its load may have changed since).
   */
  readonly decay: number;
}

export const SHAPE_CHOICE_TUNING: ShapeChoiceTuning = {
  warmUpSteps: 16,
  exploreInterval: 512,
  exploreSteps: 8,
  draftWaitSteps: 64,
  decay: 0.98,
};

/**
 * Chooses, step by step, how to take the step (a chain, a tree or a plain step), from what each has
 * measured on this machine: the progress its steps made for what they cost (the decoder gives
 * each trajectory's tokens for the step's time in plain calls of its size, see
 * PlainCallReference). Within a shape, its budget still plans how deep to draft, down to not
 * drafting at all. A tree verified on a CPU pays for every branch it evaluates, and loses; on a
 * GPU extra positions are nearly free, and it wins. Plain steps skip the budget's and the drafter's work,
 * which the budget's plans do not price (on the embedded model on a 2-core CPU at T = 0.7 a chain
 * that seldom drafted still ran 3–6 % slower than plain steps): the measurement decides, without
 * a setting. The first arm is the default, which the others must beat by their requiredGain (plain
 * steps only while drafts pay); the others are tried for a few steps now and then, so a change of
 * load or of text can change the choice.
 */
export class ShapeChoice {
  private readonly progress: number[];
  private readonly costs: number[];
  /** The first arm with a budget measured on its drafting steps alone. */
  private draftingProgress = 0;
  private draftingCost = 0;
  private readonly steps: number[];
  /** The step each arm last recorded. */
  private readonly lastRecorded: number[];
  private step = 0;
  /** The arm of the last step, which a warm-up block continues. */
  private last = 0;
  /** The first arm with a budget, which the steps of any arm with a budget that drafted nothing count for. */
  private readonly firstDrafting: number;
  /** The arm that planned the last step recorded. */
  private lastPlanned = -1;
  /** The step from which the next round of tries may begin. */
  private nextRound: number;
  /** The arms the current round has still to try. */
  private roundArms: number[] = [];
  /** The arm being tried, and the steps its try has left. */
  private trying: number | undefined;
  private tryStepsLeft = 0;
  /** How many more steps the try may wait for its budget's first draft (0: it does not wait, or has drafted). */
  private waitStepsLeft = 0;

  constructor(
    readonly arms: readonly ShapeArm[],
    private readonly tuning: ShapeChoiceTuning = SHAPE_CHOICE_TUNING,
  ) {
    if (arms.length === 0) throw new RangeError("a shape choice needs at least one shape");
    this.nextRound = tuning.exploreInterval;
    this.progress = arms.map(() => 0);
    this.costs = arms.map(() => 0);
    this.steps = arms.map(() => 0);
    this.lastRecorded = arms.map(() => 0);
    this.firstDrafting = Math.max(
      0,
      arms.findIndex((arm) => arm.budget !== undefined),
    );
  }

  /** The arm for the next step. */
  next(): ShapeArm {
    const index = this.nextIndex();
    return this.arms[index] ?? (this.arms[0] as ShapeArm);
  }

  /**
   * Learns from a step planned with `arm`: the progress it made (tokens per trajectory), what the
   * step cost (in plain calls), and how many tokens it drafted. A step with a budget that drafted
   * nothing is the same whichever budget planned it, so it counts for the first arm with one (the
   * chain's budget also chooses not to draft): a tree is measured only where it drafted, and its
   * budget's choosing not to draft never makes trees look faster. The chain is measured on all
   * its steps, those that paid for assessing and drafted nothing too, which is what plain steps
   * are measured against. The first step after another arm's is not measured: it pays for the
   * change (llama.cpp builds its compute graph again for a call of another shape, about a fifth of
   * a step on a CPU), which over a block of exploreSteps would make the arm tried look a few per
   * cent slower than it runs.
   */
  record(arm: ShapeArm, progress: number, cost: number, drafted = 1): void {
    this.step++;
    const planned = this.arms.indexOf(arm);
    if (planned >= 0 && planned === this.trying) this.countTryStep(drafted);
    if (planned < 0 || !(cost > 0)) return;
    this.steps[planned] = (this.steps[planned] ?? 0) + 1;
    const switched = planned !== this.lastPlanned;
    this.lastPlanned = planned;
    if (switched) return;
    const index = drafted > 0 || !arm.budget ? planned : this.firstDrafting;
    const { decay, exploreInterval } = this.tuning;
    if (drafted > 0 && planned === this.firstDrafting) {
      // Not measured afresh after a pause: a stretch's first drafting step alone would decide.
      this.draftingProgress = this.draftingProgress * decay + progress;
      this.draftingCost = this.draftingCost * decay + cost;
    }
    if (this.step - (this.lastRecorded[index] ?? 0) > exploreInterval / 2) {
      this.progress[index] = 0;
      this.costs[index] = 0;
    }
    this.lastRecorded[index] = this.step;
    this.progress[index] = (this.progress[index] ?? 0) * decay + progress;
    this.costs[index] = (this.costs[index] ?? 0) * decay + cost;
  }

  /** Counts a step of the arm being tried: one of its exploreSteps, or of its wait for a first draft. */
  private countTryStep(drafted: number): void {
    if (this.waitStepsLeft > 0 && drafted === 0) {
      // A try whose budget never drafted ends with its wait: it measured the arm where it would not draft.
      if (--this.waitStepsLeft === 0) this.tryStepsLeft = 0;
      return;
    }
    this.waitStepsLeft = 0;
    this.tryStepsLeft--;
  }

  /** Progress per cost each arm has measured (0 before it is tried). */
  throughputs(): number[] {
    return this.arms.map((_, index) => this.throughput(index));
  }

  private throughput(index: number): number {
    const cost = this.costs[index] ?? 0;
    return cost > 0 ? (this.progress[index] ?? 0) / cost : 0;
  }

  /** The arm it would choose now, exploration aside: the most progress per cost for its required gain. */
  best(): number {
    // Asked every step: a loop, where arrays of throughputs cost a per cent of a step on a CPU.
    let best = 0;
    let bestScore = 0;
    for (let index = 0; index < this.arms.length; index++) {
      const score = this.throughput(index) / this.requiredGain(index);
      if (index > 0 && !(score > bestScore)) continue;
      best = index;
      bestScore = score;
    }
    return best;
  }

  /** The arm's required gain, which plain steps need only where drafts pay (see ShapeArm.requiredGain). */
  private requiredGain(index: number): number {
    const arm = this.arms[index];
    if (!arm?.requiredGain || arm.budget) return arm?.requiredGain ?? 1;
    // Drafting steps slower than these by less than the gain are within the noise it allows for.
    const draftsPay = this.draftingCost > 0 && (this.draftingProgress / this.draftingCost) * arm.requiredGain >= this.throughput(index);
    return draftsPay ? arm.requiredGain : 1;
  }

  private nextIndex(): number {
    // One arm (a greedy decode's chain where the target verifies no trees) has nothing to choose.
    if (this.arms.length === 1) return 0;
    const { warmUpSteps, exploreInterval, exploreSteps } = this.tuning;
    // Until every arm has had its warm-up, the least tried, in blocks (a shape's first step after another pays a reshape).
    const lastSteps = this.steps[this.last] ?? 0;
    if (lastSteps < warmUpSteps && lastSteps % exploreSteps !== 0) return this.last;
    const leastTried = this.steps.reduce((least, steps, index) => (steps < (this.steps[least] ?? 0) ? index : least), 0);
    if ((this.steps[leastTried] ?? 0) < warmUpSteps) return (this.last = leastTried);
    // Every exploreInterval steps a round tries the arms other than the best one in turn, a block
    // of exploreSteps each (an arm with a budget from its first draft, see draftWaitSteps). Not
    // more often while plain steps are chosen: a try of the chain where drafting does not pay
    // costs several steps (its budget drafts at a loss while it measures), and rounds starting 128
    // steps apart, as greedy decodes needed before they stopped taking plain steps, made STAND
    // 1.2 % slower at N = 1, T = 0.7 on a 2-core CPU (8 paired replays).
    if (this.trying !== undefined && this.tryStepsLeft > 0) return (this.last = this.trying);
    const best = this.best();
    if (this.roundArms.length === 0 && this.step >= this.nextRound) {
      this.roundArms = this.arms.map((_, index) => index).filter((index) => index !== best);
      this.nextRound = this.step + exploreInterval;
    }
    this.trying = this.roundArms.shift();
    if (this.trying === undefined) return (this.last = best);
    this.tryStepsLeft = exploreSteps;
    this.waitStepsLeft = this.arms[this.trying]?.budget === undefined ? 0 : this.tuning.draftWaitSteps;
    return (this.last = this.trying);
  }
}

import type { DraftBudget } from "./draftBudget";
import type { DraftShape } from "./draftShape";

/** One shape the decoder may draft, with the budget that plans its depth (none to the whole shape) and learns its costs. */
export interface ShapeArm {
  readonly shape: DraftShape;
  readonly budget: DraftBudget;
}

export interface ShapeChoiceTuning {
  /** Steps each arm is tried before the choice settles (in blocks of exploreSteps). */
  readonly warmUpSteps: number;
  /** After that, every this many steps the arms not chosen get exploreSteps each. */
  readonly exploreInterval: number;
  readonly exploreSteps: number;
  /**
   * How much faster a later arm (a tree) must have measured than the first (the chain) to be
   * chosen. Clearly: on a CPU the two measure within noise of each other (the tree's budget then
   * rarely drafts), and a tree chosen by chance drafts at a loss while its budget learns; on a GPU
   * trees measure 1.5–2× faster.
   */
  readonly requiredGain: number;
  /**
   * Per step of the arm: about its last fifty steps count (one step's tokens vary several-fold).
   * An arm tried again after a pause starts afresh, so an exploring block measures the machine
   * as it is now (its load may have changed since).
   */
  readonly decay: number;
}

export const SHAPE_CHOICE_TUNING: ShapeChoiceTuning = {
  warmUpSteps: 16,
  exploreInterval: 512,
  exploreSteps: 8,
  requiredGain: 1.15,
  decay: 0.98,
};

/**
 * Chooses, step by step, which shape to draft (a chain or a tree), from what each has measured on
 * this machine: the tokens it committed per millisecond of its steps (target call and drafting).
 * Within a shape, its budget still plans how deep to draft, down to not drafting at all. A tree
 * verified on a CPU pays for every branch it evaluates, and loses; on a GPU extra positions are
 * nearly free, and it wins: the measurement decides, without a setting. The first arm is the
 * default, which the others must beat by requiredGain; the others are tried for a few steps now
 * and then, so a change of load can change the choice.
 */
export class ShapeChoice {
  private readonly tokens: number[];
  private readonly milliseconds: number[];
  private readonly steps: number[];
  /** The step each arm last recorded. */
  private readonly lastRecorded: number[];
  private step = 0;
  /** The arm of the last step, which a warm-up block continues. */
  private last = 0;

  constructor(
    readonly arms: readonly ShapeArm[],
    private readonly tuning: ShapeChoiceTuning = SHAPE_CHOICE_TUNING,
  ) {
    if (arms.length === 0) throw new RangeError("a shape choice needs at least one shape");
    this.tokens = arms.map(() => 0);
    this.milliseconds = arms.map(() => 0);
    this.steps = arms.map(() => 0);
    this.lastRecorded = arms.map(() => 0);
  }

  /** The arm for the next step. */
  next(): ShapeArm {
    const index = this.nextIndex();
    return this.arms[index] ?? (this.arms[0] as ShapeArm);
  }

  /**
   * Learns from a step planned with `arm`: the tokens it committed, what the step cost, and how
   * many tokens it drafted. A step that drafted nothing is the same whichever arm planned it, so
   * it counts for the first arm (the chain's budget also chooses not to draft): a tree is measured
   * only where it drafted, and its budget's choosing not to draft never makes trees look faster.
   */
  record(arm: ShapeArm, tokens: number, milliseconds: number, drafted = 1): void {
    this.step++;
    const planned = this.arms.indexOf(arm);
    if (planned < 0 || !(milliseconds > 0)) return;
    this.steps[planned] = (this.steps[planned] ?? 0) + 1;
    const index = drafted > 0 ? planned : 0;
    const { decay, exploreInterval } = this.tuning;
    if (this.step - (this.lastRecorded[index] ?? 0) > exploreInterval / 2) {
      this.tokens[index] = 0;
      this.milliseconds[index] = 0;
    }
    this.lastRecorded[index] = this.step;
    this.tokens[index] = (this.tokens[index] ?? 0) * decay + tokens;
    this.milliseconds[index] = (this.milliseconds[index] ?? 0) * decay + milliseconds;
  }

  /** Tokens per millisecond each arm has measured (0 before it is tried). */
  throughputs(): number[] {
    return this.arms.map((_, index) => {
      const milliseconds = this.milliseconds[index] ?? 0;
      return milliseconds > 0 ? (this.tokens[index] ?? 0) / milliseconds : 0;
    });
  }

  /** The arm it would choose now, exploration aside. */
  best(): number {
    const throughputs = this.throughputs();
    let best = 0;
    throughputs.forEach((throughput, index) => {
      if (index > 0 && throughput > (throughputs[best] ?? 0) * (best === 0 ? this.tuning.requiredGain : 1)) best = index;
    });
    return best;
  }

  private nextIndex(): number {
    const { warmUpSteps, exploreInterval, exploreSteps } = this.tuning;
    // Until every arm has had its warm-up, the least tried, in blocks (a shape's first step after another pays a reshape).
    const lastSteps = this.steps[this.last] ?? 0;
    if (lastSteps < warmUpSteps && lastSteps % exploreSteps !== 0) return this.last;
    const leastTried = this.steps.reduce((least, steps, index) => (steps < (this.steps[least] ?? 0) ? index : least), 0);
    if ((this.steps[leastTried] ?? 0) < warmUpSteps) return (this.last = leastTried);
    const best = this.best();
    const others = this.arms.map((_, index) => index).filter((index) => index !== best);
    const phase = this.step % exploreInterval;
    return (this.last = phase < others.length * exploreSteps ? (others[Math.floor(phase / exploreSteps)] ?? best) : best);
  }
}

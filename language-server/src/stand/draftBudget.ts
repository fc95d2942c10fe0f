import type { DraftShape } from "./draftShape";
import type { DraftTree } from "./draftTree";
import { NO_DRAFT } from "./drafters/drafter";
import type { Verification } from "./verifier";

/**
 * Online estimate of how likely a draft is to be accepted at each depth, given the evidence the
 * drafter had before drawing it (see Drafter.assess): α(e, d) = P(depth d accepted | depth d − 1
 * accepted). Counts decay so the estimate follows the text being written, and every rate is
 * pulled towards a prior, optimistic on purpose: a kind of draft must be tried to be learned, and
 * a few rejections are enough to pull a poor one below what pays.
 */
export class AcceptanceEstimator {
  private readonly tried = new Map<number, number>();
  private readonly accepted = new Map<number, number>();
  /** bestEstimates' answer until the next record (most steps record nothing). */
  private best: number[] | undefined;

  constructor(
    private readonly prior = 0.75,
    private readonly priorWeight = 2,
    private readonly decay = 0.995,
  ) {}

  /**
   * The rate at a depth is pulled towards the kind's rate one depth up where that is measured (a
   * draft good at one depth is likely good at the next until shown otherwise), else to the prior.
   */
  estimate(evidence: number, depth: number): number {
    return this.rates(evidence, depth)[depth]!;
  }

  /** estimate(evidence, d) at index d for every depth d from 1 to maxDepth, each computed once. */
  rates(evidence: number, maxDepth: number): number[] {
    const rates = [1];
    let prior = this.prior;
    for (let depth = 1; depth <= maxDepth; depth++) {
      const key = keyOf(evidence, depth);
      const tried = this.tried.get(key);
      const rate = ((this.accepted.get(key) ?? 0) + prior * this.priorWeight) / ((tried ?? 0) + this.priorWeight);
      rates.push(rate);
      prior = tried === undefined ? this.prior : rate;
    }
    return rates;
  }

  /**
   * Learns from a step that did not draft: the probability that a one-token draft would have been
   * accepted (Drafter.acceptanceIfDrafted) counts as a fractional first-depth outcome.
   */
  recordUndrafted(evidence: number, acceptance: number): void {
    if (evidence === NO_DRAFT) return;
    this.best = undefined;
    const key = keyOf(evidence, 1);
    this.tried.set(key, (this.tried.get(key) ?? 0) * this.decay + 1);
    this.accepted.set(key, (this.accepted.get(key) ?? 0) * this.decay + acceptance);
  }

  /** How many drafts (decayed) of this kind reached this depth. */
  tries(evidence: number, depth: number): number {
    return this.tried.get(keyOf(evidence, depth)) ?? 0;
  }

  /**
   * The highest estimate any kind of evidence has at each depth from 1 to maxDepth, counting the
   * prior (the estimate of a kind not seen yet): no draft can be a better bet than this.
   */
  bestEstimates(maxDepth: number): readonly number[] {
    if (this.best && this.best.length === maxDepth + 1) return this.best;
    const best = Array.from({ length: maxDepth + 1 }, () => this.prior);
    for (const key of this.tried.keys()) {
      if (key % 64 !== 1) continue;
      const rates = this.rates((key - 1) / 64, maxDepth);
      for (let depth = 1; depth <= maxDepth; depth++) best[depth] = Math.max(best[depth]!, rates[depth]!);
    }
    this.best = best;
    return best;
  }

  /** Learns from one verification: each depth the verifier reached, and whether it got past it. */
  record(evidence: number, draft: DraftTree, verification: Verification): void {
    if (evidence === NO_DRAFT) return;
    this.best = undefined;
    for (let depth = 1, node = 0; draft.children(node).length > 0; depth++) {
      const key = keyOf(evidence, depth);
      const accepted = verification.acceptedNodes[depth - 1];
      this.tried.set(key, (this.tried.get(key) ?? 0) * this.decay + 1);
      this.accepted.set(key, (this.accepted.get(key) ?? 0) * this.decay + (accepted === undefined ? 0 : 1));
      if (accepted === undefined) break;
      node = accepted;
    }
  }
}

function keyOf(evidence: number, depth: number): number {
  return evidence * 64 + Math.min(depth, 63);
}

/** How the budget prices a target call; CallCostModel learns it from the calls it times. */
export interface CallCost {
  /** Learns from a finished call. */
  record(sequences: number, draftTokens: number, milliseconds: number): void;
  /** The current estimate, as a function of the call's size (fixed for one planning step). */
  estimator(): (sequences: number, draftTokens: number) => number;
}

const FEATURES = 5;
/** Observations between two fits of the cost model: it drifts over hundreds of calls, not one. */
const REFIT_INTERVAL = 8;

/**
 * Online model of one target call's cost for S trajectories with D draft tokens in all:
 *
 *   ms ≈ fixed + perSequence·S + perDraft·D + batched·[S + D > 1] + reshape·[(S, D) ≠ previous call's]
 *
 * fitted by exponentially weighted least squares with a ridge pull towards a prior shape, so it is
 * defined from the first call and stays sane while the data cannot yet separate the terms. The
 * last two terms are real:
 * - on a CPU, llama.cpp's first extra token in a batch costs far more than the ones after it (a
 *   one-token batch takes a faster path), so a draft pays only if it is long enough;
 * - llama.cpp reuses the previous step's compute graph when a step has the same shape, so a call
 *   whose size differs from the one before costs more, and so does the plain call after a draft
 *   (measured on a 2-core CPU: +17 % for one trajectory, +6 to 11 % for sixteen).
 */
export class CallCostModel implements CallCost {
  private readonly normal = new Float64Array(FEATURES * FEATURES);
  private readonly moments = new Float64Array(FEATURES);
  private scale = 0;
  private observations = 0;
  /** The last fit, and how many observations arrived since (refitting every call would cost more than the call's bookkeeping). */
  private fitted: number[] | undefined;
  private sinceFit = 0;
  /** The shape of the last call recorded, which the next call is compared with. */
  private previous: { sequences: number; draftTokens: number } | undefined;

  /**
   * @param priorDraftCost a draft token's cost relative to a one-trajectory call, until measured.
   *   On a CPU each verified position costs a good part of a step; on a GPU it is nearly free.
   */
  constructor(
    private readonly priorDraftCost = 0.3,
    private readonly decay = 0.99,
    private readonly priorWeight = 0.05,
  ) {}

  record(sequences: number, draftTokens: number, milliseconds: number): void {
    if (!(milliseconds > 0) || sequences <= 0) return;
    const x = features(sequences, draftTokens, this.reshapes(sequences, draftTokens));
    this.previous = { sequences, draftTokens };
    for (let i = 0; i < this.normal.length; i++) this.normal[i]! *= this.decay;
    for (let i = 0; i < FEATURES; i++) {
      this.moments[i] = this.moments[i]! * this.decay + x[i]! * milliseconds;
      for (let j = 0; j < FEATURES; j++) this.normal[FEATURES * i + j]! += x[i]! * x[j]!;
    }
    // A rough per-trajectory cost, which sets the prior's scale.
    this.scale = this.observations === 0 ? milliseconds / sequences : 0.9 * this.scale + (0.1 * milliseconds) / sequences;
    this.observations++;
    this.sinceFit++;
  }

  /** Estimated milliseconds of a call of this shape in a run of calls of the same shape (relative units before any data). */
  cost(sequences: number, draftTokens: number): number {
    return predict(this.coefficients(), sequences, draftTokens, 0);
  }

  /**
   * The price of the next call, for planning it: its cost after the last call recorded. A call of
   * a new shape pays the reshape, and one with drafts pays it twice, as the plain call after it
   * will pay it again; so the plan drafts only where that pays too, and keeps a depth it has
   * rather than switching for a marginal gain.
   */
  estimator(): (sequences: number, draftTokens: number) => number {
    const coefficients = this.coefficients();
    return (sequences, draftTokens) => {
      const reshapes = this.reshapes(sequences, draftTokens) * (draftTokens > 0 ? 2 : 1);
      return predict(coefficients, sequences, draftTokens, reshapes);
    };
  }

  /** The fit, refreshed every REFIT_INTERVAL observations. */
  private coefficients(): number[] {
    if (!this.fitted || this.sinceFit >= REFIT_INTERVAL) {
      this.fitted = this.fit();
      this.sinceFit = 0;
    }
    return this.fitted;
  }

  /** 1 when a call of this shape differs from the last one recorded, else 0. */
  private reshapes(sequences: number, draftTokens: number): number {
    return this.previous && (this.previous.sequences !== sequences || this.previous.draftTokens !== draftTokens) ? 1 : 0;
  }

  /**
   * [fixed, perSequence, perDraft, batched, reshape]. Terms the data cannot separate (fixed and
   * perSequence while N never changes) are split by the prior; perDraft and reshape are kept
   * positive, so noise can never make drafting look free or a new shape look cheaper than the same.
   */
  fit(): number[] {
    const unit = this.scale > 0 ? this.scale : 1;
    const prior = [0.2 * unit, 0.8 * unit, this.priorDraftCost * unit, 0, 0];
    const a = Array.from(this.normal);
    const b = Array.from(this.moments);
    for (let i = 0; i < FEATURES; i++) {
      a[(FEATURES + 1) * i]! += this.priorWeight;
      b[i]! += this.priorWeight * prior[i]!;
    }
    const solution = solveLinear(a, b, FEATURES);
    if (!solution) return prior;
    if (!solution.every(Number.isFinite)) return prior;
    solution[2] = Math.max(0.01 * unit, solution[2]!);
    solution[4] = Math.max(0, solution[4]!);
    return solution;
  }
}

function features(sequences: number, draftTokens: number, reshapes: number): number[] {
  return [1, sequences, draftTokens, sequences + draftTokens > 1 ? 1 : 0, reshapes];
}

/** A fitted model's milliseconds for a call, never zero or negative. */
function predict(coefficients: readonly number[], sequences: number, draftTokens: number, reshapes: number): number {
  return Math.max(
    features(sequences, draftTokens, reshapes).reduce((sum, x, i) => sum + x * coefficients[i]!, 0),
    1e-6,
  );
}

/** Solves a·x = b for an n×n row-major a, by Gaussian elimination with partial pivoting. */
function solveLinear(a: number[], b: number[], n: number): number[] | undefined {
  const m = Array.from({ length: n }, (_, row) => [...a.slice(n * row, n * row + n), b[row]!]);
  for (let column = 0; column < n; column++) {
    let pivot = column;
    for (let row = column + 1; row < n; row++) if (Math.abs(m[row]![column]!) > Math.abs(m[pivot]![column]!)) pivot = row;
    if (Math.abs(m[pivot]![column]!) < 1e-12) return undefined;
    [m[column], m[pivot]] = [m[pivot]!, m[column]!];
    for (let row = 0; row < n; row++) {
      if (row === column) continue;
      const factor = m[row]![column]! / m[column]![column]!;
      for (let k = column; k <= n; k++) m[row]![k]! -= factor * m[column]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/**
 * Every EXPLORATION_INTERVAL steps the drafters assess even when no draft can pay, so the
 * acceptance estimates keep learning from what drafts would have done (recordUndrafted). While
 * the cost model has seen fewer than PRICED_DRAFT_CALLS calls with drafts, and then every
 * SETTLED_EXPLORATION_INTERVAL steps (the machine's load changes), such a step also drafts, at a
 * loss if need be: only a call with drafts shows what drafts cost.
 */
const EXPLORATION_INTERVAL = 16;
const SETTLED_EXPLORATION_INTERVAL = 256;
const PRICED_DRAFT_CALLS = 16;
/** Depths at least this likely to be reached and accepted are drafted when exploring. */
const EXPLORATION_MIN_GAIN = 0.5;
/**
 * A plan drafts only when it expects at least this much more throughput than not drafting: a
 * marginal expected gain is within the estimates' error, and a draft that loses costs a step.
 */
const REQUIRED_GAIN = 1.02;

interface Candidate {
  readonly trajectory: number;
  readonly depth: number;
  /** Probability that this depth is reached and accepted: its expected contribution in tokens. */
  readonly gain: number;
  /** Draft tokens it adds (the shape's width at this depth). */
  readonly tokens: number;
}

/**
 * Plans how deep each trajectory drafts this step, before any draft is drawn. A call with D draft
 * tokens for N trajectories costs cost(N, D) and is expected to commit E tokens (one per
 * trajectory, plus every accepted draft token); the plan maximises E / cost(N, D), taking the
 * most promising depths first across the whole batch. On a CPU, where each verified position
 * costs real compute, this drafts only where the evidence is strong — often nowhere — and with
 * N trajectories it spends the batch on the trajectories whose drafts are best bets.
 *
 * The plan uses only what the drafters knew before drawing (their assessments), never the drawn
 * tokens: cutting a sampled draft by what it contains would bias the output.
 */
export class DraftBudget {
  readonly acceptance: AcceptanceEstimator;
  readonly cost: CallCost;
  /**
   * The target evaluates every trajectory at the length of the longest one (LlamaTarget pads the
   * others: llama.cpp decodes sequences of unequal length in several passes). A deep draft for one
   * trajectory then costs as much as that depth for all, so every trajectory that can draft
   * drafts the same depth.
   */
  readonly sharedDepth: boolean;
  private steps = 0;
  private pricedDraftCalls = 0;

  constructor(options: { acceptance?: AcceptanceEstimator; cost?: CallCost; sharedDepth?: boolean } = {}) {
    this.acceptance = options.acceptance ?? new AcceptanceEstimator();
    this.cost = options.cost ?? new CallCostModel();
    this.sharedDepth = options.sharedDepth ?? false;
  }

  /**
   * Whether this step's plan could draft at all, asked before the drafters assess anything: not
   * when even the best kind of evidence seen so far, for every trajectory, would not pay and the
   * step does not explore. The decoder then skips the assessments, which cost as much as a good
   * part of a step where drafting cannot pay (a CPU at a high temperature).
   */
  needsEvidence(trajectories: number, shape: DraftShape): boolean {
    if (this.explores()) return true;
    const widths = shape.widths();
    const best = this.acceptance.bestEstimates(widths.length);
    const cost = this.cost.estimator();
    const none = trajectories / cost(trajectories, 0);
    // Every trajectory at the best odds, drafting one depth; and, where the batch is not padded
    // to the longest draft, one trajectory alone, which can pay where all would not.
    let gain = 0;
    let tokens = 0;
    for (let depth = 1; depth <= widths.length; depth++) {
      gain = (depth === 1 ? 1 : gain) * best[depth]!;
      tokens += widths[depth - 1]!;
      const all = (trajectories + trajectories * gain) / cost(trajectories, trajectories * tokens);
      const one = this.sharedDepth ? 0 : (trajectories + gain) / cost(trajectories, tokens);
      if (Math.max(all, one) > REQUIRED_GAIN * none) return true;
    }
    return false;
  }

  /** The draft depth for each trajectory, given each drafter assessment and the largest shape. */
  plan(evidence: readonly number[], shape: DraftShape): number[] {
    const widths = shape.widths();
    const cost = this.cost.estimator();
    const depths = this.sharedDepth ? this.planSharedDepth(evidence, widths, cost) : this.planDepths(evidence, widths, cost);
    if (this.explores()) this.explore(evidence, widths.length, depths);
    return depths;
  }

  /** Each trajectory's own depth: the depths with the best value per token first, across the batch. */
  private planDepths(
    evidence: readonly number[],
    widths: readonly number[],
    cost: (sequences: number, draftTokens: number) => number,
  ): number[] {
    const candidates: Candidate[] = [];
    evidence.forEach((kind, trajectory) => {
      if (kind === NO_DRAFT) return;
      const rates = this.acceptance.rates(kind, widths.length);
      let gain = 1;
      for (let depth = 1; depth <= widths.length; depth++) {
        gain *= rates[depth]!;
        candidates.push({ trajectory, depth, gain, tokens: widths[depth - 1]! });
      }
    });
    // Best value per token first; a trajectory's depths stay in order because gains only fall.
    candidates.sort((a, b) => b.gain / b.tokens - a.gain / a.tokens || a.depth - b.depth);

    // Take the prefix with the best expected throughput. Not stopping at the first loss matters:
    // on a CPU the first draft token can cost more than the ones after it.
    const sequences = evidence.length;
    let expected = sequences;
    let tokens = 0;
    let bestThroughput = (REQUIRED_GAIN * expected) / cost(sequences, 0);
    let bestCount = 0;
    candidates.forEach((candidate, i) => {
      expected += candidate.gain;
      tokens += candidate.tokens;
      const throughput = expected / cost(sequences, tokens);
      if (throughput > bestThroughput) {
        bestThroughput = throughput;
        bestCount = i + 1;
      }
    });
    const depths = evidence.map(() => 0);
    for (const candidate of candidates.slice(0, bestCount))
      depths[candidate.trajectory] = Math.max(depths[candidate.trajectory]!, candidate.depth);
    return depths;
  }

  /** plan() when every trajectory is evaluated at one length: the depth with the best expected throughput. */
  private planSharedDepth(
    evidence: readonly number[],
    widths: readonly number[],
    cost: (sequences: number, draftTokens: number) => number,
  ): number[] {
    // gains[d]: expected tokens that depth d adds, over all trajectories that can draft.
    const gains = new Float64Array(widths.length + 1);
    for (const kind of evidence) {
      if (kind === NO_DRAFT) continue;
      const rates = this.acceptance.rates(kind, widths.length);
      let gain = 1;
      for (let depth = 1; depth <= widths.length; depth++) {
        gain *= rates[depth]!;
        gains[depth]! += gain;
      }
    }
    const sequences = evidence.length;
    let expected = sequences;
    let tokens = 0;
    let bestThroughput = (REQUIRED_GAIN * expected) / cost(sequences, 0);
    let bestDepth = 0;
    for (let depth = 1; depth <= widths.length; depth++) {
      expected += gains[depth]!;
      tokens += sequences * widths[depth - 1]!;
      const throughput = expected / cost(sequences, tokens);
      if (throughput > bestThroughput) {
        bestThroughput = throughput;
        bestDepth = depth;
      }
    }
    return evidence.map((kind) => (kind === NO_DRAFT ? 0 : bestDepth));
  }

  /**
   * On an exploring step that prices drafts, drafts the likely depths (see EXPLORATION_MIN_GAIN) of
   * every kind of evidence. With a shared depth, every trajectory would pay for the deepest of
   * them, and pricing needs one draft token: such a step drafts one token each, unless the plan
   * drafts deeper anyway.
   */
  private explore(evidence: readonly number[], maxDepth: number, depths: number[]): void {
    if (this.pricedDraftCalls >= PRICED_DRAFT_CALLS && (this.steps + 1) % SETTLED_EXPLORATION_INTERVAL !== 0) return;
    const planned = Math.max(0, ...depths);
    evidence.forEach((kind, trajectory) => {
      if (kind === NO_DRAFT) return;
      const rates = this.acceptance.rates(kind, maxDepth);
      let gain = 1;
      for (let depth = 1; depth <= maxDepth; depth++) {
        gain *= rates[depth]!;
        if (gain < EXPLORATION_MIN_GAIN) break;
        depths[trajectory] = Math.max(depths[trajectory]!, depth);
      }
    });
    if (this.sharedDepth) {
      const shared = Math.max(planned, Math.min(1, Math.max(0, ...depths)));
      evidence.forEach((kind, trajectory) => (depths[trajectory] = kind === NO_DRAFT ? 0 : shared));
    }
  }

  /** Whether this step explores (see EXPLORATION_INTERVAL). */
  private explores(): boolean {
    return this.steps % EXPLORATION_INTERVAL === EXPLORATION_INTERVAL - 1;
  }

  /** Learns from a trajectory that assessed but did not draft (see AcceptanceEstimator.recordUndrafted). */
  recordUndrafted(evidence: number, acceptance: number): void {
    this.acceptance.recordUndrafted(evidence, acceptance);
  }

  /** Learns from a finished step: what was accepted, and what the call cost. */
  record(
    evidence: readonly number[],
    drafts: readonly DraftTree[],
    verifications: readonly Verification[],
    milliseconds: number | undefined,
  ): void {
    this.steps++;
    drafts.forEach((draft, i) => this.acceptance.record(evidence[i] ?? NO_DRAFT, draft, verifications[i]!));
    if (milliseconds === undefined) return;
    // With a shared depth, the target evaluated every trajectory at the longest draft's length.
    const draftTokens = this.sharedDepth
      ? drafts.length * drafts.reduce((longest, draft) => Math.max(longest, draft.draftedCount), 0)
      : drafts.reduce((sum, draft) => sum + draft.draftedCount, 0);
    this.cost.record(drafts.length, draftTokens, milliseconds);
    if (draftTokens > 0) this.pricedDraftCalls++;
  }
}

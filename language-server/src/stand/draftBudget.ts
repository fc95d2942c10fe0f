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

  constructor(
    private readonly prior = 0.75,
    private readonly priorWeight = 2,
    private readonly decay = 0.995,
  ) {}

  estimate(evidence: number, depth: number): number {
    const key = keyOf(evidence, depth);
    return ((this.accepted.get(key) ?? 0) + this.prior * this.priorWeight) / ((this.tried.get(key) ?? 0) + this.priorWeight);
  }

  /** Learns from one verification: each depth the verifier reached, and whether it got past it. */
  record(evidence: number, draft: DraftTree, verification: Verification): void {
    if (evidence === NO_DRAFT) return;
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

const FEATURES = 4;

/**
 * Online model of one target call's cost for S trajectories with D draft tokens in all:
 *
 *   ms ≈ fixed + perSequence·S + perDraft·D + batched·[S + D > 1]
 *
 * fitted by exponentially weighted least squares with a ridge pull towards a prior shape, so it is
 * defined from the first call and stays sane while the data cannot yet separate the terms. The
 * last term is real: on a CPU, llama.cpp's first extra token in a batch costs far more than the
 * ones after it (a one-token batch takes a faster path), so a draft pays only if it is long
 * enough — a straight line would get that wrong both ways.
 */
export class CallCostModel implements CallCost {
  private readonly normal = new Float64Array(FEATURES * FEATURES);
  private readonly moments = new Float64Array(FEATURES);
  private scale = 0;
  private observations = 0;

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
    const x = features(sequences, draftTokens);
    for (let i = 0; i < this.normal.length; i++) this.normal[i]! *= this.decay;
    for (let i = 0; i < FEATURES; i++) {
      this.moments[i] = this.moments[i]! * this.decay + x[i]! * milliseconds;
      for (let j = 0; j < FEATURES; j++) this.normal[FEATURES * i + j]! += x[i]! * x[j]!;
    }
    // A rough per-trajectory cost, which sets the prior's scale.
    this.scale = this.observations === 0 ? milliseconds / sequences : 0.9 * this.scale + (0.1 * milliseconds) / sequences;
    this.observations++;
  }

  /** Estimated milliseconds of a call (relative units before any data). */
  cost(sequences: number, draftTokens: number): number {
    return this.estimator()(sequences, draftTokens);
  }

  estimator(): (sequences: number, draftTokens: number) => number {
    const coefficients = this.fit();
    return (sequences, draftTokens) => Math.max(features(sequences, draftTokens).reduce((sum, x, i) => sum + x * coefficients[i]!, 0), 1e-6);
  }

  /**
   * [fixed, perSequence, perDraft, batched]. Terms the data cannot separate (fixed and
   * perSequence while N never changes) are split by the prior; only perDraft is kept positive,
   * so noise can never make drafting look free.
   */
  fit(): number[] {
    const unit = this.scale > 0 ? this.scale : 1;
    const prior = [0.2 * unit, 0.8 * unit, this.priorDraftCost * unit, 0];
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
    return solution;
  }
}

function features(sequences: number, draftTokens: number): number[] {
  return [1, sequences, draftTokens, sequences + draftTokens > 1 ? 1 : 0];
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
 * Every this many steps the budget explores (see plan): often while it has seen few drafts
 * priced, rarely after, since each exploration costs a call that may not pay.
 */
const EXPLORATION_INTERVAL = 16;
const SETTLED_EXPLORATION_INTERVAL = 128;
/** Calls with drafts the cost model must have seen before exploration slows down. */
const PRICED_DRAFT_CALLS = 32;
/** Depths at least this likely to be reached and accepted are drafted when exploring. */
const EXPLORATION_MIN_GAIN = 0.5;

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

  /** The draft depth for each trajectory, given each drafter assessment and the largest shape. */
  plan(evidence: readonly number[], shape: DraftShape): number[] {
    const widths = shape.widths();
    const cost = this.cost.estimator();
    if (this.sharedDepth) return this.planSharedDepth(evidence, widths, cost);
    const candidates: Candidate[] = [];
    evidence.forEach((kind, trajectory) => {
      if (kind === NO_DRAFT) return;
      let gain = 1;
      for (let depth = 1; depth <= widths.length; depth++) {
        gain *= this.acceptance.estimate(kind, depth);
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
    let bestThroughput = expected / cost(sequences, 0);
    let bestCount = 0;
    let likelyCount = 0;
    candidates.forEach((candidate, i) => {
      expected += candidate.gain;
      tokens += candidate.tokens;
      const throughput = expected / cost(sequences, tokens);
      if (throughput > bestThroughput) {
        bestThroughput = throughput;
        bestCount = i + 1;
      }
      if (candidate.gain >= EXPLORATION_MIN_GAIN && likelyCount === i) likelyCount = i + 1;
    });
    if (this.explores()) bestCount = Math.max(bestCount, likelyCount);

    const depths = evidence.map(() => 0);
    for (const candidate of candidates.slice(0, bestCount)) depths[candidate.trajectory] = Math.max(depths[candidate.trajectory]!, candidate.depth);
    return depths;
  }

  /** plan() when every trajectory is evaluated at one length: the depth with the best expected throughput. */
  private planSharedDepth(evidence: readonly number[], widths: readonly number[], cost: (sequences: number, draftTokens: number) => number): number[] {
    // gains[d]: expected tokens that depth d adds, over all trajectories that can draft.
    const gains = new Float64Array(widths.length + 1);
    let likelyDepth = 0;
    for (const kind of evidence) {
      if (kind === NO_DRAFT) continue;
      let gain = 1;
      for (let depth = 1; depth <= widths.length; depth++) {
        gain *= this.acceptance.estimate(kind, depth);
        gains[depth]! += gain;
        if (gain >= EXPLORATION_MIN_GAIN) likelyDepth = Math.max(likelyDepth, depth);
      }
    }
    const sequences = evidence.length;
    let expected = sequences;
    let tokens = 0;
    let bestThroughput = expected / cost(sequences, 0);
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
    if (this.explores()) bestDepth = Math.max(bestDepth, likelyDepth);
    return evidence.map((kind) => (kind === NO_DRAFT ? 0 : bestDepth));
  }

  /**
   * Now and then, draft every likely depth even when the cost model advises against it: the
   * model only learns what drafts cost by seeing some, and the machine's load changes.
   */
  private explores(): boolean {
    const interval = this.pricedDraftCalls < PRICED_DRAFT_CALLS ? EXPLORATION_INTERVAL : SETTLED_EXPLORATION_INTERVAL;
    return ++this.steps % interval === 0;
  }

  /** Learns from a finished step: what was accepted, and what the call cost. */
  record(evidence: readonly number[], drafts: readonly DraftTree[], verifications: readonly Verification[], milliseconds: number | undefined): void {
    drafts.forEach((draft, i) => this.acceptance.record(evidence[i]!, draft, verifications[i]!));
    if (milliseconds === undefined) return;
    // With a shared depth, the target evaluated every trajectory at the longest draft's length.
    const draftTokens = this.sharedDepth
      ? drafts.length * drafts.reduce((longest, draft) => Math.max(longest, draft.draftedCount), 0)
      : drafts.reduce((sum, draft) => sum + draft.draftedCount, 0);
    this.cost.record(drafts.length, draftTokens, milliseconds);
    if (draftTokens > 0) this.pricedDraftCalls++;
  }
}

import { AcceptanceEstimator, reachOf } from "./acceptanceEstimator";
import { BUDGET_TUNING, type Tuning } from "./budgetTuning";
import { CallCostModel, type CallCost } from "./callCostModel";
import type { DraftShape } from "./draftShape";
import type { DraftTree } from "./draftTree";
import type { Evidence } from "./evidence";
import { evaluatedDraftTokens, type TargetCapabilities } from "./target";
import type { Verification } from "./verifier";

type Price = (sequences: number, draftTokens: number) => number;

interface Candidate {
  readonly trajectory: number;
  readonly depth: number;
  /** Probability that this depth is reached and accepted: its expected contribution in tokens. */
  readonly reach: number;
  /** Draft tokens it adds (the shape's width at this depth). */
  readonly tokens: number;
}

export interface DraftBudgetOptions {
  readonly acceptance?: AcceptanceEstimator;
  readonly cost?: CallCost;
  /** The target's TargetCapabilities.padsToLongestDraft: then every trajectory that drafts drafts one depth. */
  readonly padsToLongestDraft?: boolean;
  readonly tuning?: Tuning<"planning">;
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
   * Whether the target evaluates every trajectory at the length of the longest draft. A deep
   * draft for one trajectory then costs as much as that depth for all, so every trajectory that
   * can draft drafts the same depth.
   */
  readonly sharedDepth: boolean;
  private readonly tuning: Tuning<"planning">;
  private steps = 0;
  private pricedDraftCalls = 0;
  /** Calls in a row with drafts (see BUDGET_TUNING.planning.plainInterval). */
  private draftCallsInARow = 0;
  /** Plain steps still to run before drafting again: two, since only the second prices the load. */
  private plainStepsOwed = 0;
  /** Steps in a row that could have drafted and did not (see BUDGET_TUNING.planning.restAfter). */
  private idleSteps = 0;
  /** Steps between two answers of needsEvidence worked out while resting (1: every step). */
  private restGap = 1;
  /** Steps still to pass before needsEvidence works its answer out again. */
  private restingSteps = 0;
  /** needsEvidence's answer on the last step that worked it out; a resting step repeats a yes. */
  private evidenceNeeded = true;

  constructor(options: DraftBudgetOptions = {}) {
    this.acceptance = options.acceptance ?? new AcceptanceEstimator();
    this.cost = options.cost ?? new CallCostModel();
    this.sharedDepth = options.padsToLongestDraft ?? false;
    this.tuning = options.tuning ?? BUDGET_TUNING.planning;
  }

  /** A budget for one target (one decoding context): it learns that target's costs. */
  static for(target: { readonly capabilities: TargetCapabilities }): DraftBudget {
    return new DraftBudget({ padsToLongestDraft: target.capabilities.padsToLongestDraft });
  }

  /**
   * Whether this step's plan could draft at all, asked before the drafters assess anything: not
   * when even the best kind of evidence seen so far, for every trajectory, would not pay and the
   * step does not explore. The decoder then skips the assessments, which cost as much as a good
   * part of a step where drafting cannot pay (a CPU at a high temperature). A resting step (see
   * BUDGET_TUNING.planning.restAfter) repeats a last answer of yes instead of working it out again.
   */
  needsEvidence(trajectories: number, shape: DraftShape): boolean {
    if (this.pricesPlain()) return false;
    if (this.explores()) return true;
    // Only a yes stands: a step told no drafts nothing, so a stale no could hold drafting back.
    if (this.restingSteps > 0 && this.evidenceNeeded) return true;
    this.evidenceNeeded = this.couldPay(trajectories, shape);
    return this.evidenceNeeded;
  }

  /** The draft depth for each trajectory, given each drafter's assessment and the largest shape. */
  plan(evidence: readonly (Evidence | undefined)[], shape: DraftShape): number[] {
    if (this.pricesPlain()) return evidence.map(() => 0);
    const widths = shape.widths();
    const price = this.cost.estimator();
    const depths = this.sharedDepth ? this.planSharedDepth(evidence, widths, price) : this.planDepths(evidence, widths, price);
    if (this.explores()) this.explore(evidence, widths.length, depths);
    return depths;
  }

  /** Learns from a trajectory that assessed but did not draft (see AcceptanceEstimator.recordUndrafted). */
  recordUndrafted(evidence: Evidence, acceptance: number): void {
    this.acceptance.recordUndrafted(evidence, acceptance);
  }

  /** Learns from a finished step: what was accepted, and what the call cost. */
  record(
    evidence: readonly (Evidence | undefined)[],
    drafts: readonly DraftTree[],
    verifications: readonly Verification[],
    milliseconds: number | undefined,
  ): void {
    this.steps++;
    drafts.forEach((draft, i) => {
      const kind = evidence[i];
      const verification = verifications[i];
      if (kind && verification) this.acceptance.record(kind, draft, verification);
    });
    const drafted = drafts.some((draft) => draft.draftedCount > 0);
    if (drafted) {
      if (++this.draftCallsInARow >= this.tuning.plainInterval) this.plainStepsOwed = 2;
    } else {
      this.draftCallsInARow = 0;
      this.plainStepsOwed = Math.max(0, this.plainStepsOwed - 1);
    }
    this.rest(drafted);
    if (milliseconds === undefined) return;
    // With a shared depth, the target evaluated every trajectory at the longest draft's length.
    const draftTokens = evaluatedDraftTokens(drafts, this.sharedDepth);
    this.cost.record(drafts.length, draftTokens, milliseconds);
    if (draftTokens > 0) this.pricedDraftCalls++;
  }

  /** Whether a plan with the best evidence seen so far, for every trajectory, would draft (see needsEvidence). */
  private couldPay(trajectories: number, shape: DraftShape): boolean {
    const widths = shape.widths();
    const reach = reachOf(this.acceptance.bestRates(widths.length));
    const price = this.cost.estimator();
    const none = trajectories / price(trajectories, 0);
    // Every trajectory at the best odds, drafting down to one depth; and, where the batch is not
    // padded to the longest draft, one trajectory alone, which can pay where all would not. A
    // draft down to a depth gains every depth above it too, as plan() counts it.
    let tokens = 0;
    let gain = 0;
    for (let depth = 1; depth <= widths.length; depth++) {
      gain += reach[depth] ?? 0;
      tokens += widths[depth - 1] ?? 0;
      const all = (trajectories + trajectories * gain) / price(trajectories, trajectories * tokens);
      const one = this.sharedDepth ? 0 : (trajectories + gain) / price(trajectories, tokens);
      if (Math.max(all, one) > this.tuning.requiredGain * none) return true;
    }
    return false;
  }

  /** Each trajectory's own depth: the depths with the best value per token first, across the batch. */
  private planDepths(evidence: readonly (Evidence | undefined)[], widths: readonly number[], price: Price): number[] {
    const candidates: Candidate[] = [];
    evidence.forEach((kind, trajectory) => {
      if (!kind) return;
      const reach = this.acceptance.reach(kind, widths.length);
      for (let depth = 1; depth <= widths.length; depth++) {
        candidates.push({ trajectory, depth, reach: reach[depth] ?? 0, tokens: widths[depth - 1] ?? 0 });
      }
    });
    // Best value per token first; a trajectory's depths stay in order because reach only falls.
    candidates.sort((a, b) => b.reach / b.tokens - a.reach / a.tokens || a.depth - b.depth);

    // Take the prefix with the best expected throughput. Not stopping at the first loss matters:
    // on a CPU the first draft token can cost more than the ones after it.
    const sequences = evidence.length;
    let expected = sequences;
    let tokens = 0;
    let bestThroughput = (this.tuning.requiredGain * expected) / price(sequences, 0);
    let bestCount = 0;
    candidates.forEach((candidate, i) => {
      expected += candidate.reach;
      tokens += candidate.tokens;
      const throughput = expected / price(sequences, tokens);
      if (throughput > bestThroughput) {
        bestThroughput = throughput;
        bestCount = i + 1;
      }
    });
    const depths = evidence.map(() => 0);
    for (const { trajectory, depth } of candidates.slice(0, bestCount)) depths[trajectory] = Math.max(depths[trajectory] ?? 0, depth);
    return depths;
  }

  /** plan() when every trajectory is evaluated at one length: the depth with the best expected throughput. */
  private planSharedDepth(evidence: readonly (Evidence | undefined)[], widths: readonly number[], price: Price): number[] {
    // gains[d]: expected tokens that depth d adds, over all trajectories that can draft.
    const gains = new Float64Array(widths.length + 1);
    for (const kind of evidence) {
      if (!kind) continue;
      this.acceptance.reach(kind, widths.length).forEach((reach, depth) => (gains[depth] = (gains[depth] ?? 0) + reach));
    }
    const sequences = evidence.length;
    let expected = sequences;
    let tokens = 0;
    let bestThroughput = (this.tuning.requiredGain * expected) / price(sequences, 0);
    let bestDepth = 0;
    for (let depth = 1; depth <= widths.length; depth++) {
      expected += gains[depth] ?? 0;
      tokens += sequences * (widths[depth - 1] ?? 0);
      const throughput = expected / price(sequences, tokens);
      if (throughput > bestThroughput) {
        bestThroughput = throughput;
        bestDepth = depth;
      }
    }
    return evidence.map((kind) => (kind ? bestDepth : 0));
  }

  /**
   * On an exploring step that prices drafts, drafts the likely depths (explorationMinReach) of
   * every kind of evidence. With a shared depth, every trajectory would pay for the deepest of
   * them, and pricing needs one draft token: such a step drafts one token each, unless the plan
   * drafts deeper anyway.
   */
  private explore(evidence: readonly (Evidence | undefined)[], maxDepth: number, depths: number[]): void {
    const { pricedDraftCalls, settledExplorationInterval, explorationMinReach } = this.tuning;
    if (this.pricedDraftCalls >= pricedDraftCalls && (this.steps + 1) % settledExplorationInterval !== 0) return;
    const planned = Math.max(0, ...depths);
    evidence.forEach((kind, trajectory) => {
      if (!kind) return;
      const reach = this.acceptance.reach(kind, maxDepth);
      let likely = 0;
      while (likely < maxDepth && (reach[likely + 1] ?? 0) >= explorationMinReach) likely++;
      depths[trajectory] = Math.max(depths[trajectory] ?? 0, likely);
    });
    if (this.sharedDepth) {
      const shared = Math.max(planned, Math.min(1, Math.max(0, ...depths)));
      evidence.forEach((kind, trajectory) => (depths[trajectory] = kind ? shared : 0));
    }
  }

  /**
   * Spaces needsEvidence's work out while steps that could draft do not (see
   * BUDGET_TUNING.planning.restAfter): each gap twice the last, up to maxRestGap; a draft ends the rest.
   */
  private rest(drafted: boolean): void {
    if (drafted) {
      this.idleSteps = 0;
      this.restGap = 1;
      this.restingSteps = 0;
    } else if (this.restingSteps > 0) {
      this.restingSteps--;
    } else if (++this.idleSteps >= this.tuning.restAfter) {
      this.restGap = Math.min(this.tuning.maxRestGap, this.restGap * 2);
      this.restingSteps = this.restGap - 1;
    }
  }

  /** Whether this step drafts nothing so that a plain call is priced (see BUDGET_TUNING.planning.plainInterval). */
  private pricesPlain(): boolean {
    return this.plainStepsOwed > 0;
  }

  /** Whether this step explores (see BUDGET_TUNING.planning.explorationInterval). */
  private explores(): boolean {
    const { explorationInterval } = this.tuning;
    return this.steps % explorationInterval === explorationInterval - 1;
  }
}

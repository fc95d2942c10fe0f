import { BUDGET_TUNING, type Tuning } from "./budgetTuning";
import type { DraftTree } from "./draftTree";
import type { Evidence } from "./evidence";
import type { Verification } from "./verifier";

/** Decayed counts of one kind of evidence: index d − 1 holds depth d. */
interface DepthCounts {
  readonly tried: number[];
  readonly accepted: number[];
}

/**
 * The probability that each depth of a draft is reached and accepted, from the rate at each
 * depth given the one before: reach[d] = rates[1] · … · rates[d] (reach[0] = 1, the root).
 */
export function reachOf(rates: readonly number[]): number[] {
  const reach = [1];
  for (let depth = 1, product = 1; depth < rates.length; depth++) reach.push((product *= rates[depth] ?? 0));
  return reach;
}

/**
 * Online estimate of how likely a draft is to be accepted at each depth, given the evidence the
 * drafter had before drawing it (see Drafter.assess): α(e, d) = P(depth d accepted | depth d − 1
 * accepted). Counts decay so the estimate follows the text being written, and every rate is
 * pulled towards a prior (BUDGET_TUNING.acceptance).
 */
export class AcceptanceEstimator {
  private readonly counts = new Map<Evidence, DepthCounts>();
  /** bestRates' answer until the next record. */
  private best: number[] | undefined;
  /** Each kind's rates as bestRates last read them, until that kind's counts change (one kind changes per record). */
  private readonly ratesByKind = new Map<Evidence, number[]>();
  /** Each kind's reach as reach() last worked it out, likewise: the budget asks it for every trajectory that assesses, every step. */
  private readonly reachByKind = new Map<Evidence, readonly number[]>();

  constructor(private readonly tuning: Tuning<"acceptance"> = BUDGET_TUNING.acceptance) {}

  /**
   * The rate at each depth d from 1 to maxDepth, at index d (index 0 is the root, rate 1). A
   * depth is pulled towards the kind's rate one depth up where that is measured (a draft good at
   * one depth is likely good at the next until shown otherwise), else to the prior.
   */
  rates(evidence: Evidence, maxDepth: number): number[] {
    const { prior, priorWeight } = this.tuning;
    const counts = this.counts.get(evidence);
    const rates = [1];
    let pull = prior;
    for (let depth = 1; depth <= maxDepth; depth++) {
      const tried = counts?.tried[depth - 1];
      const accepted = counts?.accepted[depth - 1] ?? 0;
      const rate = (accepted + pull * priorWeight) / ((tried ?? 0) + priorWeight);
      rates.push(rate);
      pull = tried === undefined ? prior : rate;
    }
    return rates;
  }

  /** The estimated rate at one depth. */
  estimate(evidence: Evidence, depth: number): number {
    return this.rates(evidence, depth)[depth] ?? this.tuning.prior;
  }

  /** reachOf(rates(evidence, maxDepth)): how likely each depth is to be reached and accepted. */
  reach(evidence: Evidence, maxDepth: number): readonly number[] {
    let reach = this.reachByKind.get(evidence);
    if (reach?.length !== maxDepth + 1) this.reachByKind.set(evidence, (reach = reachOf(this.rates(evidence, maxDepth))));
    return reach;
  }

  /**
   * The highest rate any kind of evidence has at each depth from 1 to maxDepth, counting the
   * prior (the rate of a kind not seen yet): no draft can be a better bet than this.
   */
  bestRates(maxDepth: number): readonly number[] {
    if (this.best?.length === maxDepth + 1) return this.best;
    const best = Array.from({ length: maxDepth + 1 }, () => this.tuning.prior);
    for (const evidence of this.counts.keys()) {
      let rates = this.ratesByKind.get(evidence);
      if (rates?.length !== maxDepth + 1) this.ratesByKind.set(evidence, (rates = this.rates(evidence, maxDepth)));
      for (let depth = 0; depth <= maxDepth; depth++) best[depth] = Math.max(best[depth] ?? 0, rates[depth] ?? 0);
    }
    this.best = best;
    return best;
  }

  /** How many drafts (decayed) of this kind reached this depth. */
  tries(evidence: Evidence, depth: number): number {
    return this.counts.get(evidence)?.tried[depth - 1] ?? 0;
  }

  /** Learns from one verification: each depth the verifier reached, and whether it got past it. */
  record(evidence: Evidence, draft: DraftTree, verification: Verification): void {
    for (let depth = 1, node = 0; draft.children(node).length > 0; depth++) {
      const accepted = verification.acceptedNodes[depth - 1];
      this.observe(evidence, depth, accepted === undefined ? 0 : 1);
      if (accepted === undefined) break;
      node = accepted;
    }
  }

  /**
   * Learns from a step that did not draft: the probability that a one-token draft would have been
   * accepted (Drafter.acceptanceIfDrafted) counts as a fractional first-depth outcome.
   */
  recordUndrafted(evidence: Evidence, acceptance: number): void {
    this.observe(evidence, 1, acceptance);
  }

  private observe(evidence: Evidence, depth: number, accepted: number): void {
    this.best = undefined;
    this.ratesByKind.delete(evidence);
    this.reachByKind.delete(evidence);
    let counts = this.counts.get(evidence);
    if (!counts) this.counts.set(evidence, (counts = { tried: [], accepted: [] }));
    const { decay } = this.tuning;
    const index = depth - 1;
    counts.tried[index] = (counts.tried[index] ?? 0) * decay + 1;
    counts.accepted[index] = (counts.accepted[index] ?? 0) * decay + accepted;
  }
}

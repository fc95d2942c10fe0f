import type { DraftShape } from "../draftShape";
import type { DraftTree } from "../draftTree";
import type { Evidence } from "../evidence";
import type { SparseDistribution } from "../distribution";
import type { Random } from "../random";

export interface DraftRequest {
  /** Every committed token of the trajectory: the prompt, then what was generated. */
  readonly context: readonly number[];
  /** The most the draft may contain; drafters may draft less (or nothing). */
  readonly shape: DraftShape;
  /** The target sampler's temperature, so draft distributions match its sharpness. */
  readonly temperature: number;
  readonly random: Random;
  /** Deepest draft level to send this step (the draft budget's plan); the whole shape when absent. */
  readonly maxDraftDepth?: number;
}

/** A source of draft trees. STAND, deterministic n-gram and prompt lookup all fit it, as does "no draft". */
export interface Drafter {
  readonly name: string;
  /**
   * The evidence behind the next draft for this context, undefined when there would be no draft.
   * It must be known before drawing (see Evidence).
   */
  assess(context: readonly number[], temperature: number): Evidence | undefined;
  draft(request: DraftRequest): DraftTree;
  /**
   * The probability that a one-token draft for this context would have been accepted where the
   * target's next-token distribution is `target` (undefined when there would be no draft). Lets
   * the draft budget learn how good its evidence is on steps that did not draft, for free.
   */
  acceptanceIfDrafted(context: readonly number[], target: SparseDistribution, temperature: number): number | undefined;
  /**
   * Learns from the target's distribution at every node of a verified draft (index = node). A
   * drafter that learns nothing has none, and the decoder then keeps no lessons for it: plain
   * decoding runs every step and should pay nothing for learning.
   */
  learn?(draft: DraftTree, distributions: readonly SparseDistribution[], temperature: number): void;
}

import type { DraftShape } from "../draftShape";
import type { DraftTree } from "../draftTree";
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
}

/** A source of draft trees. STAND, deterministic n-gram and prompt lookup all fit it, as does "no draft". */
export interface Drafter {
  readonly name: string;
  draft(request: DraftRequest): DraftTree;
  /** Learns from the target's distribution at every node of a verified draft (index = node). */
  learn(draft: DraftTree, distributions: readonly SparseDistribution[], temperature: number): void;
}

import type { DraftTree } from "./draftTree";
import type { SparseDistribution } from "./distribution";
import type { SamplingOptions } from "./sampling";

/** What one trajectory asks of the target in one step. */
export interface TargetRequest {
  /** Stable index of the trajectory (a real model maps it to a context sequence). */
  readonly trajectory: number;
  /** Every committed token: the prompt, then what was generated so far. */
  readonly context: readonly number[];
  /** The draft tree to verify on top of the context (a root-only tree is plain decoding). */
  readonly draft: DraftTree;
}

/** What a target can do, so the engine plans for it without knowing the runtime behind it. */
export interface TargetCapabilities {
  /** Verifies draft trees (nodes with several children) in one call; without it, chains only. */
  readonly trees: boolean;
  /** With trees: the most root-to-leaf branches a draft may have (undefined: any number). */
  readonly treeBranches?: number;
  /**
   * Evaluates every trajectory of a call at the length of the longest draft, so that the call
   * stays one pass: a draft then costs as much for every trajectory as for the one that drafts,
   * and the draft budget plans one depth for all.
   */
  readonly padsToLongestDraft: boolean;
}

export interface EvaluationOptions {
  /** Aborting rejects the call (the target may finish the computation in flight first). */
  readonly signal?: AbortSignal;
  /**
   * Work the caller wants done while the target computes (learning from the previous call). The
   * target runs it once per call, before the call's result, where it delays the call least: a
   * target that computes on another thread runs it once that computation is under way (or after
   * it, where the result's path is then shorter); one that computes on this thread runs it first.
   * If it throws, the call fails with its error.
   */
  readonly meanwhile?: () => void;
}

/**
 * The model being decoded, as the engine sees it. One call evaluates the drafts of all
 * trajectories together (a real model batches them into one forward pass) and returns, for each
 * request, the sampler's distribution at every node of its draft: index 0 is the distribution of
 * the next token after the context, index i the one after the path to node i. Distributions are
 * the sampler's own (temperature, top-k, top-p, min-p applied; a point mass on the argmax at
 * temperature 0), so the verifier reproduces that sampler exactly.
 */
export interface TargetModel {
  readonly capabilities: TargetCapabilities;
  evaluate(requests: readonly TargetRequest[], sampling: SamplingOptions, options?: EvaluationOptions): Promise<SparseDistribution[][]>;
}

/**
 * Draft tokens a call evaluates for these drafts, all trajectories together: each at the longest
 * draft's length where the target pads to it (TargetCapabilities.padsToLongestDraft), else each its own.
 */
export function evaluatedDraftTokens(drafts: readonly DraftTree[], padsToLongestDraft: boolean): number {
  return padsToLongestDraft
    ? drafts.length * drafts.reduce((longest, draft) => Math.max(longest, draft.draftedCount), 0)
    : drafts.reduce((sum, draft) => sum + draft.draftedCount, 0);
}

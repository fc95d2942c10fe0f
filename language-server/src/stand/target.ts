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

/**
 * The model being decoded, as the engine sees it. One call evaluates the drafts of all
 * trajectories together (a real model batches them into one forward pass) and returns, for each
 * request, the sampler's distribution at every node of its draft: index 0 is the distribution of
 * the next token after the context, index i the one after the path to node i. Distributions are
 * the sampler's own (temperature, top-k, top-p, min-p applied; a point mass on the argmax at
 * temperature 0), so the verifier reproduces that sampler exactly.
 */
export interface TargetModel {
  evaluate(requests: readonly TargetRequest[], sampling: SamplingOptions, signal?: AbortSignal): Promise<SparseDistribution[][]>;
}

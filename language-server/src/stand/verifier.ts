import type { DraftTree } from "./draftTree";
import { pointMass, probabilityOf, residual, sampleToken, withoutToken, type SparseDistribution } from "./distribution";
import type { Random } from "./random";

export interface Verification {
  /** The tokens to commit: the accepted draft path, then one token sampled by the target. */
  readonly tokens: number[];
  /** How many leading tokens of `tokens` are accepted drafts. */
  readonly acceptedCount: number;
  /** The accepted draft nodes, root to leaf. */
  readonly acceptedNodes: number[];
}

export type Verifier = (draft: DraftTree, distributions: readonly SparseDistribution[], random: Random) => Verification;

/**
 * Recursive rejection sampling over a draft tree (Jeon et al. 2024), exact for the target
 * sampler whose distributions are given per node:
 *
 * at a node with target distribution p whose children x₁..x_c were drawn without replacement from
 * q, accept x_j with probability min(1, p(x_j)/q(x_j)) and descend; on rejection set
 * p ← normalise(max(p − q, 0)) and remove x_j from q before trying the next sibling. When every
 * child is rejected, sample the correction token from the current p; at an accepted leaf, sample
 * a bonus token from the leaf's p. Point-mass children use q = δ(x_j) (accepted with p(x_j)).
 * At temperature 0 each p is a point mass, so a draft is accepted iff it is the argmax.
 */
export const verifyDraft: Verifier = (draft, distributions, random) => {
  const tokens: number[] = [];
  const acceptedNodes: number[] = [];
  for (let node = 0; ;) {
    let p = distributionAt(distributions, node);
    let q = draft.childDistributions[node];
    let accepted: { node: number; token: number } | undefined;
    for (const child of draft.children(node)) {
      const token = draft.tokens[child] ?? -1;
      const draftProbability = q ? probabilityOf(q, token) : 1;
      if (random.next() * draftProbability < probabilityOf(p, token)) {
        accepted = { node: child, token };
        break;
      }
      p = residual(p, q ?? pointMass(token));
      if (q) q = withoutToken(q, token);
    }
    if (!accepted) {
      tokens.push(sampleToken(p, random));
      return { tokens, acceptedCount: acceptedNodes.length, acceptedNodes };
    }
    tokens.push(accepted.token);
    acceptedNodes.push(accepted.node);
    node = accepted.node;
  }
};

/** The target's distribution at a node; every node of the draft must have one. */
export function distributionAt(distributions: readonly SparseDistribution[], node: number): SparseDistribution {
  const distribution = distributions[node];
  if (!distribution) throw new RangeError(`the target gave no distribution for draft node ${String(node)}`);
  return distribution;
}

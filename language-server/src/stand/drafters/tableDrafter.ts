import { DraftTree } from "../draftTree";
import type { SparseDistribution } from "../distribution";
import { gumbelTopK } from "../gumbelTopK";
import type { NgramTable } from "../ngramTable";
import type { Drafter, DraftRequest } from "./drafter";

export interface TableDrafterOptions {
  /**
   * Stop a branch once the probability of its path under the draft distributions falls below
   * this: on a CPU every verified token costs compute, so unlikely drafts are not worth sending.
   * Only a node's last children are ever dropped, which keeps the verifier exact.
   */
  readonly minPathProbability?: number;
  /** Upper bound on draft tokens per step (the shape may allow more). */
  readonly maxDraftTokens?: number;
}

/**
 * Drafts a tree from the shared n-gram table, walking the shape breadth-first: at each node it
 * looks up the node's context (longest key first) and gives the node as many children as the
 * shape allows.
 *
 * - `stochastic` (STAND): children are sampled without replacement from the stored distribution
 *   at the target's temperature, with Gumbel-Top-k; the verifier uses that same q.
 * - deterministic (classic n-gram drafting): the most likely tokens, each as a point mass.
 *
 * At temperature 0 both are deterministic, which is exact for greedy decoding.
 */
export class TableDrafter implements Drafter {
  private readonly chosen = new Int32Array(64);

  constructor(
    readonly name: string,
    readonly table: NgramTable,
    private readonly stochastic: boolean,
    private readonly options: TableDrafterOptions = {},
  ) {}

  draft({ context, shape, temperature, random }: DraftRequest): DraftTree {
    const tree = new DraftTree(context);
    const minPathProbability = this.options.minPathProbability ?? 0;
    const budget = this.options.maxDraftTokens ?? Infinity;
    const stochastic = this.stochastic && temperature > 0;
    const pathProbabilities = [1];
    // The tree grows while we walk it: nodes are visited in the order they were added (breadth-first).
    for (let node = 0; node < tree.size && tree.draftedCount < budget; node++) {
      const shapeChildren = shape.children(tree.shapeNodes[node]!);
      if (shapeChildren.length === 0) continue;
      const entry = this.table.lookup(tree.windows, tree.windowOffset(node), tree.windowLength(node));
      if (entry < 0) continue;
      const q = this.table.draftDistribution(entry, temperature);
      const wanted = Math.min(shapeChildren.length, this.chosen.length);
      const count = stochastic ? gumbelTopK(q.probs, wanted, random, this.chosen) : mostLikely(q, wanted, this.chosen);
      let added = 0;
      for (let i = 0; i < count && tree.draftedCount < budget; i++) {
        const pathProbability = pathProbabilities[node]! * q.probs[this.chosen[i]!]!;
        if (pathProbability < minPathProbability) break;
        tree.addChild(node, q.tokens[this.chosen[i]!]!, shapeChildren[i]!);
        pathProbabilities.push(pathProbability);
        added++;
      }
      if (added > 0 && stochastic) tree.childDistributions[node] = q;
    }
    return tree;
  }

  learn(draft: DraftTree, distributions: readonly SparseDistribution[], temperature: number): void {
    for (let node = 0; node < draft.size; node++) {
      this.table.observe(draft.windows, draft.windowOffset(node), draft.windowLength(node), distributions[node]!, temperature);
    }
  }
}

/** Table distributions are stored in decreasing probability, so the best are the first ones. */
function mostLikely(q: SparseDistribution, count: number, out: Int32Array): number {
  let chosen = 0;
  for (let i = 0; i < q.probs.length && chosen < count; i++) {
    if (q.probs[i]! > 0) out[chosen++] = i;
  }
  return chosen;
}

export function standDrafter(table: NgramTable, options?: TableDrafterOptions): TableDrafter {
  return new TableDrafter("stand", table, true, options);
}

export function ngramDrafter(table: NgramTable, options?: TableDrafterOptions): TableDrafter {
  return new TableDrafter("ngram", table, false, options);
}

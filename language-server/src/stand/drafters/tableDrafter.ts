import { DraftTree } from "../draftTree";
import { overlap, probabilityOf, type SparseDistribution } from "../distribution";
import { gumbelTopK } from "../gumbelTopK";
import type { NgramTable } from "../ngramTable";
import { NO_DRAFT, type Drafter, type DraftRequest } from "./drafter";

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
  ) {}

  /**
   * Evidence: the key length of the table hit after the context, how peaked its distribution is
   * (top probability in fifths) and whether drafts will be sampled or greedy.
   */
  assess(context: readonly number[], temperature: number): number {
    const entry = this.rootEntry(context);
    if (entry < 0) return NO_DRAFT;
    const top = this.table.draftDistribution(entry, temperature).probs[0] ?? 0;
    return (this.stochastic && temperature > 0 ? 100 : 0) + 10 * this.table.keyLength(entry) + Math.min(4, Math.floor(top * 5));
  }

  draft({ context, shape, temperature, random, maxDraftDepth }: DraftRequest): DraftTree {
    const tree = new DraftTree(context);
    const maxDepth = maxDraftDepth ?? Infinity;
    const stochastic = this.stochastic && temperature > 0;
    // The tree grows while we walk it: nodes are visited in the order they were added (breadth-first).
    for (let node = 0; node < tree.size; node++) {
      const shapeChildren = shape.children(tree.shapeNodes[node]!);
      // The depth limit is decided before drawing, so cutting there keeps the verifier exact.
      if (shapeChildren.length === 0 || tree.depths[node]! >= maxDepth) continue;
      const entry = this.table.lookup(tree.windows, tree.windowOffset(node), tree.windowLength(node));
      if (entry < 0) continue;
      const q = this.table.draftDistribution(entry, temperature);
      const wanted = Math.min(shapeChildren.length, this.chosen.length);
      const count = stochastic ? gumbelTopK(q.probs, wanted, random, this.chosen) : mostLikely(q, wanted, this.chosen);
      for (let i = 0; i < count; i++) tree.addChild(node, q.tokens[this.chosen[i]!]!, shapeChildren[i]!);
      if (count > 0 && stochastic) tree.childDistributions[node] = q;
    }
    return tree;
  }

  acceptanceIfDrafted(context: readonly number[], target: SparseDistribution, temperature: number): number | undefined {
    const entry = this.rootEntry(context);
    if (entry < 0) return undefined;
    const q = this.table.draftDistribution(entry, temperature);
    if (this.stochastic && temperature > 0) return overlap(target, q);
    const chosen = mostLikely(q, 1, this.chosen);
    return chosen === 0 ? undefined : probabilityOf(target, q.tokens[this.chosen[0]!]!);
  }

  /** The table entry a draft after this context would start from (longest key first), or -1. */
  private rootEntry(context: readonly number[]): number {
    const root = new DraftTree(context);
    return this.table.lookup(root.windows, 0, root.windowLength(0));
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

export function standDrafter(table: NgramTable): TableDrafter {
  return new TableDrafter("stand", table, true);
}

export function ngramDrafter(table: NgramTable): TableDrafter {
  return new TableDrafter("ngram", table, false);
}

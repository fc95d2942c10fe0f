import { DraftTree, writeRootWindow } from "../draftTree";
import { overlap, probabilityOf, type SparseDistribution } from "../distribution";
import { Evidence } from "../evidence";
import { gumbelTopK } from "../gumbelTopK";
import { CONTEXT_WINDOW, type NgramTable } from "../ngramTable";
import type { Drafter, DraftRequest } from "./drafter";

/** How finely assess() grades how peaked an entry's distribution is: its top probability in fifths. */
const PEAK_LEVELS = 5;

/** The kinds of evidence of one drafting mode: by the key length of the table hit, then its peak level. */
type KindsByKey = readonly (readonly Evidence[])[];

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
  /** The last CONTEXT_WINDOW tokens of a context, right-aligned, for rootEntry (as a DraftTree's root window holds them). */
  private readonly rootWindow = new Int32Array(CONTEXT_WINDOW);
  /** The evidence assess() hands out: sampled drafts and greedy ones are different bets. */
  private readonly kinds: { readonly sampled: KindsByKey; readonly greedy: KindsByKey };

  constructor(
    readonly name: string,
    readonly table: NgramTable,
    private readonly stochastic: boolean,
  ) {
    const kindsOf = (mode: string): KindsByKey =>
      Array.from({ length: CONTEXT_WINDOW + 1 }, (_, keyLength) =>
        Array.from({ length: PEAK_LEVELS }, (_, peak) =>
          Evidence.of(name, `${mode} draft, ${keyLength}-token key, top probability ${peak}/${PEAK_LEVELS}–${peak + 1}/${PEAK_LEVELS}`),
        ),
      );
    this.kinds = { sampled: kindsOf("sampled"), greedy: kindsOf("greedy") };
  }

  /**
   * Evidence: whether drafts will be sampled or greedy, the key length of the table hit after the
   * context, and how peaked its distribution is.
   */
  assess(context: readonly number[], temperature: number): Evidence | undefined {
    const entry = this.rootEntry(context);
    if (entry < 0) return undefined;
    const top = this.table.draftDistribution(entry, temperature).probs[0] ?? 0;
    const kinds = this.samples(temperature) ? this.kinds.sampled : this.kinds.greedy;
    return kinds[this.table.keyLength(entry)]?.[Math.min(PEAK_LEVELS - 1, Math.floor(top * PEAK_LEVELS))];
  }

  draft({ context, shape, temperature, random, maxDraftDepth }: DraftRequest): DraftTree {
    const tree = new DraftTree(context);
    const maxDepth = maxDraftDepth ?? Infinity;
    const stochastic = this.samples(temperature);
    // The tree grows while we walk it: nodes are visited in the order they were added (breadth-first).
    for (let node = 0; node < tree.size; node++) {
      const shapeChildren = shape.children(tree.shapeNodes[node] ?? 0);
      // The depth limit is decided before drawing, so cutting there keeps the verifier exact.
      if (shapeChildren.length === 0 || (tree.depths[node] ?? 0) >= maxDepth) continue;
      const entry = this.table.lookup(tree.windows, tree.windowOffset(node), tree.windowLength(node));
      if (entry < 0) continue;
      const q = this.table.draftDistribution(entry, temperature);
      const wanted = Math.min(shapeChildren.length, this.chosen.length);
      const count = stochastic ? gumbelTopK(q.probs, wanted, random, this.chosen) : mostLikely(q, wanted, this.chosen);
      for (let i = 0; i < count; i++) {
        const token = q.tokens[this.chosen[i] ?? -1];
        const shapeNode = shapeChildren[i];
        if (token !== undefined && shapeNode !== undefined) tree.addChild(node, token, shapeNode);
      }
      if (count > 0 && stochastic) tree.childDistributions[node] = q;
    }
    return tree;
  }

  acceptanceIfDrafted(context: readonly number[], target: SparseDistribution, temperature: number): number | undefined {
    const entry = this.rootEntry(context);
    if (entry < 0) return undefined;
    const q = this.table.draftDistribution(entry, temperature);
    if (this.samples(temperature)) return overlap(target, q);
    const token = mostLikely(q, 1, this.chosen) === 0 ? undefined : q.tokens[this.chosen[0] ?? -1];
    return token === undefined ? undefined : probabilityOf(target, token);
  }

  learn(draft: DraftTree, distributions: readonly SparseDistribution[], temperature: number): void {
    distributions.forEach((distribution, node) => {
      if (node < draft.size)
        this.table.observe(draft.windows, draft.windowOffset(node), draft.windowLength(node), distribution, temperature);
    });
  }

  /** Whether drafts are sampled (STAND above temperature 0) rather than the most likely tokens. */
  private samples(temperature: number): boolean {
    return this.stochastic && temperature > 0;
  }

  /** The table entry a draft after this context would start from (longest key first), or -1. */
  private rootEntry(context: readonly number[]): number {
    // Asked twice on most steps (assess, acceptanceIfDrafted): a DraftTree each time cost more than the lookup.
    return this.table.lookup(this.rootWindow, 0, writeRootWindow(this.rootWindow, context));
  }
}

/** Table distributions are stored in decreasing probability, so the best are the first ones. */
function mostLikely(q: SparseDistribution, count: number, out: Int32Array): number {
  let chosen = 0;
  q.probs.forEach((probability, i) => {
    if (probability > 0 && chosen < count) out[chosen++] = i;
  });
  return chosen;
}

export function standDrafter(table: NgramTable): TableDrafter {
  return new TableDrafter("stand", table, true);
}

export function ngramDrafter(table: NgramTable): TableDrafter {
  return new TableDrafter("ngram", table, false);
}

import type { DraftShape } from "../draftShape";
import { DraftTree } from "../draftTree";
import { probabilityOf, type SparseDistribution } from "../distribution";
import { NO_DRAFT, type Drafter, type DraftRequest } from "./drafter";

export interface PromptLookupOptions {
  /** Longest suffix n-gram to match in the context (tried first). */
  readonly maxNgram?: number;
  /** Shortest suffix n-gram to match. */
  readonly minNgram?: number;
}

/**
 * Prompt lookup decoding: find the most recent earlier occurrence of the context's last n tokens
 * and propose what followed it, as a chain of point-mass drafts along the shape's main branch.
 * Needs no model and learns nothing.
 */
export class PromptLookupDrafter implements Drafter {
  readonly name = "prompt-lookup";
  private readonly maxNgram: number;
  private readonly minNgram: number;

  constructor(options: PromptLookupOptions = {}) {
    this.maxNgram = options.maxNgram ?? 3;
    this.minNgram = options.minNgram ?? 1;
  }

  /** Evidence: the length of the n-gram that matched (a longer match is a better bet). */
  assess(context: readonly number[]): number {
    const match = this.match(context);
    return match ? 200 + match.n : NO_DRAFT;
  }

  draft({ context, shape, maxDraftDepth }: DraftRequest): DraftTree {
    const tree = new DraftTree(context);
    const match = this.match(context);
    if (!match) return tree;
    const length = Math.min(mainBranchLength(shape), maxDraftDepth ?? Infinity);
    for (let i = match.start + match.n, node = 0, shapeNode = 0; i < context.length && tree.draftedCount < length; i++) {
      shapeNode = shape.children(shapeNode)[0]!;
      node = tree.addChild(node, context[i]!, shapeNode);
    }
    return tree;
  }

  /** A point-mass draft of the token that followed the match is accepted with its target probability. */
  acceptanceIfDrafted(context: readonly number[], target: SparseDistribution): number | undefined {
    const match = this.match(context);
    return match && match.start + match.n < context.length ? probabilityOf(target, context[match.start + match.n]!) : undefined;
  }

  /** The longest suffix n-gram with an earlier occurrence, and where that occurrence starts. */
  private match(context: readonly number[]): { n: number; start: number } | undefined {
    for (let n = Math.min(this.maxNgram, context.length - 1); n >= this.minNgram; n--) {
      const start = lastEarlierMatch(context, n);
      if (start >= 0) return { n, start };
    }
    return undefined;
  }

  learn(): void {}
}

/** Start of the most recent occurrence of the last n tokens that ends before the context does. */
function lastEarlierMatch(context: readonly number[], n: number): number {
  const end = context.length;
  for (let start = end - n - 1; start >= 0; start--) {
    let matches = true;
    for (let i = 0; i < n; i++) {
      if (context[start + i] !== context[end - n + i]) {
        matches = false;
        break;
      }
    }
    if (matches) return start;
  }
  return -1;
}

function mainBranchLength(shape: DraftShape): number {
  let length = 0;
  for (let node = 0; shape.children(node).length > 0; node = shape.children(node)[0]!) length++;
  return length;
}

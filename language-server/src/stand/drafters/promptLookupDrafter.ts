import type { DraftShape } from "../draftShape";
import { DraftTree } from "../draftTree";
import type { Drafter, DraftRequest } from "./drafter";

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

  draft({ context, shape }: DraftRequest): DraftTree {
    const tree = new DraftTree(context);
    const length = mainBranchLength(shape);
    const end = context.length;
    for (let n = Math.min(this.maxNgram, end - 1); n >= this.minNgram; n--) {
      const start = lastEarlierMatch(context, n);
      if (start < 0) continue;
      let node = 0;
      let shapeNode = 0;
      for (let i = start + n; i < end && tree.draftedCount < length; i++) {
        shapeNode = shape.children(shapeNode)[0]!;
        node = tree.addChild(node, context[i]!, shapeNode);
      }
      break;
    }
    return tree;
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

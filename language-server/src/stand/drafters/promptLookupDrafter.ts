import type { DraftShape } from "../draftShape";
import { DraftTree } from "../draftTree";
import { probabilityOf, type SparseDistribution } from "../distribution";
import { Evidence } from "../evidence";
import type { Drafter, DraftRequest } from "./drafter";

export interface PromptLookupOptions {
  /** Longest suffix n-gram to match in the context (tried first). */
  readonly maxNgram?: number;
  /** Shortest suffix n-gram to match. */
  readonly minNgram?: number;
}

/** An earlier occurrence of the context's last n tokens: what follows it is the draft. */
interface Match {
  readonly n: number;
  /** Index in the context of the first token after the occurrence. */
  readonly next: number;
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
  /** The evidence of a match of n tokens, at index n (a longer match is a better bet). */
  private readonly matchKinds: Evidence[];

  constructor(options: PromptLookupOptions = {}) {
    this.maxNgram = options.maxNgram ?? 3;
    this.minNgram = options.minNgram ?? 1;
    this.matchKinds = Array.from({ length: this.maxNgram + 1 }, (_, n) => Evidence.of(this.name, `${n}-token match`));
  }

  assess(context: readonly number[]): Evidence | undefined {
    const match = this.match(context);
    return match && this.matchKinds[match.n];
  }

  draft({ context, shape, maxDraftDepth }: DraftRequest): DraftTree {
    const tree = new DraftTree(context);
    const match = this.match(context);
    if (!match) return tree;
    const length = Math.min(mainBranchLength(shape), maxDraftDepth ?? Infinity);
    for (let i = match.next, node = 0, shapeNode = 0; i < context.length && tree.draftedCount < length; i++) {
      const token = context[i];
      const child = shape.children(shapeNode)[0];
      if (token === undefined || child === undefined) break;
      shapeNode = child;
      node = tree.addChild(node, token, shapeNode);
    }
    return tree;
  }

  /** A point-mass draft of the token that followed the match is accepted with its target probability. */
  acceptanceIfDrafted(context: readonly number[], target: SparseDistribution): number | undefined {
    const match = this.match(context);
    const token = match && context[match.next];
    return token === undefined ? undefined : probabilityOf(target, token);
  }

  /** The longest suffix n-gram with an earlier occurrence that something follows. */
  private match(context: readonly number[]): Match | undefined {
    for (let n = Math.min(this.maxNgram, context.length - 1); n >= this.minNgram; n--) {
      const start = lastEarlierMatch(context, n);
      if (start >= 0) return { n, next: start + n };
    }
    return undefined;
  }
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
  for (let node = shape.children(0)[0]; node !== undefined; node = shape.children(node)[0]) length++;
  return length;
}

import type { SparseDistribution } from "./distribution";
import { CONTEXT_WINDOW } from "./ngramTable";

/**
 * Writes the last CONTEXT_WINDOW tokens of `context` right-aligned into `window`'s first
 * CONTEXT_WINDOW slots, as a DraftTree's root window holds them; returns how many there are.
 */
export function writeRootWindow(window: Int32Array, context: readonly number[]): number {
  const available = Math.min(CONTEXT_WINDOW, context.length);
  for (let i = 0; i < available; i++) window[CONTEXT_WINDOW - available + i] = context[context.length - available + i] ?? 0;
  return available;
}

/**
 * One step's concrete draft for one trajectory: a tree of tokens hanging off the root (node 0,
 * the position after the committed context). Nodes are numbered so that parents come first and a
 * node's children appear in the order they were drafted.
 *
 * `childDistributions[node]` is the q the node's children were drawn from without replacement;
 * undefined means each child is a point mass (deterministic drafts). The verifier needs exactly
 * the q the drafter used.
 *
 * Each node also carries the right-aligned window of the last CONTEXT_WINDOW tokens of its
 * context (committed tokens, then the path to it), so tables and targets can key on it cheaply.
 */
export class DraftTree {
  readonly tokens: number[] = [-1];
  readonly parents: number[] = [-1];
  readonly shapeNodes: number[] = [0];
  readonly childDistributions: (SparseDistribution | undefined)[] = [undefined];
  readonly childLists: number[][] = [[]];
  readonly depths: number[] = [0];
  private windowData: Int32Array;
  private readonly windowLengths: number[];

  constructor(context: readonly number[]) {
    // Room for the root alone: most steps draft nothing (every step of plain decoding), and a
    // typed array costs more to allocate the larger it is.
    this.windowData = new Int32Array(CONTEXT_WINDOW);
    this.windowLengths = [writeRootWindow(this.windowData, context)];
  }

  /** Nodes including the root. */
  get size(): number {
    return this.tokens.length;
  }

  /** Draft tokens (nodes other than the root). */
  get draftedCount(): number {
    return this.tokens.length - 1;
  }

  get windows(): Int32Array {
    return this.windowData;
  }

  windowOffset(node: number): number {
    return node * CONTEXT_WINDOW;
  }

  windowLength(node: number): number {
    return this.windowLengths[node] ?? 0;
  }

  /** A node's children in the order they were drafted (none for a node that is not in the tree). */
  children(node: number): readonly number[] {
    return this.childLists[node] ?? [];
  }

  /** Appends a child of `parent` and returns its node number. */
  addChild(parent: number, token: number, shapeNode: number): number {
    const siblings = this.childLists[parent];
    const parentDepth = this.depths[parent];
    const parentWindow = this.windowLengths[parent];
    if (!siblings || parentDepth === undefined || parentWindow === undefined)
      throw new RangeError(`node ${String(parent)} is not in the tree`);
    const node = this.tokens.length;
    this.tokens.push(token);
    this.parents.push(parent);
    this.shapeNodes.push(shapeNode);
    this.childDistributions.push(undefined);
    this.childLists.push([]);
    siblings.push(node);
    this.depths.push(parentDepth + 1);
    if ((node + 1) * CONTEXT_WINDOW > this.windowData.length) {
      const grown = new Int32Array(Math.max(this.windowData.length * 2, CONTEXT_WINDOW * 8));
      grown.set(this.windowData);
      this.windowData = grown;
    }
    const from = parent * CONTEXT_WINDOW;
    const to = node * CONTEXT_WINDOW;
    this.windowData.copyWithin(to, from + 1, from + CONTEXT_WINDOW);
    this.windowData[to + CONTEXT_WINDOW - 1] = token;
    this.windowLengths.push(Math.min(CONTEXT_WINDOW, parentWindow + 1));
    return node;
  }
}

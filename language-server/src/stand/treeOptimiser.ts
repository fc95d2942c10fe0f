import { DraftShape } from "./draftShape";

/**
 * Counts, for each node of a (large) draft shape, how often the verifier accepted the token
 * drafted there. Run a calibration workload with the large shape, then `optimiseShape` keeps the
 * best nodes.
 */
export class AcceptanceCounter {
  readonly counts: Float64Array;
  steps = 0;

  constructor(readonly shape: DraftShape) {
    this.counts = new Float64Array(shape.size);
  }

  /** Records one verification: the shape nodes of the accepted draft tokens. */
  record(acceptedShapeNodes: readonly number[]): void {
    this.steps++;
    for (const node of [0, ...acceptedShapeNodes]) this.counts[node] = (this.counts[node] ?? 0) + 1;
  }
}

/**
 * Keeps the `maxNodes` nodes (root included) with the most acceptances as a connected subtree in
 * which every kept node's elder siblings are kept too (a draft's children are drafted in rank
 * order, so a shape cannot skip a rank). A child is never accepted more often than its parent, so
 * growing the tree greedily from the root picks the best such subtree.
 */
export function optimiseShape(shape: DraftShape, counts: ArrayLike<number>, maxNodes: number): DraftShape {
  const kept = new Set<number>([0]);
  const frontier: number[] = [];
  const parentOf = (node: number): number => shape.parents[node] ?? -1;
  const push = (node: number | undefined): void => {
    if (node !== undefined) frontier.push(node);
  };
  const firstChild = (node: number): void => {
    push(shape.children(node)[0]);
  };
  const nextSibling = (node: number): void => {
    const siblings = shape.children(parentOf(node));
    push(siblings[siblings.indexOf(node) + 1]);
  };
  // Most acceptances first; on a tie, the earlier node.
  const better = (a: number, b: number): boolean => (counts[a] ?? 0) > (counts[b] ?? 0) || (counts[a] === counts[b] && a < b);
  firstChild(0);
  while (kept.size < maxNodes && frontier.length > 0) {
    const node = frontier.reduce((best, candidate) => (better(candidate, best) ? candidate : best));
    frontier.splice(frontier.indexOf(node), 1);
    kept.add(node);
    firstChild(node);
    nextSibling(node);
  }
  // The original numbering already puts parents first and siblings in rank order; keep it.
  const order = [...kept].sort((a, b) => a - b);
  const renumbered = new Map(order.map((node, i) => [node, i]));
  return DraftShape.fromParents(order.map((node) => (node === 0 ? -1 : (renumbered.get(parentOf(node)) ?? -1))));
}

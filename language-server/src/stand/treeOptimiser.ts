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
    this.counts[0]!++;
    for (const node of acceptedShapeNodes) this.counts[node]!++;
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
  const firstChild = (node: number): void => {
    const children = shape.children(node);
    if (children.length > 0) frontier.push(children[0]!);
  };
  const nextSibling = (node: number): void => {
    const siblings = shape.children(shape.parents[node]!);
    const rank = siblings.indexOf(node);
    if (rank + 1 < siblings.length) frontier.push(siblings[rank + 1]!);
  };
  firstChild(0);
  while (kept.size < maxNodes && frontier.length > 0) {
    let best = 0;
    for (let i = 1; i < frontier.length; i++) {
      const [a, b] = [frontier[i]!, frontier[best]!];
      if (counts[a]! > counts[b]! || (counts[a] === counts[b] && a < b)) best = i;
    }
    const node = frontier.splice(best, 1)[0]!;
    kept.add(node);
    firstChild(node);
    nextSibling(node);
  }
  // The original numbering already puts parents first and siblings in rank order; keep it.
  const order = [...kept].sort((a, b) => a - b);
  const renumbered = new Map(order.map((node, i) => [node, i]));
  return DraftShape.fromParents(order.map((node) => (node === 0 ? -1 : renumbered.get(shape.parents[node]!)!)));
}

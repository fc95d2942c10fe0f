/**
 * The static shape of a draft tree, as data: `parents[i]` is node i's parent, node 0 is the root
 * (the position after the last committed token, which holds no draft token). Parents come before
 * their children, and a node's children are listed by rank: child 0 is drafted first (the most
 * likely), child 1 second, and so on. A chain is the tree with one child per node.
 */
export class DraftShape {
  readonly parents: Int32Array;
  readonly depths: Int32Array;
  private readonly childLists: Int32Array[];
  /** widths(), once asked. */
  private widthsByDepth: readonly number[] | undefined;

  private constructor(parents: Int32Array) {
    if (parents.length === 0 || parents[0] !== -1) throw new RangeError("node 0 must be the root (parent -1)");
    const depths = new Int32Array(parents.length);
    const children: number[][] = [[]];
    for (let node = 1; node < parents.length; node++) {
      const parent = parents[node] ?? -1;
      const siblings = children[parent];
      if (!(parent >= 0 && parent < node) || !siblings) {
        throw new RangeError(`node ${String(node)} must have an earlier node as parent, not ${String(parent)}`);
      }
      depths[node] = (depths[parent] ?? 0) + 1;
      siblings.push(node);
      children.push([]);
    }
    this.parents = parents;
    this.depths = depths;
    this.childLists = children.map((list) => Int32Array.from(list));
  }

  static fromParents(parents: ArrayLike<number>): DraftShape {
    return new DraftShape(Int32Array.from(parents));
  }

  /** A chain of `length` draft tokens. */
  static chain(length: number): DraftShape {
    return new DraftShape(Int32Array.from({ length: length + 1 }, (_, node) => node - 1));
  }

  /**
   * A tree with the given number of nodes at each depth. Each depth's nodes go to the parents most
   * likely to be reached, under the prior that a node of sibling rank r is accepted with weight
   * 1/(r+1) of its parent's. This gives the skewed trees that calibration finds in practice.
   */
  static fromWidths(widths: readonly number[]): DraftShape {
    const parents: number[] = [-1];
    const weights: number[] = [1];
    let level = [0];
    for (const width of widths) {
      const candidates: { parent: number; rank: number; weight: number }[] = [];
      for (const parent of level) {
        for (let rank = 0; rank < width; rank++) candidates.push({ parent, rank, weight: (weights[parent] ?? 0) / (rank + 1) });
      }
      const chosen = candidates
        .sort((a, b) => b.weight - a.weight || a.parent - b.parent || a.rank - b.rank)
        .slice(0, width)
        .sort((a, b) => a.parent - b.parent || a.rank - b.rank);
      level = chosen.map(({ parent, weight }) => {
        parents.push(parent);
        weights.push(weight);
        return parents.length - 1;
      });
      if (level.length === 0) break;
    }
    return new DraftShape(Int32Array.from(parents));
  }

  /**
   * The paper's shape: 80 nodes with widths 8/19/16/13/8/7/2 by depth, then a single-node tail to
   * depth 13 (79 draft tokens plus the root).
   */
  static paperTree(): DraftShape {
    return DraftShape.fromWidths([8, 19, 16, 13, 8, 7, 2, 1, 1, 1, 1, 1, 1]);
  }

  static fromJSON(json: unknown): DraftShape {
    const parents = typeof json === "object" && json !== null && "parents" in json ? json.parents : undefined;
    if (!Array.isArray(parents) || !parents.every((parent) => Number.isInteger(parent))) {
      throw new TypeError("a draft shape is { parents: number[] }");
    }
    return DraftShape.fromParents(parents as number[]);
  }

  toJSON(): { parents: number[]; widths: number[] } {
    return { parents: Array.from(this.parents), widths: [...this.widths()] };
  }

  /** Nodes including the root. */
  get size(): number {
    return this.parents.length;
  }

  get maxDepth(): number {
    return this.depths.reduce((max, depth) => Math.max(max, depth), 0);
  }

  /** Whether no node has more than one child. */
  get isChain(): boolean {
    return this.childLists.every((children) => children.length <= 1);
  }

  /** Nodes without children: a tree's root-to-leaf branches (1 for a chain or the root alone). */
  get leaves(): number {
    return this.childLists.filter((children) => children.length === 0).length;
  }

  /** A node's children by rank (none for a node that is not in the shape). */
  children(node: number): Int32Array {
    return this.childLists[node] ?? NO_CHILDREN;
  }

  /** Number of draft nodes at each depth 1..maxDepth. */
  widths(): readonly number[] {
    // Worked out once: the draft budget asks for them every step.
    if (!this.widthsByDepth) {
      const widths = new Array<number>(this.maxDepth).fill(0);
      for (const depth of this.depths.subarray(1)) widths[depth - 1] = (widths[depth - 1] ?? 0) + 1;
      this.widthsByDepth = widths;
    }
    return this.widthsByDepth;
  }
}

const NO_CHILDREN = new Int32Array(0);

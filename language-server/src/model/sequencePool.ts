import type { DraftTree, TargetRequest } from "../stand";
import { commonPrefix } from "./commonPrefix";

/** llama.cpp's LLAMA_MAX_SEQ: one context holds at most this many sequences (measured: 257 fails). */
export const MAX_CONTEXT_SEQUENCES = 256;

/** Every root-to-leaf path of a draft, as node numbers from the root's first child; a root-only draft has one empty path. */
export function branchesOf(draft: DraftTree): number[][] {
  const branches: number[][] = [];
  const walk = (node: number, path: number[]): void => {
    const children = draft.children(node);
    if (children.length === 0) branches.push(path);
    for (const child of children) walk(child, [...path, child]);
  };
  walk(0, []);
  return branches;
}

/** One branch of a request, placed on a sequence of its trajectory's pool. */
export interface BranchPlacement {
  /** The sequence (its index in the pool's context) that evaluates the branch. */
  readonly slot: number;
  /** Tokens of the context that the sequence keeps (after a copy, if it needs one). */
  readonly keep: number;
  /** The sequence whose first `keep` tokens are copied into this one first (none when it holds them). */
  readonly copyFrom: number | undefined;
  /** The branch's draft nodes, root's child first. */
  readonly path: readonly number[];
}

/**
 * Each trajectory's context sequences: `branches` of them, so that a draft tree is verified by
 * evaluating each root-to-leaf branch on its own sequence, all in one batched decode. Before a step,
 * the sequence that shares most of the committed context is the trajectory's source: every branch's
 * sequence that lacks its prefix gets it by a sequence copy.
 *
 * The sequences are laid out branch by branch (slot = branch × trajectories + trajectory), and a
 * draft's first branch, which a step without a draft evaluates alone, always goes to the
 * trajectory's sequence of branch 0 (copied into from the source when another branch held the
 * accepted path). So such steps use consecutive sequences, as a chain pool's do: llama.cpp splits a
 * batch into one pass per run of consecutive sequences (see TrajectoryPacking). With each
 * trajectory's branches side by side and such a step on whichever held the last accepted path, 16
 * trajectories with 8 branches took 22 ms a step on the embedded model against a chain pool's 10.5
 * to 12 (`npm run bench:layout`); now 11.
 */
export class SequencePool {
  constructor(
    readonly trajectories: number,
    readonly branches: number,
  ) {
    if (!(Number.isInteger(branches) && branches >= 1))
      throw new RangeError(`branches must be a whole number, at least 1, not ${String(branches)}`);
    if (trajectories * branches > MAX_CONTEXT_SEQUENCES) {
      throw new RangeError(
        `${String(trajectories)} trajectories × ${String(branches)} branches need ${String(trajectories * branches)} context sequences; llama.cpp allows ${String(MAX_CONTEXT_SEQUENCES)}`,
      );
    }
  }

  get size(): number {
    return this.trajectories * this.branches;
  }

  /** The slots (sequence indices) of a trajectory, branch 0's first. */
  slotsOf(trajectory: number): number[] {
    return Array.from({ length: this.branches }, (_, branch) => branch * this.trajectories + trajectory);
  }

  /**
   * Places each branch of the request's draft on a sequence of its trajectory: the first on branch
   * 0's, the others on the rest, those that hold most of the context first. `held[slot]` is what
   * each sequence holds. At least the context's last token is re-evaluated, as its distribution is
   * the root's.
   */
  place({ trajectory, context, draft }: TargetRequest, held: readonly (readonly number[])[]): BranchPlacement[] {
    const branches = branchesOf(draft);
    if (branches.length > this.branches) {
      throw new RangeError(
        `a draft with ${String(branches.length)} branches needs as many context sequences; trajectory ${String(trajectory)} has ${String(this.branches)}`,
      );
    }
    const [first, ...others] = this.slotsOf(trajectory).map((slot) => ({
      slot,
      keep: Math.max(0, Math.min(commonPrefix(held[slot] ?? [], context), context.length - 1)),
    }));
    if (!first) throw new RangeError(`trajectory ${String(trajectory)} has no context sequence`);
    others.sort((a, b) => b.keep - a.keep || a.slot - b.slot);
    const source = others[0] && others[0].keep > first.keep ? others[0] : first;
    const order = [first, ...others];
    return branches.map((path, branch) => {
      const { slot, keep } = order[branch] ?? first;
      return keep >= source.keep
        ? { slot, keep: source.keep, copyFrom: undefined, path }
        : { slot, keep: source.keep, copyFrom: source.slot, path };
    });
  }
}

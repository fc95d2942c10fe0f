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
 * the sequence that shares most of the committed context is the trajectory's home: it takes the first
 * branch, and every other branch's sequence gets the home's kept prefix by a sequence copy (unless
 * it holds that prefix already). After verification nothing moves: the branch that held the accepted
 * path shares the most with the next context, so it is the next step's home (a role swap, not a copy).
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

  /** The slots (sequence indices) of a trajectory. */
  slotsOf(trajectory: number): number[] {
    return Array.from({ length: this.branches }, (_, branch) => trajectory * this.branches + branch);
  }

  /**
   * Places each branch of the request's draft on a sequence of its trajectory, the home first.
   * `held[slot]` is what each sequence holds. At least the context's last token is re-evaluated, as
   * its distribution is the root's.
   */
  place({ trajectory, context, draft }: TargetRequest, held: readonly (readonly number[])[]): BranchPlacement[] {
    const branches = branchesOf(draft);
    if (branches.length > this.branches) {
      throw new RangeError(
        `a draft with ${String(branches.length)} branches needs as many context sequences; trajectory ${String(trajectory)} has ${String(this.branches)}`,
      );
    }
    const kept = this.slotsOf(trajectory)
      .map((slot) => ({ slot, keep: Math.max(0, Math.min(commonPrefix(held[slot] ?? [], context), context.length - 1)) }))
      .sort((a, b) => b.keep - a.keep || a.slot - b.slot);
    const home = kept[0];
    if (!home) throw new RangeError(`trajectory ${String(trajectory)} has no context sequence`);
    return branches.map((path, branch) => {
      const { slot, keep } = kept[branch] ?? home;
      return keep >= home.keep
        ? { slot, keep: home.keep, copyFrom: undefined, path }
        : { slot, keep: home.keep, copyFrom: home.slot, path };
    });
  }
}

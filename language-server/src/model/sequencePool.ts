import type { LlamaContextSequence } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { DraftTree, TargetRequest } from "../stand";

/** llama.cpp's LLAMA_MAX_SEQ: one context holds at most this many sequences (measured: 257 fails). */
export const MAX_CONTEXT_SEQUENCES = 256;

/** The node-llama-cpp whose internal sequence copy the tree route was written and tested against. */
const COPY_TESTED_WITH = "node-llama-cpp 3.22.1";

/** node-llama-cpp's internal copy: the other sequence's state, then an erase from upToTokenIndex; true when the copy holds exactly upToTokenIndex tokens. */
type CopyState = (this: LlamaContextSequence, other: LlamaContextSequence, upToTokenIndex: number) => Promise<boolean>;

function copyStateOf(sequence: LlamaContextSequence): CopyState | undefined {
  const copy: unknown = Reflect.get(sequence, "_copyStateFromOtherSequence");
  return typeof copy === "function" ? (copy as CopyState) : undefined;
}

/** Whether this node-llama-cpp can copy one context sequence's state into another (what trees need). */
export function canCopySequences(sequence: LlamaContextSequence): boolean {
  return copyStateOf(sequence) !== undefined;
}

/**
 * Makes `target` hold the first `tokens` tokens of `source` (its KV cache and node-llama-cpp's
 * record of it). This is node-llama-cpp's internal LlamaContextSequence._copyStateFromOtherSequence
 * (the addon's copySequenceStateFromOtherSequence, a llama_memory_seq_cp): not public API, so a
 * release that drops or changes it must fail here, loudly, and in the model tests.
 */
export async function copySequencePrefix(target: LlamaContextSequence, source: LlamaContextSequence, tokens: number): Promise<void> {
  const copy = copyStateOf(target);
  if (!copy) {
    throw new Error(
      `this node-llama-cpp has no LlamaContextSequence._copyStateFromOtherSequence, which draft trees need (tested with ${COPY_TESTED_WITH}); set stand.draftShape to "auto" or "chain"`,
    );
  }
  const exact = await copy.call(target, source, tokens);
  if (!exact || target.contextTokens.length !== tokens) {
    throw new Error(
      `copying ${String(tokens)} tokens between context sequences left ${String(target.contextTokens.length)} (the internal copy of ${COPY_TESTED_WITH} changed?)`,
    );
  }
}

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
      .map((slot) => ({ slot, keep: Math.max(0, Math.min(sharedPrefix(held[slot] ?? [], context), context.length - 1)) }))
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

function sharedPrefix(a: readonly number[], b: readonly number[]): number {
  let shared = 0;
  while (shared < a.length && shared < b.length && a[shared] === b[shared]) shared++;
  return shared;
}

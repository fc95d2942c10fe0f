// Shared by the draft budget's tests: chain drafts, their verifications, and cost models that
// have observed calls priced by a known function.
import { CallCostModel, DraftTree, type Verification } from "../../language-server/src/stand";

/** A chain draft of `length` tokens. */
export function chain(length: number): DraftTree {
  const tree = new DraftTree([1, 2, 3]);
  for (let i = 0, node = 0; i < length; i++) node = tree.addChild(node, 10 + i, i + 1);
  return tree;
}

/** A verification of a chain that accepted its first `accepted` tokens. */
export function accepting(accepted: number): Verification {
  const acceptedNodes = Array.from({ length: accepted }, (_, i) => i + 1);
  return { tokens: [...acceptedNodes.map((node) => 9 + node), 0], acceptedCount: accepted, acceptedNodes };
}

/** Draft tokens per call in the calls a cost model observes: runs of one shape, and changes of shape. */
const DRAFT_PATTERN = [0, 0, 0, 3, 3, 0, 1, 0, 0, 6, 6, 6, 0, 2, 0, 0, 8, 1, 1, 0];

/**
 * A cost model that has observed 240 calls priced by `truth` (told whether a call's shape differs
 * from the one before), with batch sizes cycling through `sequences` every 30 calls.
 */
export function costModel(truth: (sequences: number, drafts: number, reshaped: boolean) => number, sequences: number[]): CallCostModel {
  const model = new CallCostModel();
  let previous: string | undefined;
  for (let i = 0; i < 240; i++) {
    const n = sequences[Math.floor(i / 30) % sequences.length] ?? 1;
    const drafts = DRAFT_PATTERN[i % DRAFT_PATTERN.length] ?? 0;
    const shape = `${n} ${drafts}`;
    model.record(n, drafts, truth(n, drafts, previous !== undefined && shape !== previous));
    previous = shape;
  }
  return model;
}

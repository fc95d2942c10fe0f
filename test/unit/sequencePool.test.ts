// Where a tree pool (language-server/src/model/sequencePool.ts) puts each branch of a draft: the
// layout that keeps plain steps on consecutive sequences, and the copies that give every branch
// the context it needs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SequencePool } from "../../language-server/src/model/sequencePool";
import { DraftTree } from "../../language-server/src/stand";

const CONTEXT = [10, 11, 12, 13, 14, 15];

/** A draft after `context` with a child per token under the root, each a one-node branch. */
function fan(context: readonly number[], tokens: readonly number[]): DraftTree {
  const draft = new DraftTree(context);
  tokens.forEach((token, i) => draft.addChild(0, token, i + 1));
  return draft;
}

describe("SequencePool", () => {
  test("lays the sequences out branch by branch: every trajectory's branch 0 comes first, in order", () => {
    const pool = new SequencePool(4, 3);
    assert.equal(pool.size, 12);
    assert.deepEqual(pool.slotsOf(0), [0, 4, 8]);
    assert.deepEqual(pool.slotsOf(3), [3, 7, 11]);
    const all = [0, 1, 2, 3].flatMap((trajectory) => pool.slotsOf(trajectory)).sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: 12 }, (_, slot) => slot),
      "each sequence belongs to one trajectory",
    );
  });

  test("a step without a draft goes to branch 0's sequence, which copies the context from the branch that held the accepted path", () => {
    const pool = new SequencePool(2, 3);
    const held: number[][] = Array.from({ length: pool.size }, () => []);
    // Trajectory 1's last step accepted a path on its branch 2 (slot 5); branch 0 (slot 1) holds less.
    held[1] = CONTEXT.slice(0, 3);
    held[5] = [...CONTEXT];
    const [placement, ...rest] = pool.place({ trajectory: 1, context: CONTEXT, draft: new DraftTree(CONTEXT) }, held);
    assert.equal(rest.length, 0);
    // The last context token is evaluated again: its distribution is the root's.
    assert.deepEqual(placement, { slot: 1, keep: CONTEXT.length - 1, copyFrom: 5, path: [] });
    // Once branch 0 holds the context, it evaluates there without a copy.
    held[1] = [...CONTEXT];
    assert.deepEqual(pool.place({ trajectory: 1, context: CONTEXT, draft: new DraftTree(CONTEXT) }, held), [
      { slot: 1, keep: CONTEXT.length - 1, copyFrom: undefined, path: [] },
    ]);
  });

  test("a tree's other branches take the sequences that hold most, and copy what they lack from the one that holds most", () => {
    const pool = new SequencePool(1, 3);
    const held: number[][] = [CONTEXT.slice(0, 2), [...CONTEXT, 99], CONTEXT.slice(0, 4)];
    const placements = pool.place({ trajectory: 0, context: CONTEXT, draft: fan(CONTEXT, [20, 21, 22]) }, held);
    const keep = CONTEXT.length - 1;
    assert.deepEqual(placements, [
      { slot: 0, keep, copyFrom: 1, path: [1] },
      { slot: 1, keep, copyFrom: undefined, path: [2] },
      { slot: 2, keep, copyFrom: 1, path: [3] },
    ]);
  });

  test("refuses a draft with more branches than a trajectory has sequences", () => {
    const pool = new SequencePool(2, 2);
    const held: number[][] = Array.from({ length: pool.size }, () => []);
    assert.throws(
      () => pool.place({ trajectory: 0, context: CONTEXT, draft: fan(CONTEXT, [20, 21, 22]) }, held),
      /a draft with 3 branches needs as many context sequences; trajectory 0 has 2/,
    );
  });
});

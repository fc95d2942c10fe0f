import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AcceptanceCounter, DraftShape, optimiseShape } from "../../language-server/src/stand";

describe("draft shapes", () => {
  test("a chain of L has one child per node", () => {
    const chain = DraftShape.chain(5);
    assert.equal(chain.size, 6);
    assert.deepEqual(Array.from(chain.parents), [-1, 0, 1, 2, 3, 4]);
    assert.deepEqual(chain.widths(), [1, 1, 1, 1, 1]);
  });

  test("the paper-like tree has 80 nodes, widths 8/19/16/13/8/7/2 and a single-node tail to depth 13", () => {
    const tree = DraftShape.paperTree();
    assert.equal(tree.size, 80);
    assert.deepEqual(tree.widths(), [8, 19, 16, 13, 8, 7, 2, 1, 1, 1, 1, 1, 1]);
    assert.equal(tree.maxDepth, 13);
    // The most likely branch gets the most children.
    assert.ok(tree.children(1).length > tree.children(8).length);
  });

  test("shapes are data: parents first, validated, JSON round trip", () => {
    const tree = DraftShape.paperTree();
    assert.deepEqual(DraftShape.fromJSON(JSON.parse(JSON.stringify(tree))).parents, tree.parents);
    assert.throws(() => DraftShape.fromParents([-1, 2, 0]), RangeError);
    assert.throws(() => DraftShape.fromParents([0]), RangeError);
    assert.throws(() => DraftShape.fromJSON({ parents: "nope" }), TypeError);
  });

  test("the optimiser keeps the most accepted nodes as a connected, rank-ordered subtree", () => {
    const large = DraftShape.fromWidths([4, 6, 6, 4]);
    const counter = new AcceptanceCounter(large);
    // Acceptances that favour the second child of the root and its first child's line.
    const [first, second] = large.children(0);
    const grandchild = second === undefined ? undefined : large.children(second)[0];
    assert.ok(first !== undefined && second !== undefined && grandchild !== undefined);
    for (let i = 0; i < 50; i++) counter.record([second, grandchild]);
    for (let i = 0; i < 10; i++) counter.record([first]);
    const small = optimiseShape(large, counter.counts, 4);
    assert.equal(small.size, 4);
    // Root → child 0 (kept because child 1 needs its elder sibling) and child 1 → its first child.
    assert.deepEqual(Array.from(small.parents), [-1, 0, 0, 2]);
    assert.equal(counter.steps, 60);
  });

  test("the optimiser returns the large shape when asked to keep every node", () => {
    const large = DraftShape.fromWidths([3, 5]);
    const kept = optimiseShape(large, new Float64Array(large.size).fill(1), large.size);
    assert.deepEqual(kept.parents, large.parents);
  });
});

// Which group of context sequences each trajectory uses (language-server/src/model/trajectoryPacking.ts):
// a call's trajectories end up in consecutive groups, with the fewest moves, and the map stays a permutation.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TrajectoryPacking } from "../../language-server/src/model/trajectoryPacking";
import { Random } from "../../language-server/src/stand";

function groupsOf(packing: TrajectoryPacking, live: readonly number[]): number[] {
  return live.map((trajectory) => packing.group(trajectory)).sort((a, b) => a - b);
}

function assertConsecutive(groups: readonly number[], message?: string): void {
  groups.forEach((group, i) => {
    assert.equal(group, (groups[0] ?? 0) + i, message);
  });
}

describe("TrajectoryPacking", () => {
  test("starts with every trajectory in its own group and moves nothing while the call's groups are consecutive", () => {
    const packing = new TrajectoryPacking(8);
    assert.deepEqual(groupsOf(packing, [0, 1, 2, 3, 4, 5, 6, 7]), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(packing.pack([0, 1, 2, 3, 4, 5, 6, 7]), []);
    // A window anywhere costs what one at the start costs: the tail of a solve whose first candidates finished.
    assert.deepEqual(packing.pack([3, 4, 5, 6, 7]), []);
    assert.deepEqual(packing.pack([6]), []);
  });

  test("moves the trajectories outside the fullest window into its free groups, swapping with those not in the call", () => {
    const packing = new TrajectoryPacking(8);
    // Groups 1, 2, 3 and 7: the window 0–3 or 1–4 holds three of them, so one move.
    const [move, ...others] = packing.pack([1, 2, 3, 7]);
    assert.ok(move);
    assert.equal(others.length, 0);
    assert.equal(move.trajectory, 7);
    assert.equal(move.from, 7);
    assert.ok(move.to === 0 || move.to === 4, `moved to ${String(move.to)}`);
    assert.equal(packing.group(move.displaced), 7, "the displaced trajectory takes the old group");
    assertConsecutive(groupsOf(packing, [1, 2, 3, 7]));
    assert.deepEqual(packing.pack([1, 2, 3, 7]), [], "the next call of the same trajectories moves nothing");
  });

  test("duplicates in a call count once, and an unknown trajectory is refused before anything moves", () => {
    const packing = new TrajectoryPacking(4);
    assert.deepEqual(packing.pack([0, 0, 1]), []);
    assert.throws(() => packing.pack([0, 3, 4]), /trajectory 4 has no context sequence \(this target has 4\)/);
    assert.deepEqual(groupsOf(packing, [0, 1, 2, 3]), [0, 1, 2, 3]);
  });

  test("holdsInPlace says a call needs neither moves nor renumbering only when pack() would move nothing and every trajectory is in its own group", () => {
    const packing = new TrajectoryPacking(6);
    const calls = (...trajectories: number[]) => trajectories.map((trajectory) => ({ trajectory }));
    assert.ok(packing.holdsInPlace(calls()));
    assert.ok(packing.holdsInPlace(calls(0, 1, 2, 3, 4, 5)));
    assert.ok(packing.holdsInPlace(calls(2, 3)));
    assert.equal(packing.holdsInPlace(calls(1, 3)), false, "a gap");
    assert.equal(packing.holdsInPlace(calls(3, 2)), false, "not ascending: pack() decides");
    assert.equal(packing.holdsInPlace(calls(2, 2, 3)), false, "a duplicate: pack() decides");
    assert.equal(packing.holdsInPlace(calls(0, 9)), false, "an unknown trajectory: pack() refuses it");
    packing.pack([0, 1, 5]);
    assert.equal(packing.holdsInPlace(calls(0, 1, 5)), false, "trajectory 5 now sits in group 2");
    assert.equal(packing.holdsInPlace(calls(3, 4)), true, "those two did not move");
  });

  test("over random calls the map stays a permutation, each call ends consecutive, and no call moves more than its trajectories outside the start's window", () => {
    const random = new Random(17);
    for (const size of [2, 5, 16]) {
      const packing = new TrajectoryPacking(size);
      for (let call = 0; call < 400; call++) {
        const live = Array.from({ length: size }, (_, trajectory) => trajectory).filter(() => random.next() < 0.5);
        if (live.length === 0) continue;
        const before = live.map((trajectory) => packing.group(trajectory));
        const alreadyAtStart = before.filter((group) => group >= Math.min(...before) && group < Math.min(...before) + live.length).length;
        const moves = packing.pack(live);
        assert.ok(moves.length <= live.length - alreadyAtStart, `${moves.length} moves where ${live.length - alreadyAtStart} would do`);
        assertConsecutive(groupsOf(packing, live), `size ${size}, call ${call}`);
        const all = Array.from({ length: size }, (_, trajectory) => packing.group(trajectory));
        assert.deepEqual(
          [...all].sort((a, b) => a - b),
          Array.from({ length: size }, (_, group) => group),
          "a permutation",
        );
        for (const { trajectory, from, to, displaced } of moves) {
          assert.ok(live.includes(trajectory) && !live.includes(displaced), "a call's trajectory swaps with one outside it");
          assert.notEqual(from, to);
        }
      }
    }
  });
});

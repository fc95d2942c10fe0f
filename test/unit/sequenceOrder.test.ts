// Calls start in ascending slot order (language-server/src/model/sequenceOrder.ts), since llama.cpp
// makes one pass over the weights per run of consecutive sequence ids in a batch, and results come
// back in the callers' order.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startInSlotOrder } from "../../language-server/src/model/sequenceOrder";
import { Random } from "../../language-server/src/stand";

async function startOrderOf(slots: readonly number[]): Promise<{ started: number[]; results: string[] }> {
  const started: number[] = [];
  const results = await startInSlotOrder(
    slots,
    (slot) => slot,
    async (slot, index) => {
      started.push(slot);
      // Later starts finish first: the results must still come back in the items' order.
      await new Promise((resolve) => setTimeout(resolve, slots.length - started.length));
      return `${String(index)}:${String(slot)}`;
    },
  );
  return { started, results };
}

describe("startInSlotOrder", () => {
  test("starts a call's slots in ascending order and returns each result at its item's index", async () => {
    // What TrajectoryPacking leaves after two swaps: trajectories 0–3 in groups 0, 3, 2, 1.
    const { started, results } = await startOrderOf([0, 3, 2, 1]);
    assert.deepEqual(started, [0, 1, 2, 3]);
    assert.deepEqual(results, ["0:0", "1:3", "2:2", "3:1"]);
  });

  test("keeps an ascending call as it is, and orders any permutation of slots with gaps", async () => {
    assert.deepEqual((await startOrderOf([2, 5, 9])).started, [2, 5, 9]);
    const random = new Random(7);
    for (let trial = 0; trial < 20; trial++) {
      const slots = Array.from({ length: 16 }, (_, i) => i * 2).filter(() => random.next() < 0.7);
      for (let i = slots.length - 1; i > 0; i--) {
        const j = Math.floor(random.next() * (i + 1));
        [slots[i], slots[j]] = [slots[j] ?? 0, slots[i] ?? 0];
      }
      const { started, results } = await startOrderOf(slots);
      assert.deepEqual(
        started,
        [...slots].sort((a, b) => a - b),
      );
      assert.deepEqual(
        results,
        slots.map((slot, index) => `${String(index)}:${String(slot)}`),
      );
    }
  });

  test("starts nothing for no items", async () => {
    assert.deepEqual(
      await startInSlotOrder(
        [],
        () => 0,
        () => Promise.resolve(1),
      ),
      [],
    );
  });
});

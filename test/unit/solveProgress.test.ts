// The server's progress batching, on a clock the test moves.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { TrajectoryProgress, TrajectoryStatistics } from "../../common/protocol";
import { ProgressBatcher } from "../../language-server/src/solveProgress";

const stats = (tokens: number): TrajectoryStatistics => ({
  tokens,
  targetCalls: tokens,
  tokensPerCall: 1,
  acceptedDraftTokens: 0,
  draftedTokens: 0,
  tokensPerSecond: 1,
});

describe("solve progress batching", () => {
  test("the first tokens go at once; later ones at most once per interval, each trajectory once a batch with merged spans", () => {
    let now = 1000;
    const sent: TrajectoryProgress[][] = [];
    const batcher = new ProgressBatcher(
      (batch) => sent.push(batch),
      50,
      () => now,
    );
    batcher.add(0, [{ text: "a", origin: "model" }], stats(1));
    assert.equal(sent.length, 1, "the first tokens are not held back");
    // A burst of steps within one interval: nothing is sent until it has passed.
    for (let step = 0; step < 10; step++) {
      now += 4;
      batcher.add(0, [{ text: "b", origin: "draft" }], stats(2 + step));
      batcher.add(1, [{ text: "c", origin: "model" }], stats(1 + step));
    }
    assert.equal(sent.length, 1);
    now += 20;
    batcher.add(1, [{ text: "d", origin: "model" }], stats(11));
    assert.equal(sent.length, 2, "the interval has passed: one batch");
    assert.deepEqual(sent[1], [
      { trajectory: 0, spans: [{ text: "bbbbbbbbbb", origin: "draft" }], statistics: stats(11) },
      { trajectory: 1, spans: [{ text: "ccccccccccd", origin: "model" }], statistics: stats(11) },
    ]);
    now += 1;
    batcher.add(0, [{ text: "e", origin: "model" }], stats(12));
    batcher.flush();
    assert.deepEqual(sent[2], [{ trajectory: 0, spans: [{ text: "e", origin: "model" }], statistics: stats(12) }], "flush sends the rest");
    batcher.flush();
    assert.equal(sent.length, 3, "nothing pending, nothing sent");
  });

  test("a batch carries the latest thinking and answer start a step in it changed, and none when no step did", () => {
    let now = 0;
    const sent: TrajectoryProgress[][] = [];
    const batcher = new ProgressBatcher(
      (batch) => sent.push(batch),
      50,
      () => now,
    );
    batcher.add(0, [{ text: "<think>a", origin: "model" }], stats(1), { thinking: "a", answerStart: 8 });
    now += 10;
    batcher.add(0, [{ text: "b", origin: "model" }], stats(2), { thinking: "ab", answerStart: 9 });
    batcher.add(0, [{ text: "</think>", origin: "model" }], stats(3), { thinking: "ab", answerStart: 17 });
    batcher.add(0, [{ text: "c", origin: "model" }], stats(4));
    batcher.flush();
    now += 100;
    batcher.add(0, [{ text: "x", origin: "model" }], stats(5));
    assert.deepEqual(
      sent.map((batch) => batch.map(({ thinking, answerStart }) => ({ thinking, answerStart }))),
      [
        { thinking: "a", answerStart: 8 },
        { thinking: "ab", answerStart: 17 },
        { thinking: undefined, answerStart: undefined },
      ].map((expected) => [expected]),
    );
    assert.equal("thinking" in (sent[2]?.[0] ?? {}), false, "no thinking field when it did not change");
    assert.equal("answerStart" in (sent[2]?.[0] ?? {}), false, "no answer start when it did not change");
  });
});

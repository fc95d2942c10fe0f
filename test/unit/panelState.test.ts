import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  agreement,
  applicableText,
  emptyPanelState,
  MAX_THROUGHPUT_SAMPLES,
  reducePanel,
  type PanelEvent,
  type PanelState,
} from "../../common/panel";
import type { Candidate, SolveResult, TrajectoryStatistics } from "../../common/protocol";
import { defined } from "../support/defined";

const stats = (tokens: number): TrajectoryStatistics => ({
  tokens,
  targetCalls: tokens,
  tokensPerCall: 1,
  acceptedDraftTokens: 0,
  draftedTokens: 0,
  tokensPerSecond: 10,
});
const started: PanelEvent = {
  type: "solveStarted",
  solveId: "s1",
  problem: "add(a, b)",
  trajectories: 2,
  temperature: 0.7,
  startedAt: 1000,
};

function candidate(trajectory: number, text: string, group: number): Candidate {
  return {
    trajectory,
    text,
    answer: text,
    codeBlocks: [{ language: "js", code: text.trim() }],
    finishReason: "stop",
    statistics: stats(3),
    group,
  };
}

const fold = (events: PanelEvent[], state: PanelState = emptyPanelState): PanelState => events.reduce(reducePanel, state);

describe("panel state", () => {
  test("a solve opens one empty card per trajectory; progress merges adjacent spans of one origin", () => {
    const state = fold([
      started,
      {
        type: "solveProgress",
        solveId: "s1",
        trajectory: 1,
        spans: [
          { text: "ret", origin: "model" },
          { text: "urn", origin: "model" },
        ],
        statistics: stats(2),
        at: 1100,
      },
      {
        type: "solveProgress",
        solveId: "s1",
        trajectory: 1,
        spans: [
          { text: " a", origin: "draft" },
          { text: " +", origin: "draft" },
          { text: " b", origin: "model" },
        ],
        statistics: stats(5),
        at: 1200,
      },
    ]);
    assert.equal(state.solve?.phase, "running");
    assert.equal(state.solve.cards.length, 2);
    assert.deepEqual(state.solve.cards[0]?.spans, []);
    assert.deepEqual(state.solve.cards[1]?.spans, [
      { text: "return", origin: "model" },
      { text: " a +", origin: "draft" },
      { text: " b", origin: "model" },
    ]);
    assert.deepEqual(state.solve.throughput, [
      { elapsedMs: 100, tokens: 2 },
      { elapsedMs: 200, tokens: 5 },
    ]);
  });

  test("the result finishes the cards and the vote groups say who agrees", () => {
    const result: SolveResult = {
      candidates: [candidate(0, "a + b", 0), candidate(1, "a + b ", 0)],
      groups: [{ members: [0, 1], representative: 0 }],
      statistics: { ...stats(6), trajectories: 2, elapsedMs: 300, histogram: [4, 1] },
    };
    const state = fold([started, { type: "solveFinished", solveId: "s1", result }]);
    assert.equal(state.solve?.phase, "done");
    assert.deepEqual(state.solve.statistics?.histogram, [4, 1]);
    assert.equal(state.solve.cards[1]?.candidate?.text, "a + b ");
    assert.deepEqual(agreement(state.solve, 1), { agreeing: 2, of: 2 });
    assert.equal(applicableText(defined(result.candidates[1], "candidate 1")), "a + b");
  });

  test("events of an older solve do not touch the newer one; failure and cancel set the phase", () => {
    const newer: PanelEvent = { ...started, solveId: "s2" };
    const state = fold([
      started,
      newer,
      { type: "solveProgress", solveId: "s1", trajectory: 0, spans: [{ text: "x", origin: "model" }], statistics: stats(1), at: 1100 },
    ]);
    assert.equal(state.solve?.id, "s2");
    assert.deepEqual(state.solve.cards[0]?.spans, []);
    assert.equal(fold([{ type: "solveFailed", solveId: "s2", message: "Cancelled.", cancelled: true }], state).solve?.phase, "cancelled");
    assert.equal(fold([{ type: "solveFailed", solveId: "s2", message: "boom", cancelled: false }], state).solve?.error, "boom");
  });

  test("the throughput series stays bounded however long the solve runs", () => {
    let state = fold([started]);
    for (let i = 1; i <= 1000; i++)
      state = reducePanel(state, {
        type: "solveProgress",
        solveId: "s1",
        trajectory: 0,
        spans: [{ text: "t", origin: "model" }],
        statistics: stats(i),
        at: 1000 + i,
      });
    const samples = defined(state.solve, "the solve").throughput;
    assert.ok(samples.length <= MAX_THROUGHPUT_SAMPLES, `${samples.length} samples`);
    assert.deepEqual(samples[samples.length - 1], { elapsedMs: 1000, tokens: 1000 });
    assert.ok(samples.every((sample, i) => i === 0 || sample.elapsedMs > (samples[i - 1]?.elapsedMs ?? Infinity)));
  });

  test("a snapshot replaces the state; a benchmark keeps its last result while the next one runs", () => {
    const snapshot = fold([started]);
    assert.deepEqual(reducePanel(emptyPanelState, { type: "snapshot", state: snapshot }), snapshot);
    const result = { rows: [], table: "t" };
    const state = fold([{ type: "benchmarkFinished", result }, { type: "benchmarkStarted" }]);
    assert.deepEqual(state.benchmark, { phase: "running", result });
  });
});

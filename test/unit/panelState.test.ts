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
import { bestCandidate, checkedOrder, MAX_REMEMBERED_CHECKS, userChecksFor, type ChecksState } from "../../common/panelChecks";
import type { Candidate, CandidateCheckResult, RunChecksResult, SolveResult, TrajectoryStatistics } from "../../common/protocol";
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

describe("panel state: checks", () => {
  const result = (trajectory: number, passed: number, total = 2): CandidateCheckResult => ({
    trajectory,
    status: passed === total ? "passed" : "failed",
    passed,
    total,
    results: [
      { outcome: passed >= 1 ? "passed" : "failed", actual: passed >= 1 ? "true" : "false" },
      { outcome: passed >= 2 ? "passed" : "failed", actual: "false" },
    ],
    durationMs: 40,
  });
  const finished = (candidates: CandidateCheckResult[], ranking: number[]): RunChecksResult => ({
    checks: [
      { source: "example", code: 'isString("abc")', expected: "true", line: 9 },
      { source: "user", code: "isString(1)", expected: "false", line: 1 },
    ],
    candidates,
    groups: ranking.map((trajectory) => ({ members: [trajectory], representative: trajectory })),
    ranking,
    sandbox: { permissionModel: true, runtime: "Node 20", timeoutMs: 2000, memoryMb: 256, outputBytes: 65536 },
  });
  const solved = fold([
    { ...started, trajectories: 3 },
    {
      type: "solveFinished",
      solveId: "s1",
      result: {
        candidates: [candidate(0, "a", 0), candidate(1, "b", 1), candidate(2, "b", 1)],
        groups: [
          { members: [1, 2], representative: 1 },
          { members: [0], representative: 0 },
        ],
        statistics: { ...stats(9), trajectories: 3, elapsedMs: 300, histogram: [9] },
      },
    },
  ]);
  const checksOf = (state: PanelState): ChecksState | undefined => state.solve?.checks;

  test("a run's results arrive per candidate, then the whole result replaces them with the ranking", () => {
    const running = fold(
      [
        { type: "checksStarted", solveId: "s1", runId: "r1" },
        { type: "checksProgress", solveId: "s1", runId: "r1", result: result(2, 1) },
        { type: "checksProgress", solveId: "s1", runId: "r1", result: result(0, 2) },
      ],
      solved,
    );
    assert.equal(checksOf(running)?.phase, "running");
    assert.deepEqual(
      checksOf(running)?.results.map((r) => r.trajectory),
      [2, 0],
    );
    // Without the ranking: passed checks first, then the larger vote group, then the rest as they came.
    assert.deepEqual(checkedOrder([0, 1, 2], checksOf(running), running.solve?.groups), [0, 2, 1]);
    assert.equal(
      bestCandidate([0, 1, 2], checksOf(running), running.solve?.groups)?.by,
      "vote",
      "no best by checks before the run is done",
    );

    const done = fold(
      [{ type: "checksFinished", solveId: "s1", runId: "r1", result: finished([result(0, 2), result(1, 0), result(2, 1)], [0, 2, 1]) }],
      running,
    );
    const checks = defined(checksOf(done), "the checks");
    assert.equal(checks.phase, "done");
    assert.equal(checks.results.length, 3);
    assert.equal(checks.checks?.length, 2);
    assert.deepEqual(checkedOrder([0, 1, 2], checks, done.solve?.groups), [0, 2, 1]);
    assert.deepEqual(bestCandidate([0, 1, 2], checks, done.solve?.groups), {
      by: "checks",
      trajectory: 0,
      result: result(0, 2),
      passed: true,
    });
  });

  test("the server's ranking decides the order once the run is done, even against the vote", () => {
    const done = fold(
      [
        { type: "checksStarted", solveId: "s1", runId: "r1" },
        { type: "checksFinished", solveId: "s1", runId: "r1", result: finished([result(0, 0), result(1, 0), result(2, 1)], [2, 1, 0]) },
      ],
      solved,
    );
    assert.deepEqual(checkedOrder([0, 1, 2], checksOf(done), done.solve?.groups), [2, 1, 0]);
    const best = bestCandidate([0, 1, 2], checksOf(done), done.solve?.groups);
    assert.equal(best?.by === "checks" && best.passed, false, "the best candidate passed only 1 of 2: not a pass");
    assert.equal(best?.trajectory, 2);
  });

  test("without checks the best is the largest vote group's and the order is the solve's", () => {
    const groups = solved.solve?.groups;
    assert.deepEqual(checkedOrder([0, 1, 2], undefined, groups), [0, 1, 2]);
    assert.deepEqual(bestCandidate([0, 1, 2], undefined, groups), { by: "vote", trajectory: 1, agreeing: 2 });
    assert.equal(bestCandidate([], undefined, undefined), undefined);
  });

  test("results of an older run or another solve are dropped; a new run starts empty; a failure keeps its message", () => {
    const state = fold(
      [
        { type: "checksStarted", solveId: "s1", runId: "r1" },
        { type: "checksProgress", solveId: "s1", runId: "r1", result: result(0, 2) },
        { type: "checksStarted", solveId: "s1", runId: "r2" },
        { type: "checksProgress", solveId: "s1", runId: "r1", result: result(1, 2) },
        { type: "checksProgress", solveId: "other", runId: "r2", result: result(1, 2) },
        { type: "checksFinished", solveId: "s1", runId: "r1", result: finished([result(0, 2)], [0]) },
      ],
      solved,
    );
    assert.deepEqual(checksOf(state), { runId: "r2", phase: "running", results: [] });
    const failed = fold([{ type: "checksFailed", solveId: "s1", runId: "r2", message: "There is nothing to check" }], state);
    assert.deepEqual(checksOf(failed), { runId: "r2", phase: "failed", results: [], error: "There is nothing to check" });
    // A new solve has no checks of its own.
    assert.equal(checksOf(fold([{ ...started, solveId: "s2" }], failed)), undefined);
  });

  test("the checks box is kept per problem, an empty box forgets it, and only the newest problems are kept", () => {
    let state = fold([
      { type: "userChecksEdited", problem: "function isString(value) {", checks: "isString(1) // => false" },
      { type: "userChecksEdited", problem: "function last(array) {", checks: "last([1]) // => 1" },
      { type: "userChecksEdited", problem: "function isString(value) {", checks: "isString(null) // => false" },
    ]);
    assert.equal(userChecksFor(state.userChecks, "function isString(value) {"), "isString(null) // => false");
    assert.equal(userChecksFor(state.userChecks, "function last(array) {"), "last([1]) // => 1");
    assert.equal(userChecksFor(state.userChecks, "other"), "");
    state = fold([{ type: "userChecksEdited", problem: "function last(array) {", checks: "  " }], state);
    assert.equal(state.userChecks?.length, 1);
    for (let i = 0; i < MAX_REMEMBERED_CHECKS + 5; i++)
      state = reducePanel(state, { type: "userChecksEdited", problem: `p${i}`, checks: `check ${i}` });
    assert.equal(state.userChecks?.length, MAX_REMEMBERED_CHECKS);
    assert.equal(userChecksFor(state.userChecks, "function isString(value) {"), "", "the oldest problem is forgotten");
    assert.equal(userChecksFor(state.userChecks, `p${MAX_REMEMBERED_CHECKS + 4}`), `check ${MAX_REMEMBERED_CHECKS + 4}`);
  });

  test("whether checks may run is part of the state a snapshot carries", () => {
    const state = fold([{ type: "checksAvailability", availability: { mode: "ask", trusted: false } }]);
    assert.deepEqual(state.checksAvailability, { mode: "ask", trusted: false });
    assert.deepEqual(reducePanel(emptyPanelState, { type: "snapshot", state }).checksAvailability, { mode: "ask", trusted: false });
  });
});

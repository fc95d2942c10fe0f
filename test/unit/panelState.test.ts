import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  agreement,
  applicableText,
  emptyPanelState,
  MAX_THROUGHPUT_SAMPLES,
  panelResultOf,
  reducePanel,
  shownCards,
  tokensPerStep,
  type PanelEvent,
  type PanelState,
  type SolveState,
} from "../../common/panel";
import { bestCandidate, checkedOrder, MAX_REMEMBERED_CHECKS, userChecksFor, type ChecksState } from "../../common/panelChecks";
import type {
  Candidate,
  CandidateCheckResult,
  RunChecksResult,
  SolvePlan,
  SolveResult,
  TrajectoryProgress,
  TrajectoryStatistics,
} from "../../common/protocol";
import { defined } from "../support/defined";

const stats = (tokens: number, targetCalls = tokens): TrajectoryStatistics => ({
  tokens,
  targetCalls,
  tokensPerCall: targetCalls > 0 ? tokens / targetCalls : 0,
  acceptedDraftTokens: 0,
  draftedTokens: 0,
  tokensPerSecond: 10,
});
const plan: SolvePlan = { trajectories: 2, temperature: 0.7, maxTokens: 64, kind: "code" };
const started: PanelEvent = { type: "solveStarted", solveId: "s1", problem: "add(a, b)", startedAt: 1000 };
const planned: PanelEvent = { type: "solvePlanned", solveId: "s1", plan };
const progress = (at: number, ...trajectories: TrajectoryProgress[]): PanelEvent => ({
  type: "solveProgress",
  solveId: "s1",
  trajectories,
  at,
});

function candidate(trajectory: number, text: string, group: number, finishReason: Candidate["finishReason"] = "stop"): Candidate {
  return {
    trajectory,
    text,
    answer: text,
    answerStart: 0,
    codeBlocks: [{ language: "js", code: text }],
    applied: { start: 0, end: text.trimEnd().length, kind: "code", language: "js" },
    finishReason,
    statistics: stats(3),
    group,
  };
}

const fold = (events: PanelEvent[], state: PanelState = emptyPanelState): PanelState => events.reduce(reducePanel, state);
/** Each candidate's text streamed to its card, as the server sends it before the result. */
const streamed = (candidates: readonly Candidate[]): PanelEvent =>
  progress(
    1100,
    ...candidates.map((c) => ({ trajectory: c.trajectory, spans: [{ text: c.text, origin: "model" as const }], statistics: c.statistics })),
  );
const solveOf = (state: PanelState): SolveState => {
  assert.ok(state.solve);
  return state.solve;
};

describe("panel state", () => {
  test("cards come with the server's plan; progress batches merge adjacent spans of one origin", () => {
    assert.deepEqual(solveOf(fold([started])).cards, [], "no cards before the plan");
    const state = fold([
      started,
      planned,
      progress(1100, {
        trajectory: 1,
        spans: [
          { text: "ret", origin: "model" },
          { text: "urn", origin: "model" },
        ],
        statistics: stats(2),
      }),
      progress(
        1200,
        { trajectory: 0, spans: [{ text: "x", origin: "draft" }], statistics: stats(1) },
        {
          trajectory: 1,
          spans: [
            { text: " a", origin: "draft" },
            { text: " +", origin: "draft" },
            { text: " b", origin: "model" },
          ],
          statistics: stats(5),
        },
      ),
    ]);
    const solve = solveOf(state);
    assert.equal(solve.phase, "running");
    assert.deepEqual(solve.plan, plan);
    assert.equal(solve.cards.length, 2);
    assert.deepEqual(solve.cards[0]?.spans, [{ text: "x", origin: "draft" }]);
    assert.deepEqual(solve.cards[1]?.spans, [
      { text: "return", origin: "model" },
      { text: " a +", origin: "draft" },
      { text: " b", origin: "model" },
    ]);
    assert.deepEqual(solve.throughput, [
      { elapsedMs: 100, tokens: 2 },
      { elapsedMs: 200, tokens: 6 },
    ]);
  });

  test("a card keeps where its answer starts after thinking, as the last progress that said it", () => {
    const thinking = (text: string, answerStart?: number): TrajectoryProgress => ({
      trajectory: 0,
      spans: [{ text, origin: "model" }],
      statistics: stats(1),
      ...(answerStart === undefined ? {} : { thinking: text.trim(), answerStart }),
    });
    const states = [
      fold([started, planned, progress(1100, thinking("<think>sum"))]),
      fold([started, planned, progress(1100, thinking("<think>sum", 10)), progress(1200, thinking(" it</think>\n", 19))]),
      fold([started, planned, progress(1100, thinking("<think>sum it</think>\n", 22)), progress(1200, thinking("a + b"))]),
    ];
    assert.deepEqual(
      states.map((state) => solveOf(state).cards[0]?.answerStart),
      [undefined, 19, 22],
    );
    assert.equal(solveOf(states[0] ?? emptyPanelState).cards[1]?.answerStart, undefined, "cards without thinking have none");
  });

  test("the result finishes the cards; the applied text is the marked range of the card's text", () => {
    const result: SolveResult = {
      plan,
      candidates: [candidate(0, "a + b", 0), candidate(1, "a + b \n", 0)],
      groups: [{ members: [0, 1], representative: 0 }],
      statistics: { ...stats(6), trajectories: 2, elapsedMs: 300, histogram: [4, 1] },
    };
    const solve = solveOf(
      fold([started, planned, streamed(result.candidates), { type: "solveFinished", solveId: "s1", result: panelResultOf(result) }]),
    );
    assert.equal(solve.phase, "done");
    assert.deepEqual(solve.statistics?.histogram, [4, 1]);
    assert.equal(solve.cards[1]?.candidate?.text, "a + b \n", "the card's streamed text is the candidate's");
    assert.equal(JSON.stringify(panelResultOf(result)).includes("a + b"), false, "the panel's result carries no text: the spans have it");
    assert.deepEqual(agreement(solve, 1), { agreeing: 2, of: 2 });
    assert.equal(applicableText(result.candidates[1] ?? candidate(9, "", 0)), "a + b");
  });

  test("a cancel shows as cancelling until the server answers; its candidates so far finish the cards", () => {
    const running = fold([
      started,
      planned,
      progress(1100, { trajectory: 0, spans: [{ text: "a", origin: "model" }], statistics: stats(1) }),
    ]);
    const cancelling = fold([{ type: "solveCancelling", solveId: "s1" }], running);
    assert.equal(solveOf(cancelling).phase, "cancelling");
    const partial: SolveResult = {
      plan,
      candidates: [candidate(0, "a", 0, "cancelled"), candidate(1, "", 1, "cancelled")],
      groups: [
        { members: [0], representative: 0 },
        { members: [1], representative: 1 },
      ],
      statistics: { ...stats(1), trajectories: 2, elapsedMs: 150, histogram: [1] },
    };
    const cancelled = solveOf(fold([{ type: "solveCancelled", solveId: "s1", result: partial }], cancelling));
    assert.equal(cancelled.phase, "cancelled");
    assert.equal(cancelled.cards[0]?.candidate?.text, "a", "the candidate so far can be applied");
    assert.equal(solveOf(fold([{ type: "solveCancelled", solveId: "s1" }], cancelling)).phase, "cancelled", "a cancel without a result");
  });

  test("events of an older solve do not touch the newer one; a failure keeps its message", () => {
    const state = fold([
      started,
      { type: "solveStarted", solveId: "s2", problem: "other", startedAt: 2000 },
      { type: "solvePlanned", solveId: "s2", plan },
      progress(1100, { trajectory: 0, spans: [{ text: "x", origin: "model" }], statistics: stats(1) }),
    ]);
    assert.equal(solveOf(state).id, "s2");
    assert.deepEqual(solveOf(state).cards[0]?.spans, []);
    const failed = solveOf(fold([{ type: "solveFailed", solveId: "s2", message: "boom" }], state));
    assert.equal(failed.phase, "failed");
    assert.equal(failed.error, "boom");
  });

  test("identical finished candidates share one card, ×N; streaming cards never do", () => {
    const result: SolveResult = {
      plan: { ...plan, trajectories: 4 },
      candidates: [candidate(0, "same", 0), candidate(1, "other", 1), candidate(2, "same", 0), candidate(3, "same ", 0)],
      groups: [
        { members: [0, 2, 3], representative: 0 },
        { members: [1], representative: 1 },
      ],
      statistics: { ...stats(12), trajectories: 4, elapsedMs: 300, histogram: [12] },
    };
    const streaming = solveOf(fold([started, { type: "solvePlanned", solveId: "s1", plan: result.plan }]));
    assert.deepEqual(
      shownCards(streaming).map((shown) => shown.copies),
      [[0], [1], [2], [3]],
    );
    const done = solveOf(
      fold([
        started,
        { type: "solvePlanned", solveId: "s1", plan: result.plan },
        streamed(result.candidates),
        { type: "solveFinished", solveId: "s1", result },
      ]),
    );
    assert.deepEqual(
      shownCards(done).map((shown) => [shown.card.trajectory, shown.copies]),
      [
        [0, [0, 2]],
        [1, [1]],
        [3, [3]],
      ],
      "exactly the same text only (3 differs by a space, so it only agrees)",
    );
  });

  test("tokens per step is each card's measure, averaged over all their steps", () => {
    assert.equal(tokensPerStep([stats(10, 5), stats(3, 3), undefined]), 13 / 8);
    assert.equal(tokensPerStep([]), 0);
  });

  test("the throughput series stays bounded however long the solve runs", () => {
    let state = fold([started, planned]);
    for (let i = 1; i <= 1000; i++)
      state = reducePanel(state, progress(1000 + i, { trajectory: 0, spans: [{ text: "t", origin: "model" }], statistics: stats(i) }));
    const samples = solveOf(state).throughput;
    assert.ok(samples.length <= MAX_THROUGHPUT_SAMPLES, `${samples.length} samples`);
    assert.deepEqual(samples[samples.length - 1], { elapsedMs: 1000, tokens: 1000 });
    assert.ok(samples.every((sample, i) => i === 0 || sample.elapsedMs > (samples[i - 1]?.elapsedMs ?? Infinity)));
  });

  test("a snapshot replaces the state; a benchmark keeps its last result while the next one runs", () => {
    const snapshot = fold([started]);
    assert.deepEqual(reducePanel(emptyPanelState, { type: "snapshot", state: snapshot }), snapshot);
    const result = { rows: [], table: "t" };
    const state = fold([
      { type: "benchmarkStarted", startedAt: 5 },
      { type: "benchmarkFinished", result },
      { type: "benchmarkStarted", startedAt: 9 },
    ]);
    assert.deepEqual(state.benchmark, { phase: "running", startedAt: 9, result });
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
  const solvedResult: SolveResult = {
    plan: { ...plan, trajectories: 3 },
    candidates: [candidate(0, "a", 0), candidate(1, "b", 1), candidate(2, "b", 1)],
    groups: [
      { members: [1, 2], representative: 1 },
      { members: [0], representative: 0 },
    ],
    statistics: { ...stats(9), trajectories: 3, elapsedMs: 300, histogram: [9] },
  };
  const solved = fold([
    started,
    { type: "solvePlanned", solveId: "s1", plan: solvedResult.plan },
    streamed(solvedResult.candidates),
    { type: "solveFinished", solveId: "s1", result: panelResultOf(solvedResult) },
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

// Checks in the candidates panel: a run's state as its results arrive, the order cards are shown in
// once candidates have results, which one is best, and the checks the user typed for a problem.
// Folded by the panel's reducer (panel.ts) on both sides; types only, so the webview can bundle it.
import type { CandidateCheckResult, Check, RunChecksResult, SandboxReport, VoteGroup } from "./protocol";

/** `stand.checks.run`: "ask" runs checks when the user asks (Run Checks, Apply Best), "always" also after every solve. */
export type ChecksMode = "ask" | "always" | "never";

/** Whether the panel may offer to run checks: the setting, and workspace trust (checks run code). */
export interface ChecksAvailability {
  readonly mode: ChecksMode;
  readonly trusted: boolean;
}

export type ChecksPhase = "running" | "done" | "failed";

/** One run of checks over a solve's candidates. */
export interface ChecksState {
  /** A new run replaces the last; results of an older run are stale. */
  readonly runId: string;
  readonly phase: ChecksPhase;
  /** Each candidate's result as it arrives, then all of them. */
  readonly results: readonly CandidateCheckResult[];
  /** Set when the run is done: what ran, the behaviour groups, the ranking (best first). */
  readonly checks?: readonly Check[];
  readonly groups?: readonly VoteGroup[];
  readonly ranking?: readonly number[];
  readonly sandbox?: SandboxReport;
  /** Why the run failed (nothing to check, a language without a runner, …). */
  readonly error?: string;
}

/** Extension → webview (and the extension's own snapshot): a run of checks on the solve `solveId`. */
export type ChecksEvent =
  | { readonly type: "checksStarted"; readonly solveId: string; readonly runId: string }
  | { readonly type: "checksProgress"; readonly solveId: string; readonly runId: string; readonly result: CandidateCheckResult }
  | { readonly type: "checksFinished"; readonly solveId: string; readonly runId: string; readonly result: RunChecksResult }
  | { readonly type: "checksFailed"; readonly solveId: string; readonly runId: string; readonly message: string };

/** The next state of a solve's checks; undefined `checks` is a solve whose checks never ran. */
export function reduceChecks(checks: ChecksState | undefined, event: ChecksEvent): ChecksState | undefined {
  if (event.type === "checksStarted") return { runId: event.runId, phase: "running", results: [] };
  if (checks?.runId !== event.runId) return checks;
  switch (event.type) {
    case "checksProgress":
      return {
        ...checks,
        results: [...checks.results.filter((result) => result.trajectory !== event.result.trajectory), event.result],
      };
    case "checksFinished":
      return {
        ...checks,
        phase: "done",
        results: event.result.candidates,
        checks: event.result.checks,
        groups: event.result.groups,
        ranking: event.result.ranking,
        sandbox: event.result.sandbox,
      };
    case "checksFailed":
      return { ...checks, phase: "failed", error: event.message };
  }
}

/** This candidate's result in the run, if it has one yet. */
export function checkResultOf(checks: ChecksState | undefined, trajectory: number): CandidateCheckResult | undefined {
  return checks?.results.find((result) => result.trajectory === trajectory);
}

/**
 * Trajectories in the order their cards are shown: by checks passed, then by how many candidates
 * agree with them, then as they came. A finished run's own ranking (which also weighs behaviour
 * groups) decides once it is there; candidates without a result yet keep their place after those
 * with one.
 */
export function checkedOrder(
  trajectories: readonly number[],
  checks: ChecksState | undefined,
  voteGroups: readonly VoteGroup[] | undefined,
): number[] {
  if (!checks || checks.results.length === 0) return [...trajectories];
  const ranking = checks.ranking;
  if (ranking) {
    const place = (trajectory: number): number => {
      const index = ranking.indexOf(trajectory);
      return index < 0 ? ranking.length + trajectory : index;
    };
    return [...trajectories].sort((a, b) => place(a) - place(b));
  }
  const passed = (trajectory: number): number => checkResultOf(checks, trajectory)?.passed ?? -1;
  const agreeing = (trajectory: number): number => voteGroups?.find((group) => group.members.includes(trajectory))?.members.length ?? 1;
  return [...trajectories].sort((a, b) => passed(b) - passed(a) || agreeing(b) - agreeing(a) || a - b);
}

/** The candidate Apply Best puts in, and why it is best. */
export type BestCandidate =
  /** Ranked first by a finished run of checks: `passed` when it passed them all. */
  | { readonly by: "checks"; readonly trajectory: number; readonly result: CandidateCheckResult; readonly passed: boolean }
  /** No checks ran: the representative of the largest vote group. */
  | { readonly by: "vote"; readonly trajectory: number; readonly agreeing: number };

export function bestCandidate(
  trajectories: readonly number[],
  checks: ChecksState | undefined,
  voteGroups: readonly VoteGroup[] | undefined,
): BestCandidate | undefined {
  if (checks?.phase === "done") {
    const trajectory = checks.ranking?.find((ranked) => trajectories.includes(ranked));
    const result = trajectory === undefined ? undefined : checkResultOf(checks, trajectory);
    if (trajectory !== undefined && result) return { by: "checks", trajectory, result, passed: result.status === "passed" };
  }
  const largest = voteGroups?.find((group) => trajectories.includes(group.representative));
  if (largest) return { by: "vote", trajectory: largest.representative, agreeing: largest.members.length };
  const first = trajectories[0];
  return first === undefined ? undefined : { by: "vote", trajectory: first, agreeing: 1 };
}

/** The checks box's text per problem, newest last; the oldest are forgotten past this many. */
export const MAX_REMEMBERED_CHECKS = 50;

export type UserChecks = readonly (readonly [problem: string, checks: string])[];

/** The checks typed for `problem` ("" when none). */
export function userChecksFor(all: UserChecks | undefined, problem: string): string {
  return all?.find(([typedFor]) => typedFor === problem)?.[1] ?? "";
}

/** `all` with `problem`'s checks set (an empty box forgets them). */
export function withUserChecks(all: UserChecks | undefined, problem: string, checks: string): UserChecks {
  const others = (all ?? []).filter(([typedFor]) => typedFor !== problem);
  const next: UserChecks = checks.trim() ? [...others, [problem, checks]] : others;
  return next.slice(-MAX_REMEMBERED_CHECKS);
}

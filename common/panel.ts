// The candidates panel's model: the messages between the extension and the webview, and the one
// reducer that folds them into what the panel shows. The extension folds the same messages to keep
// a snapshot, so a panel opened (or re-shown) mid-solve starts from where the solve is.
// Types only from the protocol: this file is bundled into the webview, which has no Node.
import { reduceChecks, withUserChecks, type ChecksAvailability, type ChecksEvent, type ChecksState, type UserChecks } from "./panelChecks";
import type { BenchmarkResult, Candidate, ServerStatus, SolveResult, Span, TrajectoryStatistics, VoteGroup } from "./protocol";

/** Extension → webview. */
export type PanelEvent =
  | {
      readonly type: "solveStarted";
      readonly solveId: string;
      readonly problem: string;
      readonly trajectories: number;
      readonly temperature: number;
      readonly startedAt: number;
    }
  | {
      readonly type: "solveProgress";
      readonly solveId: string;
      readonly trajectory: number;
      readonly spans: readonly Span[];
      readonly statistics: TrajectoryStatistics;
      readonly at: number;
    }
  | { readonly type: "solveFinished"; readonly solveId: string; readonly result: SolveResult }
  | { readonly type: "solveFailed"; readonly solveId: string; readonly message: string; readonly cancelled: boolean }
  | { readonly type: "benchmarkStarted" }
  | { readonly type: "benchmarkFinished"; readonly result: BenchmarkResult }
  | { readonly type: "benchmarkFailed"; readonly message: string }
  | { readonly type: "status"; readonly status: ServerStatus }
  | ChecksEvent
  | { readonly type: "checksAvailability"; readonly availability: ChecksAvailability }
  /** The checks box changed (the webview folds it at once; the extension when the webview tells it). */
  | UserChecksEdited;

export interface UserChecksEdited {
  readonly type: "userChecksEdited";
  readonly problem: string;
  readonly checks: string;
}

/** Extension → webview: replace the whole state (sent when the view is created or re-shown). */
export interface PanelSnapshot {
  readonly type: "snapshot";
  readonly state: PanelState;
}

export type ToPanel = PanelEvent | PanelSnapshot;

export type ApplyMode = "insert" | "replace" | "diff";

/** Webview → extension. */
export type FromPanel =
  | { readonly type: "ready" }
  | { readonly type: "apply"; readonly solveId: string; readonly trajectory: number; readonly mode: ApplyMode }
  | { readonly type: "copy"; readonly solveId: string; readonly trajectory: number }
  | { readonly type: "cancel" }
  | { readonly type: "solveAgain" }
  | { readonly type: "runBenchmark" }
  | { readonly type: "runChecks"; readonly solveId: string }
  | { readonly type: "applyBest"; readonly solveId: string }
  | UserChecksEdited;

export interface CardState {
  readonly trajectory: number;
  /** The streamed text, adjacent spans of one origin merged. */
  readonly spans: readonly Span[];
  readonly statistics?: TrajectoryStatistics;
  /** Set when the solve finishes. */
  readonly candidate?: Candidate;
}

/** One point of the throughput chart: all trajectories' tokens so far at a time since the start. */
export interface ThroughputSample {
  readonly elapsedMs: number;
  readonly tokens: number;
}

export type SolvePhase = "running" | "done" | "cancelled" | "failed";

export interface SolveState {
  readonly id: string;
  readonly problem: string;
  readonly trajectories: number;
  readonly temperature: number;
  readonly startedAt: number;
  readonly phase: SolvePhase;
  readonly error?: string;
  readonly cards: readonly CardState[];
  readonly groups?: readonly VoteGroup[];
  readonly statistics?: SolveResult["statistics"];
  readonly throughput: readonly ThroughputSample[];
  /** The latest run of checks on these candidates. */
  readonly checks?: ChecksState;
}

export interface BenchmarkState {
  readonly phase: "running" | "done" | "failed";
  readonly result?: BenchmarkResult;
  readonly error?: string;
}

export interface PanelState {
  readonly solve?: SolveState;
  readonly benchmark?: BenchmarkState;
  readonly status?: ServerStatus;
  readonly checksAvailability?: ChecksAvailability;
  /** What the user typed in the checks box, per problem. */
  readonly userChecks?: UserChecks;
}

export const emptyPanelState: PanelState = {};

/** The throughput chart keeps at most this many samples (older ones are thinned). */
export const MAX_THROUGHPUT_SAMPLES = 120;

export function reducePanel(state: PanelState, message: ToPanel): PanelState {
  switch (message.type) {
    case "snapshot":
      return message.state;
    case "status":
      return { ...state, status: message.status };
    case "solveStarted":
      return {
        ...state,
        solve: {
          id: message.solveId,
          problem: message.problem,
          trajectories: message.trajectories,
          temperature: message.temperature,
          startedAt: message.startedAt,
          phase: "running",
          cards: Array.from({ length: message.trajectories }, (_, trajectory) => ({ trajectory, spans: [] })),
          throughput: [],
        },
      };
    case "solveProgress":
      return withSolve(state, message.solveId, (solve) => {
        const cards = solve.cards.map((card) =>
          card.trajectory === message.trajectory
            ? { ...card, spans: appendSpans(card.spans, message.spans), statistics: message.statistics }
            : card,
        );
        const tokens = cards.reduce((sum, card) => sum + (card.statistics?.tokens ?? 0), 0);
        return {
          ...solve,
          cards,
          throughput: thin([...solve.throughput, { elapsedMs: Math.max(0, message.at - solve.startedAt), tokens }]),
        };
      });
    case "solveFinished":
      return withSolve(state, message.solveId, (solve) => ({
        ...solve,
        phase: "done",
        groups: message.result.groups,
        statistics: message.result.statistics,
        cards: solve.cards.map((card) => {
          const candidate = message.result.candidates.find((c) => c.trajectory === card.trajectory);
          return candidate ? { ...card, candidate, statistics: candidate.statistics } : card;
        }),
      }));
    case "solveFailed":
      return withSolve(state, message.solveId, (solve) => ({
        ...solve,
        phase: message.cancelled ? "cancelled" : "failed",
        error: message.message,
      }));
    case "benchmarkStarted":
      return { ...state, benchmark: { phase: "running", result: state.benchmark?.result } };
    case "benchmarkFinished":
      return { ...state, benchmark: { phase: "done", result: message.result } };
    case "benchmarkFailed":
      return { ...state, benchmark: { phase: "failed", result: state.benchmark?.result, error: message.message } };
    case "checksStarted":
    case "checksProgress":
    case "checksFinished":
    case "checksFailed":
      return withSolve(state, message.solveId, (solve) => ({ ...solve, checks: reduceChecks(solve.checks, message) }));
    case "checksAvailability":
      return { ...state, checksAvailability: message.availability };
    case "userChecksEdited":
      return { ...state, userChecks: withUserChecks(state.userChecks, message.problem, message.checks) };
  }
}

/** Messages for a solve other than the current one are stale (a newer solve replaced it). */
function withSolve(state: PanelState, solveId: string, update: (solve: SolveState) => SolveState): PanelState {
  return state.solve?.id === solveId ? { ...state, solve: update(state.solve) } : state;
}

function appendSpans(spans: readonly Span[], added: readonly Span[]): Span[] {
  const merged = [...spans];
  for (const span of added) {
    const last = merged[merged.length - 1];
    if (last && last.origin === span.origin) merged[merged.length - 1] = { origin: span.origin, text: last.text + span.text };
    else if (span.text) merged.push(span);
  }
  return merged;
}

/** Halves the samples when there are too many, keeping the first and the newest. */
function thin(samples: ThroughputSample[]): ThroughputSample[] {
  if (samples.length <= MAX_THROUGHPUT_SAMPLES) return samples;
  return samples.filter((_, index) => index % 2 === 0 || index === samples.length - 1);
}

/** Trajectories in the same vote group as this card, including it ("3 of 8 agree"). */
export function agreement(solve: SolveState, trajectory: number): { readonly agreeing: number; readonly of: number } | undefined {
  const group = solve.groups?.find((g) => g.members.includes(trajectory));
  return group ? { agreeing: group.members.length, of: solve.trajectories } : undefined;
}

/** The text "apply" and "copy" use: the first code block when there is one, else the answer. */
export function applicableText(candidate: Candidate): string {
  return candidate.codeBlocks[0]?.code ?? candidate.answer;
}

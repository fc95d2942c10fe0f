// The candidates panel's model: the messages between the extension and the webview, and the one
// reducer that folds them into what the panel shows. The extension folds the same events to keep a
// snapshot, so a panel opened (or re-shown) mid-solve starts from where the solve is.
// Types only from the protocol: this file is bundled into the webview, which has no Node.
import { reduceChecks, withUserChecks, type ChecksAvailability, type ChecksEvent, type ChecksState, type UserChecks } from "./panelChecks";
import type {
  BenchmarkResult,
  Candidate,
  ServerStatus,
  SolvePlan,
  SolveResult,
  Span,
  TrajectoryProgress,
  TrajectoryStatistics,
  VoteGroup,
} from "./protocol";
import { appendSpan } from "./spans";

/** What happened, as the extension tells the panel (and folds into its own snapshot). */
export type PanelEvent =
  | { readonly type: "solveStarted"; readonly solveId: string; readonly problem: string; readonly startedAt: number }
  /** The server's plan: how many candidates, at what temperature. Cards appear with it. */
  | { readonly type: "solvePlanned"; readonly solveId: string; readonly plan: SolvePlan }
  | { readonly type: "solveProgress"; readonly solveId: string; readonly trajectories: readonly TrajectoryProgress[]; readonly at: number }
  /** The user asked to stop; the server has not answered yet. */
  | { readonly type: "solveCancelling"; readonly solveId: string }
  | { readonly type: "solveFinished"; readonly solveId: string; readonly result: PanelResult }
  /** Stopped by the user: the candidates so far, when the server had any, can still be applied. */
  | { readonly type: "solveCancelled"; readonly solveId: string; readonly result?: PanelResult }
  | { readonly type: "solveFailed"; readonly solveId: string; readonly message: string }
  | { readonly type: "benchmarkStarted"; readonly startedAt: number }
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

/**
 * Extension → webview: the events since the last post. The extension sends the next batch only
 * when the panel says it rendered this one, so however fast a solve streams, the panel is never
 * more than one batch behind.
 */
export interface PanelEvents {
  readonly type: "events";
  readonly events: readonly PanelEvent[];
}

export type ToPanel = PanelEvents | PanelSnapshot;

export type ApplyMode = "insert" | "replace" | "diff";

/** Webview → extension. */
export type FromPanel =
  | { readonly type: "ready" }
  /** The panel has rendered everything posted to it: the extension may post the next batch. */
  | { readonly type: "rendered" }
  | { readonly type: "apply"; readonly solveId: string; readonly trajectory: number; readonly mode: ApplyMode }
  | { readonly type: "copy"; readonly solveId: string; readonly trajectory: number }
  | { readonly type: "cancel" }
  | { readonly type: "solveAgain" }
  | { readonly type: "runBenchmark" }
  | { readonly type: "runChecks"; readonly solveId: string }
  | { readonly type: "applyBest"; readonly solveId: string }
  | UserChecksEdited;

/**
 * A candidate as the panel gets it: its text is the card's streamed spans, which the panel has
 * already, so the result carries none of it (nor the answer and code blocks cut from it): a
 * 16-candidate result is a few kilobytes, not a few hundred.
 */
export type PanelCandidate = Omit<Candidate, "text" | "answer" | "codeBlocks" | "thinking">;
export type PanelResult = Omit<SolveResult, "candidates"> & { readonly candidates: readonly PanelCandidate[] };

/** A finished candidate on its card, with its text (the card's spans). */
export type CardCandidate = PanelCandidate & { readonly text: string };

/** The panel's part of a result. */
export function panelResultOf(result: SolveResult): PanelResult {
  return {
    ...result,
    candidates: result.candidates.map(({ trajectory, answerStart, applied, finishReason, statistics, group }): PanelCandidate => ({
      trajectory,
      answerStart,
      applied,
      finishReason,
      statistics,
      group,
    })),
  };
}

/** One trajectory's card. Later features (e.g. check results) add fields here. */
export interface CardState {
  readonly trajectory: number;
  /** The streamed text, adjacent spans of one origin merged. */
  readonly spans: readonly Span[];
  readonly statistics?: TrajectoryStatistics;
  /** Where the streamed text's answer starts after a thinking segment, as the server last said (see TrajectoryProgress.answerStart). */
  readonly answerStart?: number;
  /** Set when the solve ends (finished, or cancelled with candidates so far). */
  readonly candidate?: CardCandidate;
}

/** One point of the throughput chart: all trajectories' tokens so far at a time since the start. */
export interface ThroughputSample {
  readonly elapsedMs: number;
  readonly tokens: number;
}

export type SolvePhase = "running" | "cancelling" | "done" | "cancelled" | "failed";

export interface SolveState {
  readonly id: string;
  readonly problem: string;
  readonly startedAt: number;
  readonly phase: SolvePhase;
  /** Why the solve failed. */
  readonly error?: string;
  /** From the server, shortly after the start. */
  readonly plan?: SolvePlan;
  readonly cards: readonly CardState[];
  readonly groups?: readonly VoteGroup[];
  readonly statistics?: SolveResult["statistics"];
  readonly throughput: readonly ThroughputSample[];
  /** The latest run of checks on these candidates. */
  readonly checks?: ChecksState;
}

export interface BenchmarkState {
  readonly phase: "running" | "done" | "failed";
  /** When it started: the panel shows the newer of the solve and the benchmark first. */
  readonly startedAt: number;
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

export function reducePanel(state: PanelState, message: PanelEvent | PanelSnapshot): PanelState {
  switch (message.type) {
    case "snapshot":
      return message.state;
    case "status":
      return { ...state, status: message.status };
    case "solveStarted":
      return {
        ...state,
        solve: { id: message.solveId, problem: message.problem, startedAt: message.startedAt, phase: "running", cards: [], throughput: [] },
      };
    case "solvePlanned":
      return withSolve(state, message.solveId, (solve) => ({
        ...solve,
        plan: message.plan,
        cards: Array.from({ length: message.plan.trajectories }, (_, trajectory) => solve.cards[trajectory] ?? { trajectory, spans: [] }),
      }));
    case "solveProgress":
      return withSolve(state, message.solveId, (solve) => {
        const updates = new Map(message.trajectories.map((progress) => [progress.trajectory, progress]));
        const cards = solve.cards.map((card) => {
          const update = updates.get(card.trajectory);
          if (!update) return card;
          const answerStart = update.answerStart ?? card.answerStart;
          return {
            ...card,
            spans: appendSpans(card.spans, update.spans),
            statistics: update.statistics,
            ...(answerStart === undefined ? {} : { answerStart }),
          };
        });
        const tokens = cards.reduce((sum, card) => sum + (card.statistics?.tokens ?? 0), 0);
        return {
          ...solve,
          cards,
          throughput: thin([...solve.throughput, { elapsedMs: Math.max(0, message.at - solve.startedAt), tokens }]),
        };
      });
    case "solveCancelling":
      return withSolve(state, message.solveId, (solve) => (solve.phase === "running" ? { ...solve, phase: "cancelling" } : solve));
    case "solveFinished":
      return withSolve(state, message.solveId, (solve) => withResult(solve, message.result, "done"));
    case "solveCancelled":
      return withSolve(state, message.solveId, (solve) =>
        message.result ? withResult(solve, message.result, "cancelled") : { ...solve, phase: "cancelled" },
      );
    case "solveFailed":
      return withSolve(state, message.solveId, (solve) => ({ ...solve, phase: "failed", error: message.message }));
    case "benchmarkStarted":
      return { ...state, benchmark: { phase: "running", startedAt: message.startedAt, result: state.benchmark?.result } };
    case "benchmarkFinished":
      return { ...state, benchmark: { phase: "done", startedAt: state.benchmark?.startedAt ?? 0, result: message.result } };
    case "benchmarkFailed":
      return {
        ...state,
        benchmark: { phase: "failed", startedAt: state.benchmark?.startedAt ?? 0, result: state.benchmark?.result, error: message.message },
      };
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

/** Events for a solve other than the current one are stale (a newer solve replaced it). */
function withSolve(state: PanelState, solveId: string, update: (solve: SolveState) => SolveState): PanelState {
  return state.solve?.id === solveId ? { ...state, solve: update(state.solve) } : state;
}

/** The result's candidates on their cards, each with its card's streamed text. */
function withResult(solve: SolveState, result: PanelResult, phase: SolvePhase): SolveState {
  const candidates = new Map(result.candidates.map((candidate) => [candidate.trajectory, candidate]));
  const cards = Array.from({ length: result.plan.trajectories }, (_, trajectory): CardState => {
    const card = solve.cards[trajectory] ?? { trajectory, spans: [] };
    const candidate = candidates.get(trajectory);
    if (!candidate) return card;
    const text = card.spans.map((span) => span.text).join("");
    return { ...card, candidate: { ...panelCandidateOf(candidate), text }, statistics: candidate.statistics };
  });
  return { ...solve, phase, plan: result.plan, groups: result.groups, statistics: result.statistics, cards };
}

/** Only the panel's fields (a full Candidate, as tests and old snapshots may give, has more). */
function panelCandidateOf({ trajectory, answerStart, applied, finishReason, statistics, group }: PanelCandidate): PanelCandidate {
  return { trajectory, answerStart, applied, finishReason, statistics, group };
}

function appendSpans(spans: readonly Span[], added: readonly Span[]): Span[] {
  const merged = [...spans];
  for (const span of added) appendSpan(merged, span);
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
  return group ? { agreeing: group.members.length, of: solve.cards.length } : undefined;
}

/** The text Insert, Replace and Copy use: the part of the candidate's text its card marks. */
export function applicableText(candidate: Pick<Candidate, "text" | "applied">): string {
  return candidate.text.slice(candidate.applied.start, candidate.applied.end);
}

/** A card as shown: identical finished candidates (all of them at T = 0) share one card, "×N". */
export interface ShownCard {
  readonly card: CardState;
  /** Trajectories whose text is exactly this card's, its own first. */
  readonly copies: readonly number[];
}

export function shownCards(solve: SolveState): ShownCard[] {
  const shown: { card: CardState; copies: number[] }[] = [];
  const byText = new Map<string, { copies: number[] }>();
  for (const card of solve.cards) {
    const text = card.candidate?.text;
    const same = text === undefined ? undefined : byText.get(text);
    if (same) {
      same.copies.push(card.trajectory);
      continue;
    }
    const entry = { card, copies: [card.trajectory] };
    shown.push(entry);
    if (text !== undefined) byText.set(text, entry);
  }
  return shown;
}

/**
 * Tokens per step over the trajectories so far: the same measure as each card's, averaged over all
 * their steps (a result's own tokensPerCall counts a batched call of N trajectories once).
 */
export function tokensPerStep(trajectories: Iterable<TrajectoryStatistics | undefined>): number {
  let steps = 0;
  let tokens = 0;
  for (const statistics of trajectories) {
    if (!statistics) continue;
    steps += statistics.targetCalls;
    tokens += statistics.tokensPerCall * statistics.targetCalls;
  }
  return steps > 0 ? tokens / steps : 0;
}

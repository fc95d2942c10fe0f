// The custom LSP requests and notifications between the extension and the language server, with
// their types. Both sides import this one file, so a change to the protocol is a type error on
// whichever side has not caught up.
import {
  LSPErrorCodes,
  NotificationType,
  ProgressType,
  RequestType,
  RequestType0,
  type PartialResultParams,
  type Position,
  type WorkDoneProgressParams,
} from "vscode-languageserver-protocol";

export type GpuSetting = "auto" | "cuda" | "vulkan" | "metal" | "off";
/** "auto": an adaptive chain, or an adaptive tree where the machine measures it faster; "chain": always 8 tokens; "tree": always the tree. */
export type DraftShapeSetting = "auto" | "chain" | "tree";

/** The server's settings: sent as initializationOptions and again on every configuration change. */
export interface StandSettings {
  /** A local .gguf path, an `hf:` URI, or empty for the embedded model. */
  readonly model: string;
  readonly gpu: GpuSetting;
  readonly trajectories: number;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly minP: number;
  readonly maxTokens: number;
  readonly draftShape: DraftShapeSetting;
  /** Candidates per inline completion request. */
  readonly inlineCandidates: number;
  readonly inlineMaxTokens: number;
  /** Keep the n-gram table per model and workspace between sessions. */
  readonly persistTable: boolean;
  /** Keep an idle CPU core awake while the model decodes (see IdleCoreSpinner). */
  readonly busyWait: boolean;
}

export const defaultSettings: StandSettings = {
  model: "",
  gpu: "auto",
  trajectories: 4,
  temperature: 0.7,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  maxTokens: 256,
  draftShape: "auto",
  inlineCandidates: 3,
  inlineMaxTokens: 48,
  persistTable: true,
  busyWait: true,
};

export interface InitializationOptions {
  readonly settings?: Partial<StandSettings>;
  /** A folder the server may write to (the extension's workspace storage), for the n-gram table. */
  readonly storagePath?: string;
  /** What inline completions use, all by default; `npm run bench:latency` turns each off to measure what it gives. */
  readonly inline?: InlineFeatures;
}

export interface InlineFeatures {
  /** Answer windows seen before from the completion cache. */
  readonly cache?: boolean;
  /** Compute the completion after an accepted one ahead (it is kept in the cache: off without it). */
  readonly prefetch?: boolean;
  /** Show the workspace's recently edited and visited places in the prompt. */
  readonly context?: boolean;
  /** Evaluate the prompt where the cursor rests (stand/visited) ahead of a request there. */
  readonly warmUp?: boolean;
}

/** Stable error codes of the server's ResponseErrors. */
export const ErrorCodes = {
  ModelNotFound: 1001,
  NotAGguf: 1002,
  CorruptModel: 1003,
  ModelTooLarge: 1004,
  UnsupportedArchitecture: 1005,
  NoModel: 1006,
  ContextOverflow: 1007,
  DownloadFailed: 1008,
  InvalidRequest: 1009,
  /** stand/runChecks found no check to run (no @example lines, no checks typed, no test command). */
  NoChecks: 1010,
} as const;

/** Whether a request failed because it was cancelled (LSP's RequestCancelled; a cancelled solve's data holds its candidates so far). */
export function isCancelledRequest(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === LSPErrorCodes.RequestCancelled;
}

export interface ModelInfo {
  readonly path: string;
  readonly name: string;
  readonly sizeBytes: number;
  readonly backend: string;
  readonly devices: string[];
  /** Why a requested GPU backend was not used. */
  readonly fallbackReason?: string;
  readonly contextSize: number;
  readonly fillInTheMiddle: boolean;
  readonly chatTemplate: boolean;
  readonly threads: number;
  /** The small demo model that ships with the extension (the `model` setting is empty). */
  readonly embedded: boolean;
  /** Memory the model and its contexts use, in bytes. */
  readonly memory: { readonly ram: number; readonly vram: number };
}

export interface ServerStatus {
  readonly version: string;
  readonly state: "loading" | "ready" | "error" | "idle";
  readonly model?: ModelInfo;
  readonly error?: { readonly code: number; readonly message: string };
  readonly table: { readonly entries: number; readonly bytes: number };
  readonly requestsInFlight: number;
}

export const StatusRequest = new RequestType0<ServerStatus, void>("stand/status");
/** Pushed whenever the status changes (loading, ready, error, generating). */
export const StatusNotification = new NotificationType<ServerStatus>("stand/statusChanged");

export interface LoadModelParams extends WorkDoneProgressParams {
  /** As the `model` setting; omitted means the current setting. */
  readonly model?: string;
}
export const LoadModelRequest = new RequestType<LoadModelParams, ModelInfo, void>("stand/loadModel");

/** "chat" asks in words; "code" continues code. */
export type SolveKind = "code" | "chat";

/**
 * A solve. Its progress streams on `partialResultToken` (LSP partial results, SolvePartialResultType);
 * model loads report theirs as LSP work-done progress, which is for people, not for data.
 */
export interface SolveParams extends PartialResultParams {
  /** The problem: the selected text, or what the user typed. */
  readonly problem: string;
  /** Default: "chat" for a model with a chat template, "code" for a base model. */
  readonly kind?: SolveKind;
  /** Document text before the problem: code to continue from, or context for a chat answer. */
  readonly context?: string;
  readonly languageId?: string;
  /** Overrides of the server's settings, for clients that have none (the CLI, tests). The editor sends none. */
  readonly trajectories?: number;
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly seed?: number;
}

/** What a solve runs with: the request's overrides, else the server's settings and model. */
export interface SolvePlan {
  readonly trajectories: number;
  readonly temperature: number;
  /** The most tokens per candidate, after what the model's context leaves room for. */
  readonly maxTokens: number;
  readonly kind: SolveKind;
}

/** A piece of streamed text and where it came from. */
export interface Span {
  readonly text: string;
  /** "draft": an accepted STAND draft token; "model": sampled by the model itself. */
  readonly origin: "draft" | "model";
}

export interface TrajectoryStatistics {
  readonly tokens: number;
  /** Model calls (steps) this trajectory took part in; one batched call serves every live trajectory. */
  readonly targetCalls: number;
  /** Tokens per step, the end-of-text token included: 1 without drafts, more when drafts were accepted. */
  readonly tokensPerCall: number;
  readonly acceptedDraftTokens: number;
  readonly draftedTokens: number;
  /** Over this trajectory's own time, from the solve's start to its last token. */
  readonly tokensPerSecond: number;
}

/** New text of one trajectory since the last partial result, and its statistics now. */
export interface TrajectoryProgress {
  readonly trajectory: number;
  readonly spans: Span[];
  readonly statistics: TrajectoryStatistics;
  /** The trajectory's thinking segment so far (trimmed), when this progress changed it; the last one sent is the thinking until the solve's result. */
  readonly thinking?: string;
  /**
   * Where the answer starts in the trajectory's text so far, sent with `thinking`: after the
   * closed thinking segment, or the text's length while the segment is still open (all of it is
   * thinking). Never sent for a trajectory without a thinking segment.
   */
  readonly answerStart?: number;
}

/**
 * A solve's partial results: its plan first, then the trajectories' new text, coalesced by the
 * server (at most one batch per SOLVE_PROGRESS_INTERVAL_MS, each trajectory once per batch).
 */
export type SolvePartialResult =
  { readonly type: "planned"; readonly plan: SolvePlan } | { readonly type: "progress"; readonly trajectories: TrajectoryProgress[] };
export const SolvePartialResultType = new ProgressType<SolvePartialResult>();
export const SOLVE_PROGRESS_INTERVAL_MS = 50;

/** Characters [start, end) of a text. */
export interface TextRange {
  readonly start: number;
  readonly end: number;
}

/** The part of a candidate's text that Insert, Replace and Copy use. */
export interface AppliedPart extends TextRange {
  /** "code": a code solve's continuation; "code block": a fenced block; "answer": the whole answer. */
  readonly kind: "code" | "code block" | "answer";
  readonly language: string;
}

export interface Candidate {
  readonly trajectory: number;
  /** Everything the model wrote: what the panel shows. */
  readonly text: string;
  /** A reasoning model's thinking segment, separated from the answer. */
  readonly thinking?: string;
  readonly answer: string;
  /** Where the answer starts in `text` (after a thinking segment; 0 without one). */
  readonly answerStart: number;
  readonly codeBlocks: { readonly language: string; readonly code: string }[];
  /** What is applied and copied: `text.slice(applied.start, applied.end)`. */
  readonly applied: AppliedPart;
  readonly finishReason: "stop" | "length" | "cancelled";
  readonly statistics: TrajectoryStatistics;
  /** Index into SolveResult.groups. */
  readonly group: number;
}

export interface VoteGroup {
  /** Trajectories whose normalised answers (or code) are equal. */
  readonly members: number[];
  readonly representative: number;
}

export interface SolveResult {
  readonly plan: SolvePlan;
  /** For a cancelled solve (the data of its RequestCancelled error): the candidates so far. */
  readonly candidates: Candidate[];
  /** Largest group first: the majority vote. */
  readonly groups: VoteGroup[];
  /** All trajectories together; here tokensPerCall is per batched call (N trajectories per call). */
  readonly statistics: TrajectoryStatistics & { readonly trajectories: number; readonly elapsedMs: number; readonly histogram: number[] };
}
export const SolveRequest = new RequestType<SolveParams, SolveResult, void>("stand/solve");

/**
 * The user accepted an inline completion item: the server learns from its text. With the document
 * and where the cursor is after the insertion, it also computes the completion that follows.
 */
export interface AcceptedCompletionParams {
  readonly text: string;
  readonly languageId?: string;
  readonly uri?: string;
  /** The document's version with the completion inserted: a later one means the user moved on. */
  readonly version?: number;
  readonly position?: Position;
}
export const AcceptedCompletionNotification = new NotificationType<AcceptedCompletionParams>("stand/acceptedCompletion");

/** The cursor rests at `line` of a document: a place whose lines inline prompts may show as context (see workspaceContext.ts). */
export interface VisitedParams {
  readonly uri: string;
  readonly line: number;
  /** The cursor's column: the server warms the inline prompt there (the line's end without it). */
  readonly character?: number;
}
export const VisitedNotification = new NotificationType<VisitedParams>("stand/visited");

/** How the server's inline completions were served since it started. */
export interface InlineStatistics {
  /** Requests that reached the model's window (cache hits included). */
  readonly requests: number;
  readonly cacheHits: number;
  /** Hits on a completion whose start the user had typed since it was computed. */
  readonly typedThroughHits: number;
  /** Completions computed ahead after an acceptance, of them used by a request, and cancelled by one. */
  readonly prefetches: number;
  readonly prefetchesUsed: number;
  readonly prefetchesCancelled: number;
  /**
   * Visited places whose inline prompt was evaluated ahead, of them found by the request that
   * followed (the same window start and the lines before the cursor unchanged), and warm-ups
   * cancelled by work for the model.
   */
  readonly warmUps: number;
  readonly warmUpsUsed: number;
  readonly warmUpsCancelled: number;
  readonly cacheEntries: number;
  /** The workspace's chunks in the last prompt prepared, and their tokens. */
  readonly lastContext: { readonly chunks: number; readonly tokens: number };
}
export const InlineStatisticsRequest = new RequestType0<InlineStatistics, void>("stand/inlineStatistics");

export interface BenchmarkParams {
  /** The prompt to decode (the selection, or a problem). */
  readonly prompt: string;
  readonly kind?: "code" | "chat";
  /** N values to compare (default: the trajectories setting). */
  readonly trajectories?: number[];
  /** Temperatures to compare (default: the temperature setting). */
  readonly temperatures?: number[];
  readonly maxTokens?: number;
  readonly repetitions?: number;
}

/** node-llama-cpp's own counters of a sequence's token predictions (`sequence.tokenPredictions`). */
export interface TokenPredictions {
  /** Validated, then consumed by the generator: tokens that cost no call of their own. */
  readonly used: number;
  /** Validated but not consumed (generation stopped first). */
  readonly unused: number;
  readonly validated: number;
  readonly refuted: number;
}

/** One method at one N and temperature, as `npm run bench` reports it. */
export interface BenchmarkRow {
  readonly trajectories: number;
  readonly temperature: number;
  /** The prompts it was measured on (a file name), when a run has several sets. */
  readonly promptSet?: string;
  readonly method: string;
  readonly tokensPerSecond: number;
  /**
   * Against batched autoregressive decoding at the same N and T, in the same run: the median of
   * the repetitions' paired ratios.
   */
  readonly speedup: number;
  /**
   * The speedup's spread: the lowest and highest of the repetitions' own ratios (each repetition
   * times this method and the baseline back to back, so each ratio is paired).
   */
  readonly speedupRange: SpeedupRange;
  /** How many interleaved repetitions the speedup is the median of. */
  readonly repetitions: number;
  /**
   * True when the spread reaches 1× (this run cannot tell the method's speed from the baseline's),
   * false when it does not; absent with one repetition, which has no spread to judge by, and for
   * the baseline itself.
   */
  readonly withinNoise?: boolean;
  /**
   * The speedup the measured acceptance allows at the measured call costs: the row's tokens over
   * the time of its model calls, timed in its own runs, plus the baseline's time between calls for
   * each of them (what every step of our loop pays), against the baseline's speed; the gap to the
   * speedup is what drafting, verification and learning cost outside the model. node-llama-cpp's
   * loops, whose calls are not timed: (A / A of the baseline) / the cost curve at their mean draft,
   * with A tokens per call (the baseline's is a little below 1: a call that samples a stop token
   * commits nothing).
   */
  readonly bound: number;
  /** Why the bound is below the speedup, when it is (it is not a limit then). */
  readonly boundNote?: string;
  readonly tokensPerCall: number;
  readonly draftedPerTrajectoryPerCall: number;
  readonly drafterOverhead: number;
  /** node-llama-cpp's InputLookup: its own prediction counters over the timed runs, all sequences. */
  readonly predictions?: TokenPredictions;
  /** Cost of a batched call with k draft tokens per trajectory, relative to none, at the row's sampling. */
  readonly costCurve: Record<number, number>;
}

export interface SpeedupRange {
  readonly low: number;
  readonly high: number;
}

export interface BenchmarkResult {
  readonly rows: BenchmarkRow[];
  /** The same rows as a plain-text table. */
  readonly table: string;
  /**
   * The backend the rows were measured on (cpu, cuda, vulkan, metal), which says which STAND row is
   * the one the server decodes with (serverMethodOn). Absent from a result of an earlier version,
   * which a restored panel may still show: read as cpu.
   */
  readonly backend?: string;
}
export const BenchmarkRequest = new RequestType<BenchmarkParams, BenchmarkResult, void>("stand/benchmark");

/** Where a check comes from: the doc comment's `@example` lines, the panel's checks box, or a test command. */
export type CheckSource = "example" | "user" | "test";

/** One thing every candidate is run against. */
export interface Check {
  readonly source: CheckSource;
  /** What runs: an expression (`isString("abc")`), an assertion, or the test command. */
  readonly code: string;
  /** Statements that run first, in the same scope (an example's `const users = […];`). */
  readonly setup?: string;
  /** The value it should give, as written after `// =>`; without one (or an output), it must not throw or give false. */
  readonly expected?: string;
  /** What it should print, as written under a doctest's `>>>` line (Python): compared with the value's repr. */
  readonly expectedOutput?: string;
  /** Its line in the problem (an example) or in the checks box, from 1. */
  readonly line?: number;
}

/** "skipped": the check could not be run at all (its expected value is prose, not code). */
export type CheckOutcome = "passed" | "failed" | "error" | "timeout" | "skipped";

export interface CheckResult {
  readonly outcome: CheckOutcome;
  /** What the candidate gave, printed as the language prints values (`false`, `'abc'`, `[ 1, 2 ]`). */
  readonly actual?: string;
  /** Why it failed, erred, timed out or was skipped; for a test command, the end of its output. */
  readonly message?: string;
}

/** A candidate's verdict: passed only when every check that ran passed. */
export type CandidateCheckStatus = "passed" | "failed" | "error" | "timeout";

export interface CandidateCheckResult {
  readonly trajectory: number;
  readonly status: CandidateCheckStatus;
  /** Checks passed, of `total` that could run (skipped ones left out). */
  readonly passed: number;
  readonly total: number;
  /** One per RunChecksResult.checks, in that order. */
  readonly results: CheckResult[];
  /** What stopped the candidate as a whole: its code does not compile, it ran out of memory or time. */
  readonly message?: string;
  readonly durationMs: number;
}

export interface RunChecksParams {
  /** The solve's problem (the selection) and the text before it: `@example` lines are read from the doc comment there. */
  readonly problem: string;
  readonly context?: string;
  /** "code": each candidate's code continues the problem; "chat": each candidate's code stands alone. */
  readonly kind?: "code" | "chat";
  readonly languageId?: string;
  /** Each candidate's code (its first code block; for a code solve, the text after the problem). */
  readonly candidates: readonly { readonly trajectory: number; readonly code: string }[];
  /** The panel's checks box: one check per line (`isString(1) // => false`, or an expression that must hold). */
  readonly userChecks?: string;
  /** A test command to run once per candidate, with the candidate in place of the selection. */
  readonly testCommand?: TestCommandCheck;
  /** Per candidate (default 2000 ms). */
  readonly timeoutMs?: number;
  /** Per candidate (default 256 MB). */
  readonly memoryMb?: number;
  /** Identifies this run's progress notifications, one per candidate as it finishes. */
  readonly progressToken?: string;
}

export interface TestCommandCheck {
  /** A shell command, run in `cwd` (`node --test test/strings.test.js`, `npm test`). */
  readonly command: string;
  readonly cwd: string;
  /** The problem's file as it is now, and where the selection is in it (offsets into `text`). */
  readonly file: { readonly path: string; readonly text: string; readonly selectionStart: number; readonly selectionEnd: number };
  /** Per candidate (default 60 s). */
  readonly timeoutMs?: number;
}

/** What kept the candidates from the rest of the machine, said plainly. */
export interface SandboxReport {
  /** Node's permission model: no file writes, no child processes, no workers. */
  readonly permissionModel: boolean;
  /** The runtime that ran the checks ("Node 20.20.2"). */
  readonly runtime: string;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly outputBytes: number;
}

export interface RunChecksResult {
  readonly checks: Check[];
  readonly candidates: CandidateCheckResult[];
  /** Candidates that gave the same results on the same checks (their code's vote when there are none); largest first. */
  readonly groups: VoteGroup[];
  /** Trajectories best first: most checks passed, then the larger group, then the earlier. */
  readonly ranking: number[];
  readonly sandbox: SandboxReport;
}
export const RunChecksRequest = new RequestType<RunChecksParams, RunChecksResult, void>("stand/runChecks");

export interface ChecksProgress {
  readonly progressToken: string;
  readonly result: CandidateCheckResult;
}
export const ChecksProgressNotification = new NotificationType<ChecksProgress>("stand/checksProgress");

// One solve at a time: sends stand/solve, routes its partial results to the panel and the status
// bar, cancels it on request, and remembers where it came from so a candidate can go back there.
// The server decides how the solve runs (its settings, its model's kind) and says so in its plan.
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import { ResponseError, type LanguageClient } from "vscode-languageclient/node";
import { panelResultOf, tokensPerStep } from "../../common/panel";
import {
  isCancelledRequest,
  SolvePartialResultType,
  SolveRequest,
  type Candidate,
  type SolveResult,
  type TrajectoryStatistics,
} from "../../common/protocol";
import type { CandidateSource } from "./applyCandidate";
import type { CandidatesView } from "./candidatesView";
import { errorMessage } from "./errorNotifications";
import type { SolveOrigin } from "./solveOrigin";
import type { LiveGeneration } from "./statusBarText";

export interface SolveInput {
  /** The selected text, or what the user typed. */
  readonly problem: string;
  /** Text before the problem in its document. */
  readonly context?: string;
  readonly languageId?: string;
  /** The editor text the problem came from, followed through edits. */
  readonly origin?: SolveOrigin;
}

/** A finished solve: its id (the panel's), what was asked and what came back. */
export interface FinishedSolve {
  readonly id: string;
  readonly input: SolveInput;
  readonly result: SolveResult;
}

interface RunningSolve {
  readonly id: string;
  readonly input: SolveInput;
  readonly cancellation: vscode.CancellationTokenSource;
  readonly startedAt: number;
  readonly statistics: Map<number, TrajectoryStatistics>;
}

/** The latest solve: running (no result yet), finished, or cancelled with the candidates so far. */
interface LatestSolve {
  readonly id: string;
  readonly input: SolveInput;
  readonly result?: SolveResult;
}

export class SolveController implements vscode.Disposable {
  private running?: RunningSolve;
  private last?: LatestSolve;
  private readonly liveChanged = new vscode.EventEmitter<LiveGeneration | undefined>();
  /** Live tokens/s and tokens per step while a solve runs; undefined when none does. */
  readonly onDidChangeLive = this.liveChanged.event;
  private readonly finished = new vscode.EventEmitter<FinishedSolve>();
  /** A solve finished (not cancelled, not failed). */
  readonly onDidFinish = this.finished.event;

  constructor(
    private readonly client: LanguageClient,
    private readonly panel: CandidatesView,
    /** The STAND output: the editor's side of a cancel, beside the server's lines. */
    private readonly log: (message: string) => void,
  ) {}

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** A candidate of the latest solve `solveId` (finished or cancelled), with where that solve came from. */
  candidate(solveId: string, trajectory: number): { readonly source: CandidateSource; readonly candidate: Candidate } | undefined {
    if (this.last?.id !== solveId || !this.last.result) return undefined;
    const candidate = this.last.result.candidates.find((c) => c.trajectory === trajectory);
    return candidate && { source: sourceOf(this.last.input, this.last.result), candidate };
  }

  /** The latest solve, once it has finished. */
  get latest(): FinishedSolve | undefined {
    const last = this.last;
    return last?.result && { id: last.id, input: last.input, result: last.result };
  }

  /** The latest solve's candidates (finished, or cancelled with candidates so far), for the "Apply Candidate…" quick pick. */
  get lastResult(): { readonly id: string; readonly result: SolveResult } | undefined {
    return this.last?.result && { id: this.last.id, result: this.last.result };
  }

  /** Resolves to the result, or undefined when the solve was cancelled (its candidates so far stay in the panel). */
  async solve(input: SolveInput): Promise<SolveResult | undefined> {
    this.cancel();
    const running: RunningSolve = {
      id: randomUUID(),
      input,
      cancellation: new vscode.CancellationTokenSource(),
      startedAt: Date.now(),
      statistics: new Map(),
    };
    if (this.last && this.last.input.origin !== input.origin) this.last.input.origin?.dispose();
    this.running = running;
    this.last = { id: running.id, input };
    void vscode.commands.executeCommand("setContext", "stand.generating", true);
    this.panel.post({ type: "solveStarted", solveId: running.id, problem: input.problem, startedAt: running.startedAt });
    void this.panel.reveal();
    const partials = this.client.onProgress(SolvePartialResultType, running.id, (partial) => {
      if (this.running !== running) return;
      if (partial.type === "planned") {
        this.panel.post({ type: "solvePlanned", solveId: running.id, plan: partial.plan });
        return;
      }
      for (const progress of partial.trajectories) running.statistics.set(progress.trajectory, progress.statistics);
      this.panel.post({ type: "solveProgress", solveId: running.id, trajectories: partial.trajectories, at: Date.now() });
      this.liveChanged.fire(liveOf(running));
    });
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "STAND: solving…" }, () =>
        this.client.sendRequest(
          SolveRequest,
          { problem: input.problem, context: input.context, languageId: input.languageId, partialResultToken: running.id },
          running.cancellation.token,
        ),
      );
      this.last = { id: running.id, input, result };
      this.panel.post({ type: "solveFinished", solveId: running.id, result: panelResultOf(result) });
      void vscode.commands.executeCommand("setContext", "stand.hasCandidates", true);
      this.finished.fire({ id: running.id, input, result });
      return result;
    } catch (error) {
      const cancelled =
        running.cancellation.token.isCancellationRequested || isCancelledRequest(error) || error instanceof vscode.CancellationError;
      if (!cancelled) {
        this.panel.post({ type: "solveFailed", solveId: running.id, message: errorMessage(error) });
        throw error;
      }
      // The server answers a cancel with the candidates so far: they can still be applied.
      const partial = error instanceof ResponseError ? solveResultOf(error.data) : undefined;
      if (partial) {
        this.last = { id: running.id, input, result: partial };
        void vscode.commands.executeCommand("setContext", "stand.hasCandidates", true);
      }
      this.panel.post({ type: "solveCancelled", solveId: running.id, result: partial && panelResultOf(partial) });
      return undefined;
    } finally {
      partials.dispose();
      if (this.running === running) {
        this.running = undefined;
        this.liveChanged.fire(undefined);
        void vscode.commands.executeCommand("setContext", "stand.generating", false);
      }
      running.cancellation.dispose();
    }
  }

  /** Solves the last problem again (new samples; the table has learned from the last ones). */
  async solveAgain(): Promise<SolveResult | undefined> {
    return this.last && this.solve(this.last.input);
  }

  /** Stops the running solve; the panel says "Cancelling…" until the server has stopped. */
  cancel(): void {
    const running = this.running;
    if (!running || running.cancellation.token.isCancellationRequested) return;
    this.log("cancelling the solve");
    running.cancellation.cancel();
    this.panel.post({ type: "solveCancelling", solveId: running.id });
  }

  dispose(): void {
    this.cancel();
    this.last?.input.origin?.dispose();
    this.liveChanged.dispose();
    this.finished.dispose();
  }
}

function sourceOf(input: SolveInput, result: SolveResult): CandidateSource {
  return { kind: result.plan.kind, problem: input.problem, origin: input.origin };
}

/** The data of a cancelled solve's error, when it is the server's partial result. */
function solveResultOf(data: unknown): SolveResult | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const { candidates, plan } = data as Partial<Record<keyof SolveResult, unknown>>;
  return Array.isArray(candidates) && typeof plan === "object" && plan !== null ? (data as SolveResult) : undefined;
}

function liveOf(running: RunningSolve): LiveGeneration {
  const all = [...running.statistics.values()];
  const tokens = all.reduce((sum, s) => sum + s.tokens, 0);
  const seconds = Math.max(0.001, (Date.now() - running.startedAt) / 1000);
  return { tokensPerSecond: tokens / seconds, tokensPerCall: tokensPerStep(all) || 1 };
}

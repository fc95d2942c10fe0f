// One solve at a time: sends stand/solve, routes its streamed progress to the panel and the status
// bar, cancels it on request, and remembers where it came from so a candidate can go back there.
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import {
  isCancelledRequest,
  SolveProgressNotification,
  SolveRequest,
  type Candidate,
  type SolveResult,
  type TrajectoryStatistics,
} from "../../common/protocol";
import type { SolveTarget } from "./applyCandidate";
import type { CandidatesView } from "./candidatesView";
import { errorMessage } from "./errorNotifications";
import { readSettings } from "./settings";
import type { LiveGeneration } from "./statusBarText";

export interface SolveInput extends SolveTarget {
  /** Text before the problem in its document, for a "code" solve. */
  readonly context?: string;
  readonly languageId?: string;
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

export class SolveController implements vscode.Disposable {
  private running?: RunningSolve;
  private last?: { readonly id: string; readonly input: SolveInput; readonly result?: SolveResult };
  private readonly liveChanged = new vscode.EventEmitter<LiveGeneration | undefined>();
  /** Live tokens/s and tokens per call while a solve runs; undefined when none does. */
  readonly onDidChangeLive = this.liveChanged.event;
  private readonly finished = new vscode.EventEmitter<FinishedSolve>();
  /** A solve finished (not cancelled, not failed). */
  readonly onDidFinish = this.finished.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly client: LanguageClient,
    private readonly panel: CandidatesView,
  ) {
    this.subscriptions.push(
      client.onNotification(SolveProgressNotification, (progress) => {
        const running = this.running;
        if (!running || progress.progressToken !== running.id) return;
        running.statistics.set(progress.trajectory, progress.statistics);
        this.panel.post({
          type: "solveProgress",
          solveId: running.id,
          trajectory: progress.trajectory,
          spans: progress.spans,
          statistics: progress.statistics,
          at: Date.now(),
        });
        this.liveChanged.fire(liveOf(running));
      }),
    );
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** The candidate of the finished solve `solveId`, with where that solve came from. */
  candidate(solveId: string, trajectory: number): { readonly target: SolveTarget; readonly candidate: Candidate } | undefined {
    if (this.last?.id !== solveId) return undefined;
    const candidate = this.last.result?.candidates.find((c) => c.trajectory === trajectory);
    return candidate && { target: this.last.input, candidate };
  }

  /** The latest solve, once it has finished. */
  get latest(): FinishedSolve | undefined {
    const last = this.last;
    return last?.result && { id: last.id, input: last.input, result: last.result };
  }

  /** The latest finished solve's candidates, for the "Apply Candidate…" quick pick. */
  get lastResult(): { readonly id: string; readonly result: SolveResult } | undefined {
    return this.last?.result && { id: this.last.id, result: this.last.result };
  }

  /** Resolves to the result, or undefined when the solve was cancelled (its candidates so far stay in the panel). */
  async solve(input: SolveInput): Promise<SolveResult | undefined> {
    this.cancel();
    const settings = readSettings().server;
    const running: RunningSolve = {
      id: randomUUID(),
      input,
      cancellation: new vscode.CancellationTokenSource(),
      startedAt: Date.now(),
      statistics: new Map(),
    };
    this.running = running;
    this.last = { id: running.id, input };
    void vscode.commands.executeCommand("setContext", "stand.generating", true);
    this.panel.post({
      type: "solveStarted",
      solveId: running.id,
      problem: input.problem,
      trajectories: settings.trajectories,
      temperature: settings.temperature,
      startedAt: running.startedAt,
    });
    void this.panel.reveal();
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `STAND: solving with ${settings.trajectories} candidates` },
        () =>
          this.client.sendRequest(
            SolveRequest,
            {
              problem: input.problem,
              kind: input.kind,
              context: input.context,
              languageId: input.languageId,
              trajectories: settings.trajectories,
              temperature: settings.temperature,
              maxTokens: settings.maxTokens,
              progressToken: running.id,
            },
            running.cancellation.token,
          ),
      );
      this.last = { id: running.id, input, result };
      this.panel.post({ type: "solveFinished", solveId: running.id, result });
      void vscode.commands.executeCommand("setContext", "stand.hasCandidates", true);
      this.finished.fire({ id: running.id, input, result });
      return result;
    } catch (error) {
      const cancelled =
        running.cancellation.token.isCancellationRequested || isCancelledRequest(error) || error instanceof vscode.CancellationError;
      const message = cancelled ? "Cancelled." : errorMessage(error);
      this.panel.post({ type: "solveFailed", solveId: running.id, message, cancelled });
      if (!cancelled) throw error;
      return undefined;
    } finally {
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

  cancel(): void {
    this.running?.cancellation.cancel();
  }

  dispose(): void {
    this.cancel();
    for (const subscription of this.subscriptions) subscription.dispose();
    this.liveChanged.dispose();
    this.finished.dispose();
  }
}

function liveOf(running: RunningSolve): LiveGeneration {
  const all = [...running.statistics.values()];
  const tokens = all.reduce((sum, s) => sum + s.tokens, 0);
  const calls = all.reduce((sum, s) => sum + s.targetCalls, 0);
  const seconds = Math.max(0.001, (Date.now() - running.startedAt) / 1000);
  return { tokensPerSecond: tokens / seconds, tokensPerCall: calls > 0 ? tokens / calls : 1 };
}

// Running a solve's candidates against checks (stand/runChecks) and putting the best one in. Checks
// run the candidates' code, so they run only in a trusted workspace and only when the user asks
// (the panel's button, STAND: Run Checks, STAND: Apply Best Candidate) or, with
// `stand.checks.run: "always"`, after each solve. Results stream into the panel per candidate.
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import { ResponseError, type LanguageClient } from "vscode-languageclient/node";
import { checksRequest } from "../../common/checks";
import { bestCandidate, userChecksFor, type ChecksAvailability, type ChecksState } from "../../common/panelChecks";
import {
  ChecksProgressNotification,
  ErrorCodes,
  isCancelledRequest,
  RunChecksRequest,
  type RunChecksResult,
  type TestCommandCheck,
} from "../../common/protocol";
import type { CandidatesView } from "./candidatesView";
import { bestCandidateNote, unavailableReason, type ChecksUnavailable } from "./checksText";
import { errorMessage } from "./errorNotifications";
import { readSettings } from "./settings";
import type { FinishedSolve, SolveController } from "./solveController";

/** Who asked: the panel's button, STAND: Run Checks, Apply Best (which says itself what came of it), or a finished solve ("always"). */
export type ChecksTrigger = "panel" | "command" | "applyBest" | "solve";

interface RunningChecks {
  readonly runId: string;
  readonly solveId: string;
  readonly cancellation: vscode.CancellationTokenSource;
  readonly done: Promise<RunChecksResult | undefined>;
}

export class ChecksController implements vscode.Disposable {
  private running?: RunningChecks;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly client: LanguageClient,
    private readonly panel: CandidatesView,
    private readonly solves: SolveController,
    /** Puts a candidate of the solve in the editor the way the panel's Replace does. */
    private readonly apply: (solveId: string, trajectory: number) => Promise<void>,
  ) {
    this.subscriptions.push(
      solves.onDidFinish((solve) => {
        this.cancel();
        if (readSettings().checks.run === "always" && vscode.workspace.isTrusted) void this.runOn(solve, "solve");
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration("stand.checks")) this.postAvailability();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.postAvailability();
      }),
    );
    this.postAvailability();
  }

  get availability(): ChecksAvailability {
    return { mode: readSettings().checks.run, trusted: vscode.workspace.isTrusted };
  }

  /** Runs the checks of the latest solve (of `solveId`, when the panel names one). */
  async run(trigger: ChecksTrigger, solveId?: string): Promise<RunChecksResult | undefined> {
    const solve = this.solveFor(solveId);
    if (!solve) return undefined;
    const reason = unavailableReason(this.availability);
    if (reason) {
      await this.explainUnavailable(reason);
      return undefined;
    }
    return this.runOn(solve, trigger);
  }

  /**
   * Applies the best-ranked candidate: by checks when they can run (running them first when the
   * latest run is not of this solve), else the largest vote group's. When no candidate passed
   * every check, says so and applies only if the user still wants the best of them.
   */
  async applyBest(solveId?: string): Promise<void> {
    const solve = this.solveFor(solveId);
    if (!solve) return;
    let checks = this.checksOf(solve.id);
    let noChecks = unavailableReason(this.availability)?.message;
    if (!noChecks && checks?.phase !== "done") {
      if (this.running?.solveId === solve.id) await this.running.done;
      else await this.runOn(solve, "applyBest");
      checks = this.checksOf(solve.id);
      if (checks?.phase === "failed") noChecks = checks.error;
    }
    const trajectories = solve.result.candidates.map((candidate) => candidate.trajectory);
    const best = bestCandidate(trajectories, checks, solve.result.groups);
    if (!best) return void vscode.window.showInformationMessage("STAND: the solve has no candidates to apply.");
    const note = bestCandidateNote(best, trajectories.length, noChecks);
    if (best.by === "checks" && !best.passed) {
      const applyAnyway = "Apply Anyway";
      const answer = await vscode.window.showWarningMessage(`STAND: ${note} Apply it anyway?`, applyAnyway);
      if (answer !== applyAnyway) return;
    }
    await this.apply(solve.id, best.trajectory);
    if (best.by === "vote" || best.passed) vscode.window.setStatusBarMessage(`STAND: ${note}`, 5000);
  }

  cancel(): void {
    this.running?.cancellation.cancel();
  }

  dispose(): void {
    this.cancel();
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private postAvailability(): void {
    this.panel.post({ type: "checksAvailability", availability: this.availability });
  }

  /** The panel's state is the one record of check results: what it shows is what Apply Best uses. */
  private checksOf(solveId: string): ChecksState | undefined {
    const solve = this.panel.current.solve;
    return solve?.id === solveId ? solve.checks : undefined;
  }

  /** The latest finished solve, when it is the one asked for; says why not otherwise. */
  private solveFor(solveId: string | undefined): FinishedSolve | undefined {
    const latest = this.solves.latest;
    if (latest && (solveId === undefined || latest.id === solveId)) return latest;
    const why = this.solves.isRunning
      ? "the solve is still running; checks run once it has finished."
      : solveId
        ? "those candidates belong to an earlier solve."
        : "there are no candidates yet. Run STAND: Solve Selection with N Candidates first.";
    void vscode.window.showInformationMessage(`STAND: ${why}`);
    return undefined;
  }

  private async explainUnavailable(reason: ChecksUnavailable): Promise<void> {
    const action = reason.kind === "untrusted" ? "Manage Workspace Trust" : "Open Settings";
    const answer = await vscode.window.showWarningMessage(`STAND: ${reason.message}`, action);
    if (answer !== action) return;
    if (reason.kind === "untrusted") await vscode.commands.executeCommand("workbench.trust.manage");
    else await vscode.commands.executeCommand("workbench.action.openSettings", "stand.checks.run");
  }

  private runOn(solve: FinishedSolve, trigger: ChecksTrigger): Promise<RunChecksResult | undefined> {
    // Checks run the candidates' code: never without trust, whoever asks.
    if (!vscode.workspace.isTrusted) return Promise.resolve(undefined);
    this.cancel();
    const runId = randomUUID();
    const cancellation = new vscode.CancellationTokenSource();
    const done = this.send(solve, runId, trigger, cancellation.token).finally(() => {
      if (this.running?.runId === runId) this.running = undefined;
      cancellation.dispose();
    });
    this.running = { runId, solveId: solve.id, cancellation, done };
    return done;
  }

  private async send(
    solve: FinishedSolve,
    runId: string,
    trigger: ChecksTrigger,
    token: vscode.CancellationToken,
  ): Promise<RunChecksResult | undefined> {
    const solveId = solve.id;
    this.panel.post({ type: "checksStarted", solveId, runId });
    if (trigger !== "solve") void this.panel.reveal();
    const progress = this.client.onNotification(ChecksProgressNotification, (update) => {
      if (update.progressToken === runId) this.panel.post({ type: "checksProgress", solveId, runId, result: update.result });
    });
    try {
      const { input } = solve;
      const params = checksRequest(input, solve.result, {
        userChecks: userChecksFor(this.panel.current.userChecks, input.problem) || undefined,
        testCommand: await testCommandFor(solve),
        progressToken: runId,
      });
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `STAND: running checks on ${solve.result.candidates.length} candidates` },
        () => this.client.sendRequest(RunChecksRequest, params, token),
      );
      this.panel.post({ type: "checksFinished", solveId, runId, result });
      return result;
    } catch (error) {
      const cancelled = token.isCancellationRequested || isCancelledRequest(error);
      const message = cancelled ? "Stopped." : errorMessage(error);
      this.panel.post({ type: "checksFailed", solveId, runId, message });
      // The panel shows why next to its button; a command gets a notification. "Nothing to check"
      // after a solve (stand.checks.run: always) is no news.
      const nothingToCheck = error instanceof ResponseError && error.code === ErrorCodes.NoChecks;
      if (!cancelled && trigger === "command") void vscode.window.showWarningMessage(`STAND: ${message}`);
      else if (!cancelled && trigger === "solve" && !nothingToCheck) void vscode.window.showWarningMessage(`STAND: checks: ${message}`);
      return undefined;
    } finally {
      progress.dispose();
    }
  }
}

/** The workspace's test command for the solve's file, with the file as it is now and where the selection is. */
async function testCommandFor(solve: FinishedSolve): Promise<TestCommandCheck | undefined> {
  const origin = solve.input.origin;
  if (!origin || origin.uri.scheme !== "file") return undefined;
  const command = readSettings(origin.uri).checks.testCommand;
  const folder = vscode.workspace.getWorkspaceFolder(origin.uri);
  if (!command || !folder) return undefined;
  const document = await vscode.workspace.openTextDocument(origin.uri);
  // Where the solved text is now: edits made since the solve moved it.
  const { range } = origin.locate(document);
  return {
    command,
    cwd: folder.uri.fsPath,
    file: {
      path: origin.uri.fsPath,
      text: document.getText(),
      selectionStart: document.offsetAt(range.start),
      selectionEnd: document.offsetAt(range.end),
    },
  };
}

// STAND's VS Code client. It stays thin: the language server owns the model and the engine; this
// side starts it, turns commands and panel buttons into requests, and shows what comes back.
import * as vscode from "vscode";
import { applicableText, type FromPanel } from "../../common/panel";
import type { UserChecks } from "../../common/panelChecks";
import {
  AcceptedCompletionNotification,
  StatusNotification,
  StatusRequest,
  type ServerStatus,
  type SolveResult,
} from "../../common/protocol";
import { applyCandidate, CandidatePreviews } from "./applyCandidate";
import { runBenchmark } from "./benchmarkCommand";
import { CandidatesView } from "./candidatesView";
import { ChecksController } from "./checksController";
import { DemoModelNotice } from "./demoModelNotice";
import { errorMessage, showError } from "./errorNotifications";
import { ACCEPTED_COMMAND, inlineCompletionMiddleware } from "./inlineCompletions";
import { InlineStatus } from "./inlineStatus";
import { selectModel } from "./modelPicker";
import { ServerClient } from "./serverClient";
import { SECTION } from "./settings";
import { SolveController, type SolveInput } from "./solveController";
import { SolveOrigin } from "./solveOrigin";
import { StatusBar } from "./statusBar";
import { reportVisits } from "./visits";

/** Where the checks box's text per problem is kept (workspace state). */
const USER_CHECKS_KEY = "stand.userChecks";

/** How much of the document before a selection a solve sends as context. */
const CONTEXT_CHARACTERS = 4000;

let server: ServerClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("STAND", { log: true });
  server = new ServerClient(context, output, inlineCompletionMiddleware());
  const client = server.client;
  const statusBar = new StatusBar();
  const panel = new CandidatesView(context.extensionUri);
  const solves = new SolveController(client, panel, (message) => {
    output.info(message);
  });
  const previews = new CandidatePreviews();
  const demoNotice = new DemoModelNotice(context.globalState);
  let status: ServerStatus | undefined;
  // The checks box's text per problem outlives the window.
  for (const [problem, checks] of context.workspaceState.get<UserChecks>(USER_CHECKS_KEY, []))
    panel.remember({ type: "userChecksEdited", problem, checks });

  const onStatus = (next: ServerStatus): void => {
    statusBar.setStatus(next);
    panel.post({ type: "status", status: next });
    // A model that fails to load at start or after a settings change.
    if (next.error && next.error.message !== status?.error?.message) showError(next.error.message);
    demoNotice.onStatus(next);
    status = next;
  };

  const reportFailure = (error: unknown): undefined => {
    showError(errorMessage(error));
    return undefined;
  };
  // Commands resolve to the result, so other extensions and the integration tests can use it.
  const solve = (input: SolveInput): Promise<SolveResult | undefined> => solves.solve(input).catch(reportFailure);
  const solveProblem = async (): Promise<SolveResult | undefined> => {
    const problem = await vscode.window.showInputBox({
      title: "STAND: Solve a Problem",
      prompt: "Describe the problem, or paste code to continue.",
      ignoreFocusOut: true,
    });
    if (!problem?.trim()) return undefined;
    // The answer goes to the editor's selection (or cursor) as it was when the problem was asked.
    const editor = vscode.window.activeTextEditor;
    return solve({
      problem,
      languageId: editor?.document.languageId,
      origin: editor && new SolveOrigin(editor.document.uri, editor.document, editor.selection),
    });
  };

  const onPanelMessage = async (message: FromPanel): Promise<void> => {
    switch (message.type) {
      case "apply":
      case "copy": {
        const found = solves.candidate(message.solveId, message.trajectory);
        if (!found) return void vscode.window.showWarningMessage("STAND: that candidate belongs to an earlier solve.");
        if (message.type === "copy") {
          await vscode.env.clipboard.writeText(applicableText(found.candidate));
          vscode.window.setStatusBarMessage("STAND: candidate copied", 2000);
        } else {
          await applyCandidate(found.source, found.candidate, message.mode, previews);
        }
        return;
      }
      case "cancel":
        solves.cancel();
        return;
      case "solveAgain":
        void solves.solveAgain().catch(reportFailure);
        return;
      case "runBenchmark":
        return runBenchmark(client, panel);
      case "runChecks":
        await checks.run("panel", message.solveId);
        return;
      case "applyBest":
        return checks.applyBest(message.solveId);
      case "userChecksEdited":
        panel.remember(message);
        await context.workspaceState.update(USER_CHECKS_KEY, panel.current.userChecks);
        return;
      case "ready":
      case "rendered":
        return;
    }
  };
  const checks = new ChecksController(client, panel, solves, (solveId, trajectory) =>
    onPanelMessage({ type: "apply", solveId, trajectory, mode: "replace" }),
  );

  context.subscriptions.push(
    output,
    statusBar,
    new InlineStatus(),
    reportVisits(client),
    panel,
    solves,
    checks,
    previews,
    vscode.window.registerWebviewViewProvider(CandidatesView.viewType, panel),
    panel.onDidReceiveMessage((message) => void onPanelMessage(message)),
    server.onDidChangeConnection((state) => {
      statusBar.setConnection(state);
    }),
    solves.onDidChangeLive((live) => {
      statusBar.setLive(live);
    }),
    client.onNotification(StatusNotification, onStatus),

    vscode.commands.registerCommand("stand.solveSelection", async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.selection.isEmpty) return solveProblem();
      const document = editor.document;
      const before = document.getText(new vscode.Range(new vscode.Position(0, 0), editor.selection.start));
      return solve({
        problem: document.getText(editor.selection),
        context: before.slice(-CONTEXT_CHARACTERS),
        languageId: document.languageId,
        origin: new SolveOrigin(document.uri, document, editor.selection),
      });
    }),
    vscode.commands.registerCommand("stand.solveProblem", solveProblem),
    vscode.commands.registerCommand("stand.showPanel", () => panel.reveal()),
    vscode.commands.registerCommand("stand.selectModel", () => selectModel(client)),
    vscode.commands.registerCommand("stand.toggleInlineCompletions", async () => {
      const configuration = vscode.workspace.getConfiguration(SECTION);
      const enabled = !configuration.get<boolean>("inline.enabled", true);
      await configuration.update("inline.enabled", enabled, vscode.ConfigurationTarget.Global);
      vscode.window.setStatusBarMessage(`STAND: inline completions ${enabled ? "on" : "off"}`, 3000);
    }),
    vscode.commands.registerCommand("stand.runBenchmark", () => runBenchmark(client, panel)),
    vscode.commands.registerCommand("stand.applyCandidate", async () => {
      const last = solves.lastResult;
      if (!last)
        return void vscode.window.showInformationMessage(
          "STAND: there are no candidates yet. Run STAND: Solve Selection with N Candidates first.",
        );
      const candidate = await vscode.window.showQuickPick(
        last.result.candidates.map((c) => ({
          label: `Candidate ${c.trajectory + 1}`,
          description: `${String(last.result.groups[c.group]?.members.length ?? 1)} of ${String(last.result.candidates.length)} agree · ${c.finishReason}`,
          detail: applicableText(c).trim().split("\n")[0],
          trajectory: c.trajectory,
        })),
        { title: "STAND: Apply Candidate", placeHolder: "Which candidate?" },
      );
      if (!candidate) return;
      const mode = await vscode.window.showQuickPick(
        [
          { label: "Insert after the text it was solved from", mode: "insert" as const },
          { label: "Replace the text it was solved from", mode: "replace" as const },
          { label: "Open a diff", mode: "diff" as const },
        ],
        { title: `STAND: Apply Candidate ${candidate.trajectory + 1}` },
      );
      if (mode) await onPanelMessage({ type: "apply", solveId: last.id, trajectory: candidate.trajectory, mode: mode.mode });
    }),
    vscode.commands.registerCommand("stand.runChecks", () => checks.run("command")),
    vscode.commands.registerCommand("stand.applyBest", () => checks.applyBest()),
    vscode.commands.registerCommand("stand.cancel", () => {
      solves.cancel();
    }),
    vscode.commands.registerCommand("stand.restartServer", () => server?.restart()),
    vscode.commands.registerCommand("stand.showLog", () => {
      output.show();
    }),
    vscode.commands.registerCommand(ACCEPTED_COMMAND, (text: string, document: vscode.TextDocument) => {
      if (!client.isRunning()) return;
      // The command runs after the insertion: the cursor is where the next completion will be asked for.
      const editor = vscode.window.activeTextEditor;
      const at = editor?.document === document ? editor.selection.active : undefined;
      void client.sendNotification(AcceptedCompletionNotification, {
        text,
        languageId: document.languageId,
        uri: client.code2ProtocolConverter.asUri(document.uri),
        version: document.version,
        position: at && { line: at.line, character: at.character },
      });
    }),
  );

  await server.start();
  onStatus(await client.sendRequest(StatusRequest));
}

export async function deactivate(): Promise<void> {
  await server?.dispose();
  server = undefined;
}

// "Run Benchmark": the server's own benchmark (the same code as `npm run bench`) on the selection,
// or on a small bundled prompt, shown as charts in the panel.
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { BenchmarkRequest } from "../../common/protocol";
import type { CandidatesView } from "./candidatesView";
import { readSettings } from "./settings";
import { errorMessage, showError } from "./errorNotifications";

const DEFAULT_PROMPT = "/** Returns the n-th Fibonacci number. */\nfunction fibonacci(n) {\n";

export async function runBenchmark(client: LanguageClient, panel: CandidatesView): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : "";
  const settings = readSettings().server;
  panel.post({ type: "benchmarkStarted", startedAt: Date.now() });
  void panel.reveal();
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "STAND: benchmarking against plain decoding…" },
      () =>
        client.sendRequest(BenchmarkRequest, {
          prompt: selected || DEFAULT_PROMPT,
          kind: "code",
          trajectories: [settings.trajectories],
          temperatures: [settings.temperature],
          maxTokens: 64,
        }),
    );
    panel.post({ type: "benchmarkFinished", result });
  } catch (error) {
    panel.post({ type: "benchmarkFailed", message: errorMessage(error) });
    showError(`The benchmark failed: ${errorMessage(error)}`);
  }
}

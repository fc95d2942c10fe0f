// Error notifications with the two ways out (choose another model, read the log). A failed model
// load reaches the extension twice — as the request's error and in the server's status — so the
// same message shown a moment ago is not shown again.
import * as vscode from "vscode";

const REPEAT_AFTER_MS = 10_000;
let lastShown: { readonly message: string; readonly at: number } | undefined;

export function showError(message: string): void {
  const now = Date.now();
  if (lastShown?.message === message && now - lastShown.at < REPEAT_AFTER_MS) return;
  lastShown = { message, at: now };
  void vscode.window.showErrorMessage(`STAND: ${message}`, "Select Model…", "Show Log").then((action) => {
    if (action === "Select Model…") void vscode.commands.executeCommand("stand.selectModel");
    if (action === "Show Log") void vscode.commands.executeCommand("stand.showLog");
  });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

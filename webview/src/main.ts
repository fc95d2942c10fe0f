// The candidates panel's script. It runs inside the webview's browser sandbox and talks to the
// extension only through postMessage. For now it announces that it is ready; the panel itself
// comes with the extension work.
declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

const vscode = acquireVsCodeApi();
vscode.postMessage({ type: "ready" });

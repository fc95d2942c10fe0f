// What the status bar item says, from the server's status and the running generation. No VS Code
// import: unit-tested.
import type { ServerStatus } from "../../common/protocol";

export interface LiveGeneration {
  readonly tokensPerSecond: number;
  readonly tokensPerCall: number;
}

export type ConnectionState =
  | { readonly kind: "starting" }
  | { readonly kind: "running" }
  | { readonly kind: "restarting"; readonly inSeconds: number }
  | { readonly kind: "stopped" };

export interface StatusBarContent {
  readonly text: string;
  readonly tooltip: string;
  readonly error: boolean;
}

/** What the demo model is, wherever the editor names it. */
export const DEMO_MODEL_NOTE =
  "The built-in model is a 5.8M-parameter demo: it shows how STAND works, but the code it writes is not meant to be correct. Run STAND: Select Model… for a real model.";

export function statusBarContent(
  connection: ConnectionState,
  status: ServerStatus | undefined,
  live: LiveGeneration | undefined,
): StatusBarContent {
  if (connection.kind === "starting")
    return { text: "$(loading~spin) STAND", tooltip: "STAND: starting the language server…", error: false };
  if (connection.kind === "restarting") {
    return {
      text: `$(debug-disconnect) STAND: restarting in ${connection.inSeconds} s`,
      tooltip: "The STAND language server stopped; it restarts by itself. See the STAND output for why.",
      error: true,
    };
  }
  if (connection.kind === "stopped") {
    return {
      text: "$(error) STAND: server stopped",
      tooltip: "The STAND language server kept crashing. Run STAND: Restart Language Server after fixing the cause (see the STAND output).",
      error: true,
    };
  }
  if (!status || status.state === "idle")
    return { text: "$(loading~spin) STAND", tooltip: "STAND: waiting for the language server…", error: false };
  if (status.state === "loading")
    return { text: "$(loading~spin) STAND: loading model…", tooltip: "STAND: loading the model.", error: false };
  const model = status.model;
  if (!model)
    return {
      text: "$(error) STAND: no model",
      tooltip: `STAND: ${status.error?.message ?? "no model is loaded."} Click to choose one.`,
      error: true,
    };
  const name = model.name.replace(/\.gguf$/i, "") + (model.embedded ? " (demo)" : "");
  const backend = model.backend === "cpu" ? "CPU" : model.backend.toUpperCase();
  const tooltip = [
    `STAND — ${model.name} on ${backend}${model.devices.length ? ` (${model.devices.join(", ")})` : ""}, ${model.threads} thread(s)`,
    model.embedded ? DEMO_MODEL_NOTE : undefined,
    model.fallbackReason ? `GPU not used: ${model.fallbackReason}` : undefined,
    status.error ? `Last model error: ${status.error.message}` : undefined,
    `n-gram table: ${status.table.entries.toLocaleString("en-US")} entries`,
    "Click to show the candidates panel.",
  ]
    .filter(Boolean)
    .join("\n");
  if (live) {
    return {
      text: `$(sync~spin) ${name} · ${live.tokensPerSecond.toFixed(0)} tok/s · ${live.tokensPerCall.toFixed(2)} tok/step`,
      tooltip,
      error: false,
    };
  }
  return { text: `$(sparkle) ${name} · ${backend}`, tooltip, error: false };
}

/** The inline completions item: on or off (everywhere, or for the active editor's language). */
export function inlineStatusContent(
  enabled: boolean,
  languageId: string | undefined,
  disabledLanguages: readonly string[],
): StatusBarContent {
  if (!enabled)
    return {
      text: "$(circle-slash) Inline",
      tooltip: "STAND inline completions are off. Click to turn them on.",
      error: false,
    };
  if (languageId !== undefined && disabledLanguages.includes(languageId))
    return {
      text: "$(circle-slash) Inline",
      tooltip: `STAND inline completions are off for ${languageId} (stand.inline.disabledLanguages). Click to turn them off everywhere.`,
      error: false,
    };
  return {
    text: "$(check) Inline",
    tooltip: "STAND inline completions are on: Alt+] and Alt+[ cycle through the candidates. Click to turn them off.",
    error: false,
  };
}

// The webview's only bridge to the extension: acquireVsCodeApi(), typed with the panel contract.
import type { FromPanel, PanelState } from "../../common/panel";

interface WebviewApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): unknown;
}

declare function acquireVsCodeApi(): WebviewApi;

export interface PanelBridge {
  post(message: FromPanel): void;
  /** What setState saved before the view was hidden or reloaded, if it looks like a panel state. */
  restore(): PanelState | undefined;
  save(state: PanelState): void;
}

/** acquireVsCodeApi may be called only once per page. */
export function connectBridge(): PanelBridge {
  const api = acquireVsCodeApi();
  return {
    post: (message) => {
      api.postMessage(message);
    },
    restore: () => {
      const saved = api.getState();
      return isPanelState(saved) ? saved : undefined;
    },
    save: (state) => {
      api.setState(state);
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A shallow check: enough to refuse what an older or foreign version of the panel saved. */
export function isPanelState(value: unknown): value is PanelState {
  if (!isObject(value)) return false;
  const { solve, benchmark, status } = value;
  if (solve !== undefined) {
    if (!isObject(solve) || typeof solve.id !== "string" || !Array.isArray(solve.cards) || !Array.isArray(solve.throughput)) return false;
  }
  if (benchmark !== undefined && (!isObject(benchmark) || typeof benchmark.phase !== "string")) return false;
  if (status !== undefined && (!isObject(status) || typeof status.state !== "string")) return false;
  return true;
}

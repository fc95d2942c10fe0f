// Messages arriving from the extension: checked before they reach the reducer, since any script
// in the page (or a stale extension) could post something else.
import type { ToPanel } from "../../common/panel";

const TYPES = new Set<string>([
  "snapshot",
  "status",
  "solveStarted",
  "solveProgress",
  "solveFinished",
  "solveFailed",
  "benchmarkStarted",
  "benchmarkFinished",
  "benchmarkFailed",
  "checksStarted",
  "checksProgress",
  "checksFinished",
  "checksFailed",
  "checksAvailability",
]);

export function isToPanel(data: unknown): data is ToPanel {
  if (typeof data !== "object" || data === null) return false;
  const type = (data as { type?: unknown }).type;
  return typeof type === "string" && TYPES.has(type);
}

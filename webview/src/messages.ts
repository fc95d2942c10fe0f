// Messages arriving from the extension: checked before they reach the reducer, since any script
// in the page (or a stale extension) could post something else.
import type { ToPanel } from "../../common/panel";

const EVENT_TYPES = new Set<string>([
  "status",
  "solveStarted",
  "solvePlanned",
  "solveProgress",
  "solveCancelling",
  "solveFinished",
  "solveCancelled",
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

function typeOf(data: unknown): unknown {
  return typeof data === "object" && data !== null ? (data as { type?: unknown }).type : undefined;
}

export function isToPanel(data: unknown): data is ToPanel {
  const type = typeOf(data);
  if (type === "snapshot") return typeof (data as { state?: unknown }).state === "object";
  if (type !== "events") return false;
  const events = (data as { events?: unknown }).events;
  return Array.isArray(events) && events.every((event) => EVENT_TYPES.has(String(typeOf(event))));
}

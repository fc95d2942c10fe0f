// Streamed text as spans of one origin each: both the server (batching progress) and the panel
// (folding it) append spans the same way, so adjacent spans of one origin are always merged.
import type { Span } from "./protocol";

/** Appends a span to `spans` in place, merging it into the last one when they share an origin. */
export function appendSpan(spans: Span[], span: Span): void {
  if (!span.text) return;
  const last = spans[spans.length - 1];
  if (last?.origin === span.origin) spans[spans.length - 1] = { origin: span.origin, text: last.text + span.text };
  else spans.push(span);
}

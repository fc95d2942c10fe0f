// The streamed text of one candidate, marked by provenance: span.span-draft for accepted STAND
// draft tokens, span.span-model for tokens the model sampled. Updated incrementally: the reducer
// only ever appends (growing the last span when the origin repeats), so a frame appends the new
// characters instead of rebuilding the text.
import type { Span } from "../../common/protocol";
import { h } from "./dom";

function spanElement(span: Span): HTMLSpanElement {
  return h("span", { class: span.origin === "draft" ? "span-draft" : "span-model" }, span.text);
}

/** Whether `next` is `previous` with text appended (to the last span and/or as new spans). */
function extends_(previous: readonly Span[], next: readonly Span[]): boolean {
  if (next.length < previous.length) return false;
  const last = previous.length - 1;
  for (let index = 0; index < last; index++) {
    const a = previous[index]!;
    const b = next[index]!;
    if (a !== b && (a.text !== b.text || a.origin !== b.origin)) return false;
  }
  if (last < 0) return true;
  const a = previous[last]!;
  const b = next[last]!;
  return a === b || (a.origin === b.origin && b.text.startsWith(a.text));
}

export class SpanText {
  /** `code.candidate-text`: its text content is exactly the concatenated spans. */
  readonly element: HTMLElement = h("code", { class: "candidate-text" });
  private rendered: readonly Span[] = [];

  update(spans: readonly Span[]): void {
    if (spans === this.rendered) return;
    if (!extends_(this.rendered, spans)) {
      this.element.replaceChildren(...spans.map(spanElement));
      this.rendered = spans;
      return;
    }
    const previous = this.rendered;
    const last = previous.length - 1;
    if (last >= 0 && previous[last]!.text !== spans[last]!.text) {
      const node = this.element.lastElementChild;
      const added = spans[last]!.text.slice(previous[last]!.text.length);
      if (node?.firstChild instanceof Text) node.firstChild.appendData(added);
      else node?.append(added);
    }
    if (spans.length > previous.length) this.element.append(...spans.slice(previous.length).map(spanElement));
    this.rendered = spans;
  }
}

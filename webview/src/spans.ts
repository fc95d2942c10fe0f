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
  const last = previous.length - 1;
  return previous.every((a, index) => {
    const b = next[index];
    if (b === undefined) return false;
    if (a === b) return true;
    return a.origin === b.origin && (index === last ? b.text.startsWith(a.text) : a.text === b.text);
  });
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
    const lastBefore = previous.at(-1);
    const lastNow = spans[previous.length - 1];
    if (lastBefore && lastNow && lastBefore.text !== lastNow.text) {
      const node = this.element.lastElementChild;
      const added = lastNow.text.slice(lastBefore.text.length);
      if (node?.firstChild instanceof Text) node.firstChild.appendData(added);
      else node?.append(added);
    }
    if (spans.length > previous.length) this.element.append(...spans.slice(previous.length).map(spanElement));
    this.rendered = spans;
  }
}

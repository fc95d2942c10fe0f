// A card's text: one text, in the editor's font, with the provenance of every token marked. While
// it streams, only its last lines are in the DOM (the card shows the end anyway), so a card costs
// the same at 40 tokens and at 4,000. Finished, it shows its first lines with syntax highlighting
// and "Show all N lines" for the rest; a reasoning model's thinking sits collapsed above the
// answer; and when Insert, Replace and Copy use only part of it (a code block), that part is
// marked and the rest dimmed, so what is applied is what the card shows.
import type { Candidate, Span } from "../../common/protocol";
import { h, setAttribute, setText } from "./dom";
import { plural } from "./format";
import { highlightMarks, highlights } from "./highlight";
import { lineCount, lineStart, pieces, provenanceMarks, tailStart, type Mark, type Piece } from "./textMarks";

/** Lines of a streaming card in the DOM: about what its box shows. */
export const STREAM_LINES = 16;
/** Lines of a finished card before "Show all". */
export const FINISHED_LINES = 40;

const APPLIED_WHAT: Record<Candidate["applied"]["kind"], string> = {
  code: "code",
  "code block": "code block",
  answer: "answer",
};

export class CandidateTextView {
  readonly element: HTMLElement;
  private readonly thinking: HTMLDetailsElement;
  private readonly thinkingSummary: HTMLElement;
  private readonly thinkingCode: HTMLElement;
  private readonly note: HTMLElement;
  private readonly earlier: HTMLElement;
  private readonly output: HTMLPreElement;
  private readonly code: HTMLElement;
  private readonly showAll: HTMLElement;
  private renderedSpans?: readonly Span[];
  private renderedCandidate?: Candidate;
  private lastSpans: readonly Span[] = [];
  private lastCandidate?: Candidate;
  /** The user asked for every line of the finished text. */
  private expanded = false;

  constructor() {
    this.thinkingSummary = h("span", {});
    this.thinkingCode = h("code", { class: "thinking-text" });
    this.thinking = h(
      "details",
      { class: "thinking", hidden: true },
      h("summary", {}, h("span", { class: "codicon codicon-lightbulb", "aria-hidden": "true" }), " ", this.thinkingSummary),
      h("pre", { class: "candidate-output" }, this.thinkingCode),
    );
    this.note = h("p", { class: "applied-note", hidden: true });
    this.earlier = h("span", { class: "earlier-lines", hidden: true });
    this.code = h("code", { class: "candidate-text" });
    this.output = h("pre", { class: "candidate-output" }, this.earlier, this.code);
    this.showAll = h("vscode-button", { class: "show-all", secondary: true, hidden: true, "data-local": "show-all" });
    this.showAll.addEventListener("click", () => {
      this.expanded = true;
      this.renderedCandidate = undefined;
      this.update(this.lastSpans, this.lastCandidate);
    });
    this.element = h("div", { class: "card-text" }, this.thinking, this.note, this.output, this.showAll);
  }

  update(spans: readonly Span[], candidate: Candidate | undefined): void {
    this.lastSpans = spans;
    this.lastCandidate = candidate;
    if (candidate) {
      if (candidate === this.renderedCandidate) return;
      this.renderedCandidate = candidate;
      this.renderedSpans = spans;
      this.renderFinished(spans, candidate);
      return;
    }
    if (spans === this.renderedSpans && this.renderedCandidate === undefined) return;
    this.renderedCandidate = undefined;
    this.renderedSpans = spans;
    this.renderStreaming(spans);
  }

  /** The last STREAM_LINES lines, provenance only; earlier lines are counted, not drawn. */
  private renderStreaming(spans: readonly Span[]): void {
    const text = spans.map((span) => span.text).join("");
    const from = tailStart(text, STREAM_LINES);
    const hiddenLines = from > 0 ? lineCount(text.slice(0, from)) - 1 : 0;
    setText(this.earlier, hiddenLines > 0 ? `… ${plural(hiddenLines, "earlier line")}\n` : "");
    setAttribute(this.earlier, "hidden", hiddenLines === 0);
    this.code.replaceChildren(...pieces(text, from, text.length, [provenanceMarks(spans)]).map(pieceElement));
    this.output.scrollTop = this.output.scrollHeight;
    setAttribute(this.thinking, "hidden", true);
    setAttribute(this.note, "hidden", true);
    setAttribute(this.showAll, "hidden", true);
  }

  private renderFinished(spans: readonly Span[], candidate: Candidate): void {
    const text = candidate.text;
    // The streamed spans are the candidate's text; a state restored from elsewhere may lack them.
    const provenance =
      spans.map((span) => span.text).join("") === text ? provenanceMarks(spans) : [{ from: 0, to: text.length, classes: "span-model" }];
    const answerStart = candidate.thinking !== undefined ? candidate.answerStart : 0;

    setAttribute(this.thinking, "hidden", answerStart === 0);
    if (answerStart > 0) {
      setText(this.thinkingSummary, `Thinking (${plural(lineCount(text.slice(0, answerStart).trimEnd()), "line")})`);
      this.thinkingCode.replaceChildren(...pieces(text, 0, answerStart, [provenance]).map(pieceElement));
    }

    const { applied } = candidate;
    const whole = applied.start <= answerStart && text.slice(applied.end).trim() === "";
    const layers: Mark[][] = [provenance];
    if (applied.kind !== "answer" && highlights(applied.language))
      layers.push(highlightMarks(text.slice(applied.start, applied.end), applied.language, applied.start));
    if (!whole)
      layers.push([
        { from: 0, to: applied.start, classes: "not-applied" },
        { from: applied.start, to: applied.end, classes: "applied" },
        { from: applied.end, to: text.length, classes: "not-applied" },
      ]);

    const answer = text.slice(answerStart);
    const total = lineCount(answer);
    const shown = this.expanded ? total : Math.min(total, FINISHED_LINES);
    const end = this.expanded ? text.length : answerStart + lineStart(answer, shown) - (shown < total ? 1 : 0);
    this.code.replaceChildren(...pieces(text, answerStart, Math.max(answerStart, end), layers).map(pieceElement));
    setAttribute(this.earlier, "hidden", true);
    setText(this.showAll, `Show all ${plural(total, "line")}`);
    setAttribute(this.showAll, "hidden", shown >= total);

    if (whole) {
      setAttribute(this.note, "hidden", true);
    } else {
      const first = lineCount(text.slice(answerStart, applied.start));
      const last = first + lineCount(text.slice(applied.start, applied.end)) - 1;
      setText(
        this.note,
        `Insert, Replace and Copy use the marked ${APPLIED_WHAT[applied.kind]} (${first === last ? `line ${first}` : `lines ${first}–${last}`}); the dimmed text is not applied.`,
      );
      setAttribute(this.note, "hidden", false);
    }
  }
}

function pieceElement(piece: Piece): HTMLElement | Text {
  return piece.classes ? h("span", { class: piece.classes }, piece.text) : document.createTextNode(piece.text);
}

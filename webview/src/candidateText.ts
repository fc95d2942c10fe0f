// A card's text: one text, in the editor's font, with the provenance of every token marked. While
// it streams, only its last lines are in the DOM (the card shows the end anyway), so a card costs
// the same at 40 tokens and at 4,000. Finished, it shows its first lines with syntax highlighting
// and "Show all N lines" for the rest; a reasoning model's thinking sits collapsed above the
// answer; and when Insert, Replace and Copy use only part of it (a code block), that part is
// marked and the rest dimmed, so what is applied is what the card shows. A card far from the view
// is not drawn at all until it comes near (setVisible): 16 cards cost what the visible ones cost.
import type { CardCandidate } from "../../common/panel";
import type { Span } from "../../common/protocol";
import { h, setAttribute, setText } from "./dom";
import { plural } from "./format";
import { highlightMarks, highlights } from "./highlight";
import { lineCount, lineStart, pieces, provenanceMarks, tailStart, type Mark, type Piece } from "./textMarks";

/** Lines (and at most characters, for long lines) of a streaming card in the DOM: about what its box shows. */
export const STREAM_LINES = 16;
export const STREAM_CHARACTERS = 1500;
/** Lines (and at most characters) of a finished card before "Show all". */
export const FINISHED_LINES = 40;
export const FINISHED_CHARACTERS = 4000;

const APPLIED_WHAT: Record<CardCandidate["applied"]["kind"], string> = {
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
  private renderedCandidate?: CardCandidate;
  private lastSpans: readonly Span[] = [];
  private lastCandidate?: CardCandidate;
  private lastAnswerStart?: number;
  /** The user asked for every line of the finished text. */
  private expanded = false;
  /** Near the view (until the panel's observer says otherwise, every card is). */
  private visible = true;

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
      this.update(this.lastSpans, this.lastCandidate, this.lastAnswerStart);
    });
    this.element = h("div", { class: "card-text" }, this.thinking, this.note, this.output, this.showAll);
  }

  /** The card came near the view or left it; coming near draws what changed meanwhile. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) this.update(this.lastSpans, this.lastCandidate, this.lastAnswerStart);
  }

  /** `streamingAnswerStart`: where the streamed text's answer starts after a thinking segment (see CardState.answerStart). */
  update(spans: readonly Span[], candidate: CardCandidate | undefined, streamingAnswerStart?: number): void {
    this.lastSpans = spans;
    this.lastCandidate = candidate;
    this.lastAnswerStart = streamingAnswerStart;
    if (!this.visible) return;
    if (candidate) {
      if (candidate === this.renderedCandidate) return;
      this.renderedCandidate = candidate;
      this.renderedSpans = spans;
      this.renderFinished(spans, candidate);
      setAttribute(this.element, "data-drawn", "finished");
      return;
    }
    if (spans === this.renderedSpans && this.renderedCandidate === undefined) return;
    this.renderedCandidate = undefined;
    this.renderedSpans = spans;
    this.renderStreaming(spans, streamingAnswerStart ?? 0);
    setAttribute(this.element, "data-drawn", "streaming");
  }

  /**
   * The answer's last STREAM_LINES lines, provenance only; earlier lines are counted, not drawn. A
   * thinking segment streams into its collapsed section, its last lines likewise.
   */
  private renderStreaming(spans: readonly Span[], streamingAnswerStart: number): void {
    const text = spans.map((span) => span.text).join("");
    const provenance = provenanceMarks(spans);
    const answerStart = Math.min(streamingAnswerStart, text.length);
    const from = Math.max(answerStart, tailStart(text, STREAM_LINES), text.length - STREAM_CHARACTERS);
    const hiddenLines = from > answerStart ? lineCount(text.slice(answerStart, from)) - 1 : 0;
    setText(this.earlier, hiddenLines > 0 ? `… ${plural(hiddenLines, "earlier line")}\n` : "");
    setAttribute(this.earlier, "hidden", hiddenLines === 0);
    // No scrolling (reading a scroll height forces a layout per card per frame): the streaming box
    // holds about what it shows, and its CSS keeps the end in view.
    this.code.replaceChildren(...pieces(text, from, text.length, [provenance]).map(pieceElement));
    this.renderStreamingThinking(text, answerStart, provenance);
    setAttribute(this.note, "hidden", true);
    setAttribute(this.showAll, "hidden", true);
  }

  /** The thinking so far (the text before the answer): "Thinking…" while it lasts, its line count once it has closed. */
  private renderStreamingThinking(text: string, answerStart: number, provenance: readonly Mark[]): void {
    setAttribute(this.thinking, "hidden", answerStart === 0);
    if (answerStart === 0) return;
    const thinking = text.slice(0, answerStart);
    const open = answerStart === text.length;
    setText(this.thinkingSummary, open ? "Thinking…" : `Thinking (${plural(lineCount(thinking.trimEnd()), "line")})`);
    const from = Math.max(tailStart(thinking, STREAM_LINES), answerStart - STREAM_CHARACTERS);
    this.thinkingCode.replaceChildren(...pieces(text, from, answerStart, [provenance]).map(pieceElement));
  }

  private renderFinished(spans: readonly Span[], candidate: CardCandidate): void {
    const text = candidate.text;
    // The streamed spans are the candidate's text; a state restored from elsewhere may lack them.
    const provenance =
      spans.map((span) => span.text).join("") === text ? provenanceMarks(spans) : [{ from: 0, to: text.length, classes: "span-model" }];
    // A thinking segment is the text before the answer.
    const answerStart = candidate.answerStart;

    setAttribute(this.thinking, "hidden", answerStart === 0);
    if (answerStart > 0) {
      setText(this.thinkingSummary, `Thinking (${plural(lineCount(text.slice(0, answerStart).trimEnd()), "line")})`);
      this.thinkingCode.replaceChildren(...pieces(text, 0, answerStart, [provenance]).map(pieceElement));
    }

    const answer = text.slice(answerStart);
    const total = lineCount(answer);
    // The first lines only (a bounded DOM), unless the user asked for all of them.
    const end = this.expanded
      ? text.length
      : Math.min(answerStart + lineStart(answer, FINISHED_LINES), answerStart + FINISHED_CHARACTERS, text.length);
    const cut = end < text.length && text.slice(end).trim() !== "";

    const { applied } = candidate;
    const whole = applied.start <= answerStart && text.slice(applied.end).trim() === "";
    const layers: Mark[][] = [provenance];
    // Highlighting parses only what is shown.
    const highlightEnd = Math.min(applied.end, end);
    if (applied.kind !== "answer" && highlights(applied.language) && highlightEnd > applied.start)
      layers.push(highlightMarks(text.slice(applied.start, highlightEnd), applied.language, applied.start));
    if (!whole)
      layers.push([
        { from: 0, to: applied.start, classes: "not-applied" },
        { from: applied.start, to: applied.end, classes: "applied" },
        { from: applied.end, to: text.length, classes: "not-applied" },
      ]);

    this.code.replaceChildren(...pieces(text, answerStart, Math.max(answerStart, cut ? end : text.length), layers).map(pieceElement));
    setAttribute(this.earlier, "hidden", true);
    const shownLines = lineCount(text.slice(answerStart, end));
    setText(this.showAll, total > shownLines ? `Show all ${plural(total, "line")}` : `Show all ${plural(answer.length, "character")}`);
    setAttribute(this.showAll, "hidden", !cut);

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

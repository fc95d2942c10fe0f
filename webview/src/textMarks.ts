// A card's text as pieces, each with the classes of every layer of marks covering it: where the
// tokens came from (draft or model), syntax highlighting, and whether the piece is applied. Pure
// (no DOM): the card turns pieces into spans, the tests check them directly.
import type { Span } from "../../common/protocol";

/** Characters [from, to) of the text, with classes. Each layer's marks are sorted and disjoint. */
export interface Mark {
  readonly from: number;
  readonly to: number;
  readonly classes: string;
}

export interface Piece {
  readonly text: string;
  readonly classes: string;
}

/** The provenance of each character: span-draft or span-model. */
export function provenanceMarks(spans: readonly Span[]): Mark[] {
  const marks: Mark[] = [];
  let offset = 0;
  for (const span of spans) {
    marks.push({ from: offset, to: offset + span.text.length, classes: span.origin === "draft" ? "span-draft" : "span-model" });
    offset += span.text.length;
  }
  return marks;
}

/** The text of [from, to) split wherever a mark of any layer starts or ends. */
export function pieces(text: string, from: number, to: number, layers: readonly (readonly Mark[])[]): Piece[] {
  const cuts = new Set<number>([from, to]);
  for (const layer of layers)
    for (const mark of layer) {
      if (mark.from > from && mark.from < to) cuts.add(mark.from);
      if (mark.to > from && mark.to < to) cuts.add(mark.to);
    }
  const sorted = [...cuts].sort((a, b) => a - b);
  const cursors = layers.map(() => 0);
  const result: Piece[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const start = sorted[i] ?? from;
    const end = sorted[i + 1] ?? to;
    const classes: string[] = [];
    layers.forEach((layer, index) => {
      let cursor = cursors[index] ?? 0;
      while (cursor < layer.length && (layer[cursor]?.to ?? 0) <= start) cursor++;
      cursors[index] = cursor;
      const mark = layer[cursor];
      if (mark && mark.from <= start && mark.to >= end) classes.push(mark.classes);
    });
    result.push({ text: text.slice(start, end), classes: classes.join(" ") });
  }
  return result;
}

/** The offset where line `line` (0-based) starts, or the text's length when it has fewer lines. */
export function lineStart(text: string, line: number): number {
  let offset = 0;
  for (let index = 0; index < line; index++) {
    const next = text.indexOf("\n", offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return offset;
}

/** The offset where the last `lines` lines of the text start. */
export function tailStart(text: string, lines: number): number {
  let offset = text.length;
  // A text that ends with a newline has an empty last line: it counts.
  for (let found = 0; found < lines; found++) {
    const previous = text.lastIndexOf("\n", offset - 1);
    if (previous < 0) return 0;
    offset = previous;
  }
  return offset + 1;
}

export function lineCount(text: string): number {
  let count = 1;
  for (let index = text.indexOf("\n"); index >= 0; index = text.indexOf("\n", index + 1)) count++;
  return count;
}

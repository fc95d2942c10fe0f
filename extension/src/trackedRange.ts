// A range of a document followed through later edits, as Copilot and Continue do for the text they
// will replace: a candidate goes back where its problem now is, not where it was. Offsets only, no
// VS Code import: unit-tested.

/** Characters [start, end) of a document. */
export interface OffsetRange {
  readonly start: number;
  readonly end: number;
}

/** One content change as VS Code reports it (TextDocumentContentChangeEvent). */
export interface TextChange {
  readonly rangeOffset: number;
  readonly rangeLength: number;
  readonly text: string;
}

/**
 * The range after a change. A change before it (or an insertion right at its start) moves it; a
 * change after it (or right at its end) leaves it; a change inside or across it widens it to cover
 * the change, and the caller finds out from the text whether the original is still there.
 */
export function followChange(range: OffsetRange, change: TextChange): OffsetRange {
  const changeStart = change.rangeOffset;
  const changeEnd = change.rangeOffset + change.rangeLength;
  const delta = change.text.length - change.rangeLength;
  if (changeEnd <= range.start) return { start: range.start + delta, end: range.end + delta };
  if (changeStart >= range.end) return range;
  return { start: Math.min(range.start, changeStart), end: Math.max(range.end, changeEnd) + delta };
}

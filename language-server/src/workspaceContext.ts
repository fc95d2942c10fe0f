// What an inline prompt may show of the rest of the workspace: windows of lines around the places
// the user recently edited (the server sees every edit of an open document through LSP's text
// sync) or visited (the extension reports where the cursor rests, stand/visited). As in
// llama.vscode: at most 16 places, chunks of up to 64 lines, a chunk much like a newer one left
// out, the newest first into the token budget. The chunks go before the prompt's own window,
// oldest first: a place added later leaves the tokens of the earlier ones in the model's cache.
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { ContextChunk } from "./model/prompt";

/** Places remembered (llama.vscode's ring of 16 chunks). */
export const MAX_PLACES = 16;
/** Lines of a chunk, centred on its place (llama.vscode's 64). */
export const CHUNK_LINES = 64;
/** Characters of a chunk at most, so that a place in a minified file is still a window, not the file. */
export const CHUNK_CHARACTERS = 4096;
/** A chunk whose lines are this similar (Jaccard) to a newer chunk's adds nothing (llama.vscode's 0.9). */
export const SIMILARITY_LIMIT = 0.9;
/** Chunks with fewer lines that hold anything are not worth their header. */
const MIN_LINES = 3;

interface Place {
  readonly uri: string;
  line: number;
  /** The chunk's text once its document is closed. */
  snapshot?: string;
  /** The last text's token count. */
  counted?: { readonly text: string; readonly tokens: number };
  /** The last text cut to a budget. */
  cut?: { readonly text: string; readonly budget: number; readonly chunk: ContextChunk | undefined };
}

/** The lines of the prompt's own window, which chunks must not repeat. */
export interface PromptLines {
  readonly uri: string;
  readonly startLine: number;
  readonly endLine: number;
}

export class WorkspaceContext {
  /** Oldest first. */
  private readonly places: Place[] = [];

  constructor(
    private readonly documents: { get(uri: string): TextDocument | undefined },
    /** The workspace folders' URIs: a file in one is named by its path inside it. */
    private readonly roots: () => readonly string[] = () => [],
  ) {}

  /** The file's name in a prompt: its path in its workspace folder, else its file name. */
  pathOf(uri: string): string {
    for (const root of this.roots()) {
      const folder = root.endsWith("/") ? root : `${root}/`;
      if (uri.startsWith(folder)) return decodeURIComponent(uri.slice(folder.length));
    }
    return decodeURIComponent(uri.slice(uri.lastIndexOf("/") + 1));
  }

  /** The user edited `uri` at `line` (or visited it there). */
  touched(uri: string, line: number): void {
    // A place near one already known moves it, and makes it the newest.
    const index = this.places.findIndex(
      (place) => place.uri === uri && place.snapshot === undefined && Math.abs(place.line - line) < CHUNK_LINES / 2,
    );
    const place = index >= 0 ? (this.places.splice(index, 1)[0] ?? { uri, line }) : { uri, line };
    place.line = line;
    this.places.push(place);
    if (this.places.length > MAX_PLACES) this.places.shift();
  }

  /** Keeps the chunks of a document that is being closed as they are now. */
  closing(document: TextDocument): void {
    for (const place of this.places) {
      if (place.uri === document.uri && place.snapshot === undefined) place.snapshot = linesAround(document, place.line);
    }
  }

  /**
   * The chunks for a prompt whose window is `window`, at most `budget` tokens as `countTokens`
   * counts a chunk (with its header): the newest places first, oldest first in the result.
   */
  chunksFor(window: PromptLines, budget: number, countTokens: (chunk: ContextChunk) => number): ContextChunk[] {
    const kept: { chunk: ContextChunk; lines: Set<string> }[] = [];
    let used = 0;
    for (const place of [...this.places].reverse()) {
      const text = this.textOf(place, window);
      if (text === undefined) continue;
      const lines = new Set(text.split("\n").filter((line) => line.trim().length > 0));
      if (lines.size < MIN_LINES) continue;
      if (kept.some((newer) => jaccard(newer.lines, lines) > SIMILARITY_LIMIT)) continue;
      const chunk = { path: this.pathOf(place.uri), text };
      if (place.counted?.text !== text) place.counted = { text, tokens: countTokens(chunk) };
      if (used + place.counted.tokens <= budget) {
        used += place.counted.tokens;
        kept.push({ chunk, lines });
        continue;
      }
      // The first chunk that does not fit gives the lines around its place that do, and is the last
      // (the oldest in the prompt): the newer ones stay as they are from request to request.
      if (place.cut?.text !== text || place.cut.budget !== budget - used) {
        place.cut = { text, budget: budget - used, chunk: shrunk(chunk, budget - used, countTokens) };
      }
      if (place.cut.chunk) kept.push({ chunk: place.cut.chunk, lines });
      break;
    }
    return kept.map((entry) => entry.chunk).reverse();
  }

  /** The place's chunk now, or undefined when the prompt's window shows its lines already or its document is gone. */
  private textOf(place: Place, window: PromptLines): string | undefined {
    if (place.snapshot !== undefined) return place.snapshot;
    const document = this.documents.get(place.uri);
    if (!document) return undefined;
    const { start, end } = chunkLines(document, place.line);
    if (place.uri === window.uri && start <= window.endLine && end >= window.startLine) return undefined;
    return linesAround(document, place.line);
  }
}

/** The lines of the chunk around `line`: up to CHUNK_LINES, centred on it, within the document. */
function chunkLines(document: TextDocument, line: number): { start: number; end: number } {
  const last = Math.max(0, document.lineCount - 1);
  const start = Math.max(0, Math.min(line, last) - CHUNK_LINES / 2);
  return { start, end: Math.min(last, start + CHUNK_LINES - 1) };
}

/** The chunk's text: its lines, cut to CHUNK_CHARACTERS around `line` (whole lines), ending in a line break. */
function linesAround(document: TextDocument, line: number): string {
  const { start, end } = chunkLines(document, line);
  const text = document.getText({ start: { line: start, character: 0 }, end: { line: end + 1, character: 0 } });
  const withBreak = text.endsWith("\n") ? text : `${text}\n`;
  if (withBreak.length <= CHUNK_CHARACTERS) return withBreak;
  // Centred on the place's line: drop whole lines from the end farther from it until it fits.
  const lines = withBreak.slice(0, -1).split("\n");
  const centre = Math.min(line, document.lineCount - 1) - start;
  let first = 0;
  let afterLast = lines.length;
  let length = withBreak.length;
  while (length > CHUNK_CHARACTERS && afterLast - first > 1) {
    const dropped = centre - first > afterLast - 1 - centre ? lines[first++] : lines[--afterLast];
    length -= (dropped?.length ?? 0) + 1;
  }
  // A single line longer than the limit is cut.
  return `${lines
    .slice(first, afterLast)
    .join("\n")
    .slice(0, CHUNK_CHARACTERS - 1)}\n`;
}

/** The chunk's middle lines (its place's, but at a file's edge) that fit `budget`, if at least MIN_LINES do. */
function shrunk(chunk: ContextChunk, budget: number, countTokens: (chunk: ContextChunk) => number): ContextChunk | undefined {
  let lines = chunk.text.slice(0, -1).split("\n");
  for (;;) {
    const text = `${lines.join("\n")}\n`;
    const tokens = countTokens({ ...chunk, text });
    if (tokens <= budget) return { ...chunk, text };
    // Lines in proportion to what fits, and at least one fewer each time.
    const keep = Math.min(lines.length - 1, Math.floor((lines.length * budget) / tokens));
    if (keep < MIN_LINES) return undefined;
    const start = Math.floor((lines.length - keep) / 2);
    lines = lines.slice(start, start + keep);
  }
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const line of a) if (b.has(line)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 1 : shared / union;
}

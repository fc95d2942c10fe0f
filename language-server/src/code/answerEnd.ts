// Where a code answer ends: a solve of a function stub should stop when the function is written,
// not run on to the token limit, so that candidates can be compared and run. The rule reads the
// selection's own structure (open braces, or a Python block header and its indentation) and then
// watches the generated text grow:
//   - braces: the blocks the selection opened are closed again (at that line's end, or right
//     after the `}` and a `;`, `,` or line comment when no bracket was open around the block: what
//     follows on the line is not part of it), or a `}` closes a block that was open before the
//     selection;
//   - indentation: a line at or left of the stub's header, once the body has a line, or left of
//     the selection;
//   - either: a new top-level declaration at the selection's indentation (after the stub, or after
//     an answer that already wrote something other than imports).
// It only decides where to stop; it never changes which tokens are sampled.
import { CodeScanner, indentationOf, type ScanVisitor } from "./scanner";
import { syntaxOf, type Syntax } from "./syntax";

/** Lines that bring in other code: an answer may start with them before its declaration. */
const IMPORT = /^(?:import\b|from\s+[\w.]+\s+import\b|using\s|use\s|#\s*include\b|package\s|(?:const|let|var)\s+[\w{}\s,]+=\s*require\()/;
/** Characters a decoder may hold back at the end (an incomplete UTF-8 character). */
const INCOMPLETE = /\uFFFD+$/;

/** What the rule remembers as it scans, beside the scanner's own state. */
interface Progress {
  /** The answer has a line that is not an import: a later declaration is a new one. */
  contentSeen: boolean;
  /** Where the last `}` that closed every open block was, and whether that block began on an earlier line. */
  closedAt: number;
  closedAcrossLines: boolean;
  /** Whether a `(` or `[` was open around the block that `}` closed (`setTimeout(() => {` … `}, 100);`). */
  closedInBrackets: boolean;
  /** Where the line began that opened the outermost open block. */
  outerOpenedAt: number;
  /** Python: the outermost block header still open, and whether its body has a line yet. */
  header?: { readonly indent: number; hasBody: boolean };
  /** The indentation of the current (logical) line. */
  lineIndent: number;
}

function copyOf(progress: Progress): Progress {
  return { ...progress, header: progress.header && { ...progress.header } };
}

export class AnswerEnd {
  /** Where the generated text is scanned up to (an offset into prefix + generated), at a line's start. */
  private committedTo: number;
  private committedGenerated = "";
  private ended?: number;
  private settledLength = 0;
  /** The `}` that closed the answer's blocks, when that is what ended it and no bracket was open around its block. */
  private closingBrace?: number;

  private constructor(
    private readonly syntax: Syntax,
    /** The text before the answer: the selection, after the rest of its first line. */
    private readonly prefix: string,
    /** The selection's indentation: the stub's line, or the selection's first line. */
    private readonly base: number,
    /** Blocks the selection left open (braces). */
    private readonly openBlocks: number,
    private readonly start: { readonly scanner: CodeScanner; readonly progress: Progress },
    private committed: { scanner: CodeScanner; progress: Progress },
  ) {
    this.committedTo = prefix.length;
  }

  /**
   * The rule for an answer that continues `selection` (whose first line starts after `linePrefix`
   * in its document), or undefined for a language it does not know.
   */
  static for(selection: string, languageId: string | undefined, linePrefix = ""): AnswerEnd | undefined {
    const syntax = syntaxOf(languageId);
    if (!syntax) return undefined;
    const prefix = linePrefix + selection;
    const scanner = new CodeScanner(syntax);
    const progress: Progress = {
      contentSeen: false,
      closedAt: -1,
      closedAcrossLines: false,
      closedInBrackets: false,
      outerOpenedAt: -1,
      lineIndent: 0,
    };
    let firstIndent: number | undefined;
    const blockIndents: number[] = [];
    const follow = AnswerEnd.follow(syntax, scanner, progress);
    scanner.scan(prefix, 0, prefix.length, {
      ...follow,
      lineStart: (offset, lineOffset, indent) => {
        firstIndent ??= indent;
        return follow.lineStart?.(offset, lineOffset, indent) ?? false;
      },
      open: (offset) => {
        blockIndents.push(progress.lineIndent);
        follow.open?.(offset);
      },
      close: (offset, depth) => {
        blockIndents.pop();
        return follow.close?.(offset, depth) ?? false;
      },
    });
    const base = syntax.blocks === "brace" && blockIndents.length > 0 ? (blockIndents[0] ?? 0) : (firstIndent ?? 0);
    // What the selection wrote is not the answer's: a function complete in the selection ends nothing.
    progress.contentSeen = false;
    progress.closedAt = -1;
    const start = { scanner, progress };
    return new AnswerEnd(syntax, prefix, base, scanner.braces, start, { scanner: scanner.clone(), progress: copyOf(progress) });
  }

  /**
   * Where the answer ends in `generated` (the text after the selection so far); undefined while it
   * goes on. Call it with the text as it grows: complete lines are scanned once.
   */
  find(generated: string): number | undefined {
    if (this.ended !== undefined) return this.ended;
    const text = generated.replace(INCOMPLETE, "");
    this.settledLength = text.length;
    if (!text.startsWith(this.committedGenerated)) this.restart();
    const full = this.prefix + text;
    const lineStart = full.lastIndexOf("\n") + 1;
    if (lineStart > this.committedTo) {
      const { scanner, progress } = this.committed;
      const stop = scanner.scan(full, this.committedTo, lineStart, this.stops(scanner, progress, full));
      if (stop !== undefined) return this.end(stop, text);
      this.committedTo = lineStart;
      this.committedGenerated = text.slice(0, lineStart - this.prefix.length);
    }
    // The line still being written, on copies: what it will be is not known yet.
    const scanner = this.committed.scanner.clone();
    const progress = copyOf(this.committed.progress);
    const stop = scanner.scan(full, this.committedTo, full.length, this.stops(scanner, progress, full));
    if (stop !== undefined) return this.end(stop, text);
    if (this.mayCutAt(full, this.committedTo)) this.settledLength = this.committedTo - this.prefix.length;
    // The line closed the answer's blocks: what follows the brace may still be cut.
    else if (this.closesAnswer(scanner, progress) && !progress.closedInBrackets)
      this.settledLength = progress.closedAt + 1 - this.prefix.length;
    return undefined;
  }

  /**
   * How much of the text last given to find() stays in the answer whatever follows: all of it,
   * except a last line that may still turn out to start after the answer (one that is blank so
   * far, or as far left as the stub). Stream only this much.
   */
  get settled(): number {
    return this.ended ?? this.settledLength;
  }

  /** The line starting at `lineStart` is still being written and the answer could end where it starts. */
  private mayCutAt(full: string, lineStart: number): boolean {
    if (lineStart > 0 && full.charAt(lineStart - 1) !== "\n") return false;
    const line = full.slice(lineStart);
    const header = this.committed.progress.header;
    return /^\s*$/.test(line) || indentationOf(line) <= Math.max(this.base, header?.indent ?? -1);
  }

  private end(offset: number, text: string): number {
    const full = this.prefix + text;
    const kept = this.closingBrace === undefined ? offset : this.keptAfterBrace(full, this.closingBrace, offset);
    this.ended = Math.max(0, Math.min(text.length, kept - this.prefix.length));
    return this.ended;
  }

  /**
   * Where the answer ends on the line whose `}` (at `brace`) closed a block no bracket was open
   * around: a `;` or `,` and a line comment stay; anything else the model wrote after the brace
   * (`} * @example`) starts something new and goes.
   */
  private keptAfterBrace(full: string, brace: number, lineEnd: number): number {
    const rest = full.slice(brace + 1, lineEnd);
    const punctuation = /^[\s;,]*/.exec(rest)?.[0] ?? "";
    const after = rest.slice(punctuation.length);
    if (this.syntax.lineComments.some((comment) => after.startsWith(comment))) return lineEnd;
    return brace + 1 + punctuation.trimEnd().length;
  }

  /** The line being scanned closed every block the answer is in: the stub's, or one the answer opened on an earlier line (not `{ x }`). */
  private closesAnswer(scanner: CodeScanner, progress: Progress): boolean {
    return (
      this.syntax.blocks === "brace" &&
      scanner.braces === 0 &&
      progress.closedAt >= scanner.lineOffset &&
      (this.openBlocks > 0 || progress.closedAcrossLines)
    );
  }

  private restart(): void {
    this.committed = { scanner: this.start.scanner.clone(), progress: copyOf(this.start.progress) };
    this.committedTo = this.prefix.length;
    this.committedGenerated = "";
  }

  /** The visitor that follows the structure and, in the answer, says where it ends. */
  private stops(scanner: CodeScanner, progress: Progress, full: string): ScanVisitor {
    const follow = AnswerEnd.follow(this.syntax, scanner, progress);
    const declaration = this.syntax.declaration;
    return {
      lineStart: (offset, lineOffset, indent) => {
        const line = lineAt(full, offset);
        if (this.syntax.blocks === "indent") {
          const header = progress.header;
          if (header && indent <= header.indent && header.hasBody) return true;
          if (indent < this.base) return true;
        }
        if (
          declaration &&
          indent <= this.base &&
          (this.openBlocks > 0 || progress.contentSeen) &&
          (this.syntax.blocks === "brace" || !progress.header) &&
          startsWith(line, declaration)
        )
          return true;
        if (!IMPORT.test(line.text)) progress.contentSeen = true;
        return follow.lineStart?.(offset, lineOffset, indent) ?? false;
      },
      open: (offset) => follow.open?.(offset),
      close: (offset, depth) => depth === 0 || (follow.close?.(offset, depth) ?? false),
      lineEnd: (offset) => {
        if (this.closesAnswer(scanner, progress)) {
          if (!progress.closedInBrackets) this.closingBrace = progress.closedAt;
          return true;
        }
        return follow.lineEnd?.(offset) ?? false;
      },
    };
  }

  /** Keeps `progress` up to date as the scanner goes (selection and answer alike); never stops. */
  private static follow(syntax: Syntax, scanner: CodeScanner, progress: Progress): ScanVisitor {
    return {
      lineStart: (_offset, _lineOffset, indent) => {
        progress.lineIndent = indent;
        const header = progress.header;
        if (header) {
          if (indent <= header.indent) progress.header = undefined;
          else header.hasBody = true;
        }
        return false;
      },
      open: () => {
        if (scanner.braces === 1) progress.outerOpenedAt = scanner.lineOffset;
      },
      close: (offset, depth) => {
        if (depth === 1) {
          progress.closedAt = offset;
          progress.closedAcrossLines = progress.outerOpenedAt < scanner.lineOffset;
          progress.closedInBrackets = scanner.brackets > 0;
        }
        return false;
      },
      lineEnd: () => {
        if (syntax.blocks === "indent" && !progress.header && scanner.brackets === 0 && scanner.lineEndsWith === ":")
          progress.header = { indent: progress.lineIndent, hasBody: false };
        return false;
      },
    };
  }
}

/** The line that starts at `offset`, and whether it is complete. */
function lineAt(text: string, offset: number): { readonly text: string; readonly complete: boolean } {
  const newline = text.indexOf("\n", offset);
  return newline < 0 ? { text: text.slice(offset), complete: false } : { text: text.slice(offset, newline), complete: true };
}

/** A line still being written matches only once something follows the match (`constant` is not `const`). */
function startsWith(line: { readonly text: string; readonly complete: boolean }, pattern: RegExp): boolean {
  const match = pattern.exec(line.text);
  return match !== null && (line.complete || match[0].length < line.text.length);
}

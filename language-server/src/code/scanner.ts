// A small lexical scanner shared by the answer-end rule and vote normalisation: it follows strings,
// comments, template literals and regular expressions well enough to count blocks and find line
// starts, without parsing. It can stop and resume, so a growing text is scanned once.
import type { Syntax } from "./syntax";

export type Region = "code" | "comment" | "string";

type Mode = "code" | "lineComment" | "blockComment" | "string" | "multiline" | "template" | "regex";

/** Tab stops every 8 columns, as Python counts them. */
const TAB_WIDTH = 8;
/** After these words a `/` starts a regular expression, not a division. */
const REGEX_AFTER_WORDS = new Set(["return", "typeof", "case", "do", "else", "in", "of", "yield", "await", "void", "delete", "throw"]);
const REGEX_AFTER_PUNCTUATION = "(,=:[!&|?{};+-*%<>~^";

/** The columns of a line's leading blanks, tabs to the next multiple of 8. */
export function indentationOf(line: string): number {
  let indent = 0;
  for (const char of line) {
    if (char === "\t") indent = (Math.floor(indent / TAB_WIDTH) + 1) * TAB_WIDTH;
    else if (char === " ") indent++;
    else break;
  }
  return indent;
}

export interface ScanVisitor {
  /**
   * The first non-blank character of a line that began in code (for indentation languages, a
   * logical line: not inside brackets or after a backslash). Return true to stop the scan there.
   */
  lineStart?(offset: number, lineOffset: number, indent: number): boolean;
  /** A `{` opened a block (not a template's `${`). */
  open?(offset: number): void;
  /** A `}` is about to close a block; `depth` counts the blocks open before it. Return true to stop before it. */
  close?(offset: number, depth: number): boolean;
  /** A line ends in code or in a line comment. Return true to stop before the newline. */
  lineEnd?(offset: number): boolean;
  /** Every character (or escape pair, or comment/quote delimiter) with its region. */
  region?(start: number, end: number, region: Region): void;
}

interface ScanState {
  mode: Mode;
  /** What ends the current string, multiline string or comment. */
  closing: string;
  /** Open `{` blocks (a template literal's `${` is not one). */
  braces: number;
  /** Open ( and [ (and { in indentation languages, where braces are not blocks). */
  brackets: number;
  /** The brace depth at each open template `${`, innermost last. */
  templates: number[];
  regexClass: boolean;
  /** The current line began in code (or, for indentation languages, a logical line began there). */
  lineInCode: boolean;
  /** Nothing but blanks on the current line yet. */
  atLineStart: boolean;
  indent: number;
  lineOffset: number;
  /** Python: the previous line ended with a backslash. */
  continued: boolean;
  /** The last code character that was not blank, where it was, and the word it ended (for the regex heuristic). */
  lastSignificant: string;
  lastSignificantAt: number;
  lastWord: string;
}

export class CodeScanner {
  private state: ScanState;

  constructor(
    readonly syntax: Syntax,
    state?: ScanState,
  ) {
    this.state = state ?? {
      mode: "code",
      closing: "",
      braces: 0,
      brackets: 0,
      templates: [],
      regexClass: false,
      lineInCode: true,
      atLineStart: true,
      indent: 0,
      lineOffset: 0,
      continued: false,
      lastSignificant: "",
      lastSignificantAt: -1,
      lastWord: "",
    };
  }

  clone(): CodeScanner {
    return new CodeScanner(this.syntax, { ...this.state, templates: [...this.state.templates] });
  }

  /** Open blocks: `{` for brace languages. */
  get braces(): number {
    return this.state.braces;
  }

  /** The last code character that was not blank, if it is on the current line (Python's `:` ends a block header). */
  get lineEndsWith(): string {
    return this.state.lastSignificantAt >= this.state.lineOffset ? this.state.lastSignificant : "";
  }

  /** Where the current line began. */
  get lineOffset(): number {
    return this.state.lineOffset;
  }

  /** Open ( and [ (and { in indentation languages): a newline inside them does not end a logical line. */
  get brackets(): number {
    return this.state.brackets;
  }

  /**
   * Scans `text` from `from` to `to`, telling the visitor what it finds. Returns the offset where
   * the visitor asked to stop, else undefined. Offsets are into `text`; the scanner's own line
   * offsets are too, so resume with the same text (or one that extends it).
   */
  scan(text: string, from: number, to: number, visitor: ScanVisitor = {}): number | undefined {
    let i = from;
    while (i < to) {
      const stop = this.step(text, i, visitor);
      if (stop !== undefined) return stop;
      i = this.next;
    }
    return undefined;
  }

  /** Where the scan goes on after step(): set by step. */
  private next = 0;

  private step(text: string, i: number, visitor: ScanVisitor): number | undefined {
    const state = this.state;
    const syntax = this.syntax;
    const char = text.charAt(i);
    this.next = i + 1;

    if (char === "\n") {
      if (state.mode === "code" || state.mode === "lineComment") {
        if (visitor.lineEnd?.(i)) return i;
        if (state.mode === "lineComment") state.mode = "code";
      } else if (state.mode === "string" || state.mode === "regex") {
        // An unterminated one-line string or regex ends at the line's end (the code is broken; go on).
        state.mode = "code";
      }
      visitor.region?.(i, i + 1, state.mode === "code" ? "code" : state.mode === "blockComment" ? "comment" : "string");
      state.continued = syntax.blocks === "indent" && state.mode === "code" && this.lineEndsWith === "\\";
      state.lineInCode = state.mode === "code" && (syntax.blocks === "brace" || (state.brackets === 0 && !state.continued));
      state.atLineStart = true;
      state.indent = 0;
      state.lineOffset = i + 1;
      return undefined;
    }

    if (state.atLineStart) {
      if (char === " " || char === "\t" || char === "\r") {
        state.indent = char === "\t" ? (Math.floor(state.indent / TAB_WIDTH) + 1) * TAB_WIDTH : state.indent + 1;
        visitor.region?.(i, i + 1, this.regionOfMode());
        return undefined;
      }
      state.atLineStart = false;
      if (state.lineInCode && state.mode === "code" && visitor.lineStart?.(i, state.lineOffset, state.indent)) return state.lineOffset;
    }

    switch (state.mode) {
      case "lineComment":
        visitor.region?.(i, i + 1, "comment");
        return undefined;
      case "blockComment":
        this.until(text, i, visitor, "comment");
        return undefined;
      case "string":
      case "multiline":
        this.until(text, i, visitor, "string");
        return undefined;
      case "template":
        if (char === "\\") {
          this.escape(text, i, visitor);
          return undefined;
        }
        if (text.startsWith("${", i)) {
          state.templates.push(state.braces);
          state.mode = "code";
          this.next = i + 2;
          visitor.region?.(i, i + 2, "code");
          return undefined;
        }
        if (char === "`") state.mode = "code";
        visitor.region?.(i, i + 1, "string");
        return undefined;
      case "regex":
        if (char === "\\") {
          this.escape(text, i, visitor);
          return undefined;
        }
        if (char === "[") state.regexClass = true;
        else if (char === "]") state.regexClass = false;
        else if (char === "/" && !state.regexClass) {
          state.mode = "code";
          state.lastSignificant = "/";
          state.lastSignificantAt = i;
          state.lastWord = "";
        }
        visitor.region?.(i, i + 1, "string");
        return undefined;
      case "code":
        return this.code(text, i, visitor);
    }
  }

  private code(text: string, i: number, visitor: ScanVisitor): number | undefined {
    const state = this.state;
    const syntax = this.syntax;
    const char = text.charAt(i);
    for (const opener of syntax.lineComments) {
      if (text.startsWith(opener, i)) {
        state.mode = "lineComment";
        this.next = i + opener.length;
        visitor.region?.(i, this.next, "comment");
        return undefined;
      }
    }
    if (syntax.blockComment && text.startsWith(syntax.blockComment[0], i)) {
      state.mode = "blockComment";
      state.closing = syntax.blockComment[1];
      this.next = i + syntax.blockComment[0].length;
      visitor.region?.(i, this.next, "comment");
      return undefined;
    }
    const multiline = syntax.multilineQuotes.find((quote) => text.startsWith(quote, i));
    if (multiline !== undefined) {
      this.open(i, multiline, "multiline", visitor);
      return undefined;
    }
    const opens: Mode | undefined = syntax.quotes.includes(char)
      ? "string"
      : syntax.templateLiterals && char === "`"
        ? "template"
        : syntax.regexLiterals && char === "/" && this.regexMayStart()
          ? "regex"
          : undefined;
    if (opens) {
      this.open(i, char, opens, visitor);
      return undefined;
    }

    if (syntax.blocks === "brace" && char === "{") {
      state.braces++;
      visitor.open?.(i);
    } else if (syntax.blocks === "brace" && char === "}") {
      const template = state.templates[state.templates.length - 1];
      if (template !== undefined && template === state.braces) {
        state.templates.pop();
        state.mode = "template";
        visitor.region?.(i, i + 1, "code");
        return undefined;
      }
      if (visitor.close?.(i, state.braces)) return i;
      state.braces = Math.max(0, state.braces - 1);
    } else if (char === "(" || char === "[" || (syntax.blocks === "indent" && char === "{")) {
      state.brackets++;
    } else if (char === ")" || char === "]" || (syntax.blocks === "indent" && char === "}")) {
      state.brackets = Math.max(0, state.brackets - 1);
    }
    if (char !== " " && char !== "\t" && char !== "\r") {
      const wordChar = /[\w$]/.test(char);
      state.lastWord = wordChar ? (/[\w$]/.test(state.lastSignificant) ? state.lastWord + char : char) : "";
      state.lastSignificant = char;
      state.lastSignificantAt = i;
    }
    visitor.region?.(i, i + 1, "code");
    return undefined;
  }

  private open(i: number, quote: string, mode: Mode, visitor: ScanVisitor): void {
    this.state.mode = mode;
    this.state.closing = quote;
    this.state.regexClass = false;
    this.state.lastSignificant = quote;
    this.state.lastSignificantAt = i;
    this.state.lastWord = "";
    this.next = i + quote.length;
    visitor.region?.(i, this.next, "string");
  }

  /** Inside a string or block comment: an escape, the closing delimiter, or one character. */
  private until(text: string, i: number, visitor: ScanVisitor, region: Region): void {
    const state = this.state;
    if (region === "string" && text.charAt(i) === "\\") {
      this.escape(text, i, visitor);
      return;
    }
    if (text.startsWith(state.closing, i)) {
      this.next = i + state.closing.length;
      state.mode = "code";
    }
    visitor.region?.(i, this.next, region);
  }

  /** A backslash and the character it escapes (not a newline: that ends the line as usual). */
  private escape(text: string, i: number, visitor: ScanVisitor): void {
    this.next = text.charAt(i + 1) === "\n" ? i + 1 : Math.min(text.length, i + 2);
    visitor.region?.(i, this.next, "string");
  }

  private regexMayStart(): boolean {
    const { lastSignificant, lastWord } = this.state;
    if (lastSignificant === "") return true;
    if (/[\w$]/.test(lastSignificant)) return REGEX_AFTER_WORDS.has(lastWord);
    return REGEX_AFTER_PUNCTUATION.includes(lastSignificant);
  }

  private regionOfMode(): Region {
    const mode = this.state.mode;
    return mode === "code" ? "code" : mode === "lineComment" || mode === "blockComment" ? "comment" : "string";
  }
}

// Code as a vote compares it: two candidates that differ only in spacing, comments or the
// semicolons that end their statements wrote the same code.
import { CodeScanner, type Region } from "./scanner";
import { syntaxOf } from "./syntax";

const WORD = /[\w$]/;

/**
 * Drops comments, keeps a blank only between two word characters (and, in indentation languages,
 * line breaks and indentation), and drops a `;` that ends a line or a block. Strings stay as written.
 */
export function normaliseCode(code: string, languageId: string | undefined): string {
  const syntax = syntaxOf(languageId);
  if (!syntax) return code.replace(/\s+/g, " ").trim();
  const keepLines = syntax.blocks === "indent";
  let out = "";
  /** A blank (or comment) separates what comes next from what came before. */
  let gap = false;
  let lineBreak = false;
  let pendingSemicolon = false;
  let indent = "";

  const emit = (text: string): void => {
    const first = text.charAt(0);
    if (pendingSemicolon && !lineBreak && first !== "}") out += ";";
    pendingSemicolon = false;
    if (lineBreak && keepLines && out) out += `\n${indent}`;
    else if (gap && WORD.test(out.charAt(out.length - 1)) && WORD.test(first)) out += " ";
    gap = false;
    lineBreak = false;
    out += text;
  };

  let lineStart = true;
  new CodeScanner(syntax).scan(code, 0, code.length, {
    region: (start, end, region: Region) => {
      const text = code.slice(start, end);
      if (region === "comment") {
        gap = true;
        return;
      }
      if (region === "code" && /^\s+$/.test(text)) {
        if (text.includes("\n")) {
          lineBreak = true;
          lineStart = true;
          indent = "";
        } else if (lineStart) indent += text === "\t" ? "    " : text;
        gap = true;
        return;
      }
      lineStart = false;
      if (region === "code" && text === ";" && !keepLines) {
        if (pendingSemicolon) out += ";";
        pendingSemicolon = true;
        return;
      }
      emit(text);
    },
  });
  return out;
}

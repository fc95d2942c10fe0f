// Syntax highlighting for the code in a card, with Lezer (CodeMirror's parsers): a parse tree per
// language, turned into marks of a few classes (tok-keyword, tok-string, …) that main.css colours
// from theme variables. No HTML strings and no inline styles, so the panel's CSP holds. Parsers
// are error-tolerant: a fragment (a continuation, a half-written function) still gets its keywords
// and strings marked.
import { highlightTree, tagHighlighter, tags } from "@lezer/highlight";
import { parser as cpp } from "@lezer/cpp";
import { parser as go } from "@lezer/go";
import { parser as java } from "@lezer/java";
import { parser as javascript } from "@lezer/javascript";
import { parser as json } from "@lezer/json";
import { parser as python } from "@lezer/python";
import { parser as rust } from "@lezer/rust";
import type { Mark } from "./textMarks";

interface Parser {
  parse(text: string): Parameters<typeof highlightTree>[0];
}

const TYPESCRIPT = javascript.configure({ dialect: "ts" });
const TSX = javascript.configure({ dialect: "ts jsx" });
const JSX = javascript.configure({ dialect: "jsx" });

/** Lezer's tags (sub-tags included: controlKeyword is a keyword) to the panel's classes. */
const HIGHLIGHTER = tagHighlighter([
  { tag: tags.keyword, class: "tok-keyword" },
  { tag: [tags.string, tags.character], class: "tok-string" },
  { tag: [tags.regexp, tags.escape, tags.special(tags.string)], class: "tok-string2" },
  { tag: [tags.number, tags.bool, tags.atom, tags.null], class: "tok-number" },
  { tag: tags.comment, class: "tok-comment" },
  { tag: [tags.typeName, tags.className, tags.namespace], class: "tok-type" },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], class: "tok-function" },
  { tag: tags.invalid, class: "tok-invalid" },
]);

/** VS Code language ids and fence labels. */
const PARSERS: Readonly<Record<string, Parser>> = {
  javascript: JSX,
  javascriptreact: JSX,
  js: JSX,
  jsx: JSX,
  mjs: JSX,
  cjs: JSX,
  typescript: TYPESCRIPT,
  ts: TYPESCRIPT,
  mts: TYPESCRIPT,
  cts: TYPESCRIPT,
  typescriptreact: TSX,
  tsx: TSX,
  python: python,
  py: python,
  json: json,
  jsonc: json,
  rust: rust,
  rs: rust,
  c: cpp,
  cpp: cpp,
  "c++": cpp,
  cc: cpp,
  h: cpp,
  hpp: cpp,
  java: java,
  go: go,
  golang: go,
};

/** Whether `language` (an id or a fence label) is one the panel highlights. */
export function highlights(language: string): boolean {
  return language.toLowerCase() in PARSERS;
}

/** Highlight marks for `code`, shifted by `offset` (where the code starts in the card's text). */
export function highlightMarks(code: string, language: string, offset = 0): Mark[] {
  const parser = PARSERS[language.toLowerCase()];
  if (!parser || !code) return [];
  const marks: Mark[] = [];
  highlightTree(parser.parse(code), HIGHLIGHTER, (from, to, classes) => {
    marks.push({ from: from + offset, to: to + offset, classes });
  });
  return marks;
}

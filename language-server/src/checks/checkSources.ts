// Where checks come from before anything runs: the `@example` lines of the doc comment above the
// code being solved (for Python, the doctest lines of its docstring), and the lines a user types in
// the panel's checks box. Both say `expression // => expected value` (`# =>` in Python); lines
// without a value are setup (examples) or assertions that must hold (the box).
import type { Check, CheckSource } from "../../../common/protocol";

const ANNOTATION = /^(.*?)\/\/\s*=>\s?(.*)$/;
const DOC_COMMENT = /\/\*\*([\s\S]*?)\*\//g;
/** A statement that defines something for later checks rather than checking anything. */
const DECLARATION = /^(?:const|let|var|function|class|import|async\s+function)\b/;
/** A line that continues the statement before it (a method chain, an operator). */
const CONTINUATION = /^[.?:)\]}+\-*/&|,]/;

/**
 * The checks written as examples in the doc comment of the problem (or in one that ends the
 * context just above it); their lines are the problem's, from 1, or -1 when it was in the context.
 */
export function exampleChecks(problem: string, context: string, languageId?: string): Check[] {
  if (languageId === "python") return doctestChecks(docstringOf(problem));
  const comment = docCommentOf(problem, context);
  if (!comment) return [];
  return exampleSections(comment.lines).flatMap((section) =>
    parseExamples(section.lines, comment.firstLine + section.firstLine, "example"),
  );
}

/** The checks typed in the panel: one per line; `const …` (Python: `x = …`, `import …`) lines are setup for the lines after them. */
export function userChecks(text: string, languageId?: string): Check[] {
  const lines = text.split(/\r?\n/);
  return languageId === "python" ? userPythonChecks(lines) : parseExamples(lines, 1, "user");
}

interface Statement {
  readonly code: string;
  readonly line: number;
}

/**
 * Reads example lines: statements (a statement may span lines while its brackets are open), each
 * either followed by `// => value` (on its line or the next) or not. With a value it is a check;
 * without one it is setup for the checks after it — except in the checks box, where a line that
 * is not a declaration is itself a check that must hold.
 */
function parseExamples(lines: readonly string[], firstLine: number, source: CheckSource): Check[] {
  const checks: Check[] = [];
  const setup: string[] = [];
  let pending: Statement | undefined;
  let buffer: string[] = [];
  let bufferLine = 0;

  const settle = (): void => {
    if (!pending) return;
    if (source === "user" && !DECLARATION.test(pending.code)) checks.push(check(source, pending.code, setup, undefined, pending.line));
    else setup.push(pending.code);
    pending = undefined;
  };

  lines.forEach((raw, index) => {
    const line = raw.trim();
    const lineNumber = firstLine + index;
    if (line.startsWith("```")) return;
    const annotated = ANNOTATION.exec(line);
    if (annotated && buffer.length === 0) {
      const code = stripSemicolon(annotated[1] ?? "");
      const expected = (annotated[2] ?? "").trim();
      if (code) {
        settle();
        checks.push(check(source, code, setup, expected, lineNumber));
      } else if (pending) {
        checks.push(check(source, pending.code, setup, expected, pending.line));
        pending = undefined;
      }
      return;
    }
    if (line.startsWith("//") || line.startsWith("#") || line === "") {
      if (line === "" && buffer.length === 0) settle();
      return;
    }
    if (buffer.length === 0) {
      // A line that continues the previous statement (`.map(…)`) joins it.
      if (pending && CONTINUATION.test(line)) {
        buffer = [pending.code];
        bufferLine = pending.line;
        pending = undefined;
      } else {
        settle();
        bufferLine = lineNumber;
      }
    }
    buffer.push(line);
    const code = buffer.join("\n");
    if (bracketsOpen(code) > 0) return;
    buffer = [];
    pending = { code: stripSemicolon(code), line: bufferLine };
  });
  settle();
  return checks;
}

function check(source: CheckSource, code: string, setup: readonly string[], expected: string | undefined, line: number): Check {
  return {
    source,
    code,
    ...(setup.length > 0 ? { setup: setup.map((statement) => `${statement};`).join("\n") } : {}),
    ...(expected !== undefined ? { expected: stripSemicolon(expected) } : {}),
    ...(Number.isFinite(line) ? { line } : {}),
  };
}

function stripSemicolon(code: string): string {
  return code.trim().replace(/;+$/, "").trim();
}

/** Open brackets minus closed ones, outside strings (a rough count: examples are short). */
function bracketsOpen(code: string): number {
  let depth = 0;
  let quote = "";
  for (let i = 0; i < code.length; i++) {
    const char = code.charAt(i);
    if (quote) {
      if (char === "\\") i++;
      else if (char === quote) quote = "";
    } else if (char === '"' || char === "'" || char === "`") quote = char;
    else if ("([{".includes(char)) depth++;
    else if (")]}".includes(char)) depth--;
  }
  return depth;
}

/**
 * The doc comment that documents the problem's code: the last one in the problem, or one that ends
 * the context just before it. Its lines without their leading ` * `, and the problem's line number
 * of its first line (-1 in the context: examples there have no line of the problem).
 */
function docCommentOf(problem: string, context: string): { readonly lines: string[]; readonly firstLine: number } | undefined {
  const inProblem = [...problem.matchAll(DOC_COMMENT)].pop();
  const inContext = inProblem ? undefined : [...context.matchAll(DOC_COMMENT)].pop();
  const match = inProblem ?? inContext;
  if (!match) return undefined;
  if (inContext && context.slice(inContext.index + inContext[0].length).trim() !== "") return undefined;
  const lines = (match[1] ?? "").split("\n").map((line) => line.replace(/^\s*\*(?!\/) ?/, ""));
  return { lines, firstLine: inProblem ? problem.slice(0, inProblem.index).split("\n").length : Number.NEGATIVE_INFINITY };
}

/** The lines of each `@example` section (up to the next tag), with the section's first line index. */
function exampleSections(lines: readonly string[]): { lines: string[]; firstLine: number }[] {
  const sections: { lines: string[]; firstLine: number }[] = [];
  let current: { lines: string[]; firstLine: number } | undefined;
  lines.forEach((line, index) => {
    const tag = /^\s*@(\w+)\s?(.*)$/.exec(line);
    if (tag) {
      current = undefined;
      if (tag[1] === "example") {
        const rest = (tag[2] ?? "").replace(/<caption>[\s\S]*?<\/caption>/, "");
        current = { lines: [rest], firstLine: index };
        sections.push(current);
      }
      return;
    }
    current?.lines.push(line);
  });
  return sections;
}

/** A `def` header (its parameters may span lines), then a docstring: its quotes and its text. */
const DOCSTRING = /^[ \t]*(?:async\s+)?def\s[\s\S]*?\)[^:\n]*:[ \t]*\n[ \t]*[rRuU]?("""|''')([\s\S]*?)(?:\1|(?![\s\S]))/gm;

/** The docstring of the last `def` in a Python problem (the stub being solved), and the problem's line it starts on. */
function docstringOf(problem: string): { readonly text: string; readonly firstLine: number } | undefined {
  const match = [...problem.matchAll(DOCSTRING)].pop();
  if (!match) return undefined;
  const quote = match[1] ?? '"""';
  const start = match.index + match[0].indexOf(quote) + quote.length;
  return { text: match[2] ?? "", firstLine: problem.slice(0, start).split("\n").length };
}

/**
 * Doctest lines: `>>> expression` (with `... ` continuation lines) and the output under it, up to
 * a blank line or the next `>>>`. A line with no output is setup for the lines after it.
 */
function doctestChecks(docstring: { readonly text: string; readonly firstLine: number } | undefined): Check[] {
  if (!docstring) return [];
  const checks: Check[] = [];
  const setup: string[] = [];
  const lines = docstring.text.split("\n").map((line) => line.trim());
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (!line.startsWith(">>>")) continue;
    const lineNumber = docstring.firstLine + i;
    const code = [line.slice(3).trim()];
    while ((lines[i + 1] ?? "").startsWith("...")) code.push((lines[++i] ?? "").slice(4));
    const output: string[] = [];
    while (i + 1 < lines.length && lines[i + 1] !== "" && !(lines[i + 1] ?? "").startsWith(">>>")) output.push(lines[++i] ?? "");
    const statement = code.join("\n");
    if (output.length === 0) setup.push(statement);
    else
      checks.push({
        source: "example",
        code: statement,
        ...(setup.length > 0 ? { setup: setup.join("\n") } : {}),
        expectedOutput: output.join("\n"),
        line: lineNumber,
      });
  }
  return checks;
}

/** The checks box for Python: `expression  # => value`, or an expression or `assert` that must hold; assignments and imports are setup. */
function userPythonChecks(lines: readonly string[]): Check[] {
  const checks: Check[] = [];
  const setup: string[] = [];
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const annotated = /^(.*?)#\s*=>\s?(.*)$/.exec(line);
    const withSetup = setup.length > 0 ? { setup: setup.join("\n") } : {};
    if (annotated) {
      checks.push({
        source: "user",
        code: (annotated[1] ?? "").trim(),
        ...withSetup,
        expected: (annotated[2] ?? "").trim(),
        line: index + 1,
      });
    } else if (/^(?:[\w.]+\s*=[^=]|import\s|from\s+\S+\s+import\s|def\s|class\s)/.test(line)) {
      setup.push(line);
    } else {
      checks.push({ source: "user", code: line, ...withSetup, line: index + 1 });
    }
  });
  return checks;
}

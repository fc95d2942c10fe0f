// What the code scanner needs to know about a language: how its comments and strings are written,
// whether blocks are braces or indentation, and which lines start a new top-level declaration.

export interface Syntax {
  /** "brace": blocks are `{ … }`; "indent": blocks are indented lines after a `:` header (Python). */
  readonly blocks: "brace" | "indent";
  readonly lineComments: readonly string[];
  readonly blockComment?: readonly [open: string, close: string];
  /** Quotes of strings that end at the line's end at the latest. */
  readonly quotes: readonly string[];
  /** Quotes of strings that may span lines (Python's triple quotes, Go's raw strings). */
  readonly multilineQuotes: readonly string[];
  /** JavaScript's template literals: "`" strings with `${ … }` code inside. */
  readonly templateLiterals: boolean;
  /** JavaScript's regular expression literals (`/'/g` must not open a string). */
  readonly regexLiterals: boolean;
  /** A line (from its first non-blank character) that starts a new top-level declaration. */
  readonly declaration?: RegExp;
}

const MODIFIERS = String.raw`(?:(?:export|default|async|declare|abstract|public|private|protected|static|readonly)\s+)*`;

const JAVASCRIPT: Syntax = {
  blocks: "brace",
  lineComments: ["//"],
  blockComment: ["/*", "*/"],
  quotes: ['"', "'"],
  multilineQuotes: [],
  templateLiterals: true,
  regexLiterals: true,
  declaration: new RegExp(
    String.raw`^(?:${MODIFIERS}(?:function\b|class\s|interface\s|type\s+\w|enum\s|const\s|let\s|var\s|namespace\s)|import\b|export\b|module\.exports\b|exports\.\w|\/\*\*|@\w)`,
  ),
};

/** C-like languages: braces, // and /* comments; their top-level declarations are too varied to list. */
function cLike(declaration?: RegExp, extra: Partial<Syntax> = {}): Syntax {
  return {
    blocks: "brace",
    lineComments: ["//"],
    blockComment: ["/*", "*/"],
    quotes: ['"', "'"],
    multilineQuotes: [],
    templateLiterals: false,
    regexLiterals: false,
    declaration,
    ...extra,
  };
}

const PYTHON: Syntax = {
  blocks: "indent",
  lineComments: ["#"],
  quotes: ['"', "'"],
  multilineQuotes: ['"""', "'''"],
  templateLiterals: false,
  regexLiterals: false,
  declaration: /^(?:async\s+def\s|def\s|class\s|@\w|if\s+__name__\b)/,
};

const SYNTAXES: Readonly<Record<string, Syntax>> = {
  javascript: JAVASCRIPT,
  javascriptreact: JAVASCRIPT,
  typescript: JAVASCRIPT,
  typescriptreact: JAVASCRIPT,
  python: PYTHON,
  // Rust's 'a lifetimes are not char literals: only double quotes are strings there.
  rust: cLike(/^(?:pub(?:\([^)]*\))?\s+)?(?:fn\s|struct\s|enum\s|impl\b|trait\s|mod\s|use\s|const\s|static\s|type\s|#\[)/, {
    quotes: ['"'],
  }),
  go: cLike(/^(?:func\s|type\s|var\s|const\s|import\b|package\s)/, { quotes: ['"', "'"], multilineQuotes: ["`"] }),
  java: cLike(/^(?:(?:public|private|protected|static|final|abstract)\s+)*(?:class\s|interface\s|enum\s|record\s)|^@\w|^import\s/),
  csharp: cLike(
    /^(?:(?:public|private|protected|internal|static|sealed|abstract|partial)\s+)*(?:class\s|interface\s|enum\s|struct\s|record\s)|^using\s|^namespace\s|^\[\w/,
  ),
  kotlin: cLike(
    /^(?:(?:public|private|internal|data|sealed|open|abstract)\s+)*(?:fun\s|class\s|interface\s|object\s|val\s|var\s)|^import\s|^@\w/,
  ),
  c: cLike(/^#\s*(?:include|define)\b|^typedef\s|^struct\s\w+\s*\{/),
  cpp: cLike(/^#\s*(?:include|define)\b|^typedef\s|^(?:class|struct|namespace|template)\b/),
  php: cLike(/^(?:(?:public|private|protected|static|final|abstract)\s+)*(?:function\s|class\s|interface\s|trait\s)|^\/\*\*/),
  swift: cLike(
    /^(?:(?:public|private|internal|static|final)\s+)*(?:func\s|class\s|struct\s|enum\s|protocol\s|extension\s|let\s|var\s)|^import\s/,
  ),
  dart: cLike(/^(?:class\s|abstract\s+class\s|import\s|typedef\s)/),
  scala: cLike(/^(?:def\s|class\s|object\s|trait\s|case\s+class\s|val\s|var\s|import\s)/),
};

/** Short names a Markdown fence uses for a language (```ts). */
const FENCE_NAMES: Readonly<Record<string, string>> = {
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  node: "javascript",
  jsx: "javascriptreact",
  ts: "typescript",
  tsx: "typescriptreact",
  py: "python",
  python3: "python",
  rs: "rust",
  golang: "go",
  cs: "csharp",
  "c#": "csharp",
  "c++": "cpp",
  cc: "cpp",
  kt: "kotlin",
};

/** The VS Code language identifier of a language name or a Markdown fence label. */
export function languageIdOf(name: string): string {
  const lower = name.toLowerCase();
  return FENCE_NAMES[lower] ?? lower;
}

/** The syntax of a language (a VS Code identifier or a fence label), or undefined for one we do not scan. */
export function syntaxOf(language: string | undefined): Syntax | undefined {
  return language === undefined ? undefined : SYNTAXES[languageIdOf(language)];
}

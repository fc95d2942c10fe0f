// The part of a document an inline completion's prompt is built from: whole lines before the
// cursor and after it, as many as a token budget holds. Real files are far larger than a model's
// context, and tokenizing a 5 MB document on every keystroke would block the server for seconds,
// so only the window is ever tokenized.

/** Tokens for the text before the cursor and for the text after it. */
export interface PromptBudget {
  readonly prefix: number;
  readonly suffix: number;
}

/**
 * At most this many tokens of document text go into an inline prompt, however large the
 * context. On a CPU the prompt at a new place decides the latency, even evaluated once for all
 * the candidates (model/sharedPrefix.ts): on the embedded model a 10,000-line file's p50 is a
 * 200-line file's (1.07×, both windows full) and 2.6× a 17-line file's (240 ms against 92 ms,
 * `npm run bench:latency`, a loaded 2-core machine). With the context's 960 tokens and every
 * candidate evaluating its own prompt it was 9×.
 */
export const INLINE_PROMPT_TOKENS = 384;
/** Tokens the prompt needs besides the text: FIM markers, a BOS, token healing's extra start. */
const RESERVED_TOKENS = 16;
/** With fill-in-the-middle, the text after the cursor gets this share of the budget. */
const SUFFIX_SHARE = 0.25;
/** A first guess of characters per token, corrected by what the window's tokens really are. */
const CHARS_PER_TOKEN = 4;

/**
 * The budget of an inline prompt: the model's context less the completion's tokens and the
 * reserve, up to INLINE_PROMPT_TOKENS. A model without FIM tokens sees no suffix, so the prefix
 * gets it all.
 */
export function inlinePromptBudget(contextSize: number, maxTokens: number, fillInTheMiddle: boolean): PromptBudget {
  const total = Math.max(0, Math.min(INLINE_PROMPT_TOKENS, contextSize - maxTokens - RESERVED_TOKENS));
  const suffix = fillInTheMiddle ? Math.floor(total * SUFFIX_SHARE) : 0;
  return { prefix: total - suffix, suffix };
}

/**
 * At most this many tokens of other places in the workspace (workspaceContext.ts) go into an inline
 * prompt. They come first in the prompt and change seldom, so the model's cache keeps them from
 * request to request: only a new chunk is evaluated, not the whole of them.
 */
export const INLINE_CONTEXT_TOKENS = 1024;

/** Tokens for context chunks: what the context holds besides the window's budget, the completion and the reserve, up to INLINE_CONTEXT_TOKENS. */
export function inlineContextBudget(contextSize: number, maxTokens: number, window: PromptBudget): number {
  return Math.max(0, Math.min(INLINE_CONTEXT_TOKENS, contextSize - maxTokens - RESERVED_TOKENS - window.prefix - window.suffix));
}

export interface PromptWindow {
  readonly prefix: string;
  readonly suffix: string;
  /** Where the window starts and ends in the document. */
  readonly start: number;
  readonly end: number;
}

/**
 * The text around `offset` that fits `budget`: whole lines before the cursor (the nearest first)
 * and whole lines after it. The cursor's own line is always there, cut only when it alone is over
 * the budget. `countTokens` sees only candidate windows, each at most a few times the budget's
 * worth of characters.
 */
export function windowAround(text: string, offset: number, budget: PromptBudget, countTokens: (text: string) => number): PromptWindow {
  const start =
    offset -
    fit(
      offset,
      budget.prefix,
      (chars) => offset - startBefore(text, offset, chars),
      (chars) => countTokens(text.slice(offset - chars, offset)),
    );
  const end =
    offset +
    fit(
      text.length - offset,
      budget.suffix,
      (chars) => endAfter(text, offset, chars) - offset,
      (chars) => countTokens(text.slice(offset, offset + chars)),
    );
  return { prefix: text.slice(start, offset), suffix: text.slice(offset, end), start, end };
}

/**
 * The length of the widest cut whose text is within `budget` tokens: guesses a number of
 * characters, cuts at a line boundary within them (`cut` gives the cut's length), measures its
 * tokens, and corrects the guess by the characters per token it found.
 */
function fit(available: number, budget: number, cut: (chars: number) => number, tokensOf: (length: number) => number): number {
  let chars = Math.min(available, budget * CHARS_PER_TOKEN);
  for (;;) {
    const length = chars > 0 ? cut(chars) : 0;
    if (length === 0) return 0;
    const tokens = tokensOf(length);
    if (tokens <= budget) return length;
    // Shrink to what the budget holds at this text's characters per token: always below this
    // cut's length (tokens > budget), so each try cuts off at least one more line.
    chars = Math.floor((length * budget) / tokens);
  }
}

/** The first line start at most `chars` before `offset`, or `offset - chars` inside the cursor's line when it is longer. */
function startBefore(text: string, offset: number, chars: number): number {
  if (chars <= 0) return offset;
  const earliest = offset - chars;
  if (earliest <= 0) return 0;
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  if (earliest > lineStart) return notInsideSurrogatePair(text, earliest);
  return text[earliest - 1] === "\n" ? earliest : text.indexOf("\n", earliest) + 1;
}

/** The last line end (after its newline) at most `chars` after `offset`, or `offset + chars` inside the cursor's line when it is longer. */
function endAfter(text: string, offset: number, chars: number): number {
  if (chars <= 0) return offset;
  const latest = offset + chars;
  if (latest >= text.length) return text.length;
  const lineEnd = text.indexOf("\n", offset);
  if (lineEnd < 0 || latest <= lineEnd) return notInsideSurrogatePair(text, latest);
  return text.lastIndexOf("\n", latest - 1) + 1;
}

/** A cut between the two halves of a surrogate pair moves after the pair. */
function notInsideSurrogatePair(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff ? index + 1 : index;
}

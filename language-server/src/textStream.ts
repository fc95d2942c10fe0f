// Turns a trajectory's committed tokens into streamed text spans marked by provenance. Text is
// detokenized from the start each time (so multi-token characters and spacing come out right),
// and a trailing incomplete UTF-8 character is held back until it completes, so the spans
// concatenate to exactly the final text.
import type { Span } from "../../common/protocol";

const REPLACEMENT = "\uFFFD";

export class TextStream {
  private readonly tokens: number[] = [];
  private sent = "";
  /** Where the text ends when the answer ended inside a token (see end()). */
  private limit = Infinity;

  constructor(private readonly detokenize: (tokens: readonly number[]) => string) {}

  /**
   * Appends one step's tokens (the first `fromDraft` of them accepted drafts); returns new spans,
   * which go no further than `settled` characters (text that may still be cut waits).
   */
  push(tokens: readonly number[], fromDraft: number, settled = Infinity): Span[] {
    this.tokens.push(...tokens.slice(0, fromDraft));
    const drafted = this.emit("draft", settled);
    this.tokens.push(...tokens.slice(fromDraft));
    const sampled = this.emit("model", settled);
    return [drafted, sampled].filter((span): span is Span => span !== undefined);
  }

  /** The text ends at `length`: the rest of the last token is never streamed. */
  end(length: number): void {
    this.limit = Math.min(this.limit, length);
  }

  /** Whatever is still held back, at the end of the trajectory. */
  flush(): Span[] {
    const text = this.text;
    const rest = text.slice(this.sent.length);
    this.sent = text;
    return rest ? [{ text: rest, origin: "model" }] : [];
  }

  get text(): string {
    return this.detokenize(this.tokens).slice(0, this.limit);
  }

  private emit(origin: Span["origin"], settled: number): Span | undefined {
    let text = this.text.slice(0, settled);
    while (text.endsWith(REPLACEMENT)) text = text.slice(0, -1);
    if (text.length <= this.sent.length || !text.startsWith(this.sent)) return undefined;
    const span = { text: text.slice(this.sent.length), origin };
    this.sent = text;
    return span;
  }
}

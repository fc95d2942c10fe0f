// Turns a trajectory's committed tokens into streamed text spans marked by provenance. Text is
// detokenized from the start each time (so multi-token characters and spacing come out right),
// and a trailing incomplete UTF-8 character is held back until it completes, so the spans
// concatenate to exactly the final text.
import type { Span } from "../../common/protocol";

const REPLACEMENT = "\uFFFD";

export class TextStream {
  private readonly tokens: number[] = [];
  private sent = "";

  constructor(private readonly detokenize: (tokens: readonly number[]) => string) {}

  /** Appends one step's tokens (the first `fromDraft` of them accepted drafts); returns new spans. */
  push(tokens: readonly number[], fromDraft: number): Span[] {
    this.tokens.push(...tokens.slice(0, fromDraft));
    const drafted = this.emit("draft");
    this.tokens.push(...tokens.slice(fromDraft));
    const sampled = this.emit("model");
    return [drafted, sampled].filter((span): span is Span => span !== undefined);
  }

  /** Whatever is still held back, at the end of the trajectory. */
  flush(): Span[] {
    const text = this.detokenize(this.tokens);
    const rest = text.slice(this.sent.length);
    this.sent = text;
    return rest ? [{ text: rest, origin: "model" }] : [];
  }

  get text(): string {
    return this.detokenize(this.tokens);
  }

  private emit(origin: Span["origin"]): Span | undefined {
    let text = this.detokenize(this.tokens);
    while (text.endsWith(REPLACEMENT)) text = text.slice(0, -1);
    if (text.length <= this.sent.length || !text.startsWith(this.sent)) return undefined;
    const span = { text: text.slice(this.sent.length), origin };
    this.sent = text;
    return span;
  }
}

// A model's vocabulary as text, read once per loaded model: each token's own text, the tokens
// sorted by text (so "every token that starts with ' ret'" is a binary search, not a pass over
// 152k tokens), and the tokens that end generation.
import type { LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };

/** Every token llama.cpp ends generation at: eos, eot and the rest (<|endoftext|>, <|fim_pad|>, …). */
export function endOfGenerationTokens(model: LlamaModel): Token[] {
  const size = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
  return Array.from({ length: size }, (_, token) => token as Token).filter((token) => model.isEogToken(token));
}

export class Vocabulary {
  /** Token ids sorted by their text (code unit order). */
  private readonly sorted: Int32Array;

  private constructor(
    /** Each token's text on its own ("" for control tokens). */
    private readonly texts: readonly string[],
    /** Every token llama.cpp ends generation at: eos, eot and the rest (<|endoftext|>, <|fim_pad|>, …). */
    readonly endOfGeneration: readonly number[],
  ) {
    this.sorted = Int32Array.from(texts.keys()).sort((a, b) => compare(texts[a] ?? "", texts[b] ?? ""));
  }

  /** Reads the vocabulary (about 0.8 s for 152k tokens on a slow CPU, once per model). */
  static of(model: LlamaModel): Vocabulary {
    const size = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
    const texts: string[] = new Array<string>(size);
    for (let token = 0; token < size; token++) texts[token] = model.detokenize([token as Token]);
    return new Vocabulary(texts, endOfGenerationTokens(model));
  }

  /** For tests: a vocabulary from token texts. */
  static fromTexts(texts: readonly string[], endOfGeneration: readonly number[] = []): Vocabulary {
    return new Vocabulary(texts, endOfGeneration);
  }

  get size(): number {
    return this.texts.length;
  }

  textOf(token: number): string {
    return this.texts[token] ?? "";
  }

  /** The tokens whose text starts with `prefix` (not the empty text), or undefined when there are more than `limit`. */
  startingWith(prefix: string, limit: number): number[] | undefined {
    if (prefix.length === 0) return undefined;
    const from = this.lowerBound(prefix);
    // Every text that starts with prefix sorts before prefix followed by the highest code unit.
    const to = this.lowerBound(prefix + "\uffff");
    if (to - from > limit) return undefined;
    return Array.from(this.sorted.subarray(from, to));
  }

  /** The tokens whose text is exactly `text`. */
  spelling(text: string): number[] {
    return (this.startingWith(text, Infinity) ?? []).filter((token) => this.textOf(token) === text);
  }

  private lowerBound(text: string): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(this.textOf(this.sorted[middle] ?? 0), text) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

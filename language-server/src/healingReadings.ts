// Token healing's first reading, kept for the next keystroke. While a word is typed, every
// keystroke's healing prompt backs off to the same place (the word's start), and each keystroke's
// constraint allows a subset of what the one before allowed (tokens that start with "ret" start
// with "re"). The model's distribution among the tokens read there, restricted again and
// renormalised (constrainedDistribution does both), is exactly what a new reading among fewer
// tokens would return. So the word's later keystrokes sample their starts with no model call, and
// decoding's first call, which evaluates the start anyway, is the only one: healing then costs
// what decoding the unhealed prompt costs.
//
// Engine-level (no node-llama-cpp): tokenHealing.ts reads and fills it.
import type { SparseDistribution } from "./stand";

interface KeptReading {
  /** The tokens it was read among. */
  readonly among: ReadonlySet<number>;
  /** The model's distribution among them at the prompt's end, renormalised. */
  readonly distribution: SparseDistribution;
}

/** Places kept: the word being typed, and a few recent ones (a tab switch, an undo). */
const DEFAULT_CAPACITY = 8;

export class HealingReadings {
  /** By prompt, the least recently used first. */
  private readonly kept = new Map<string, KeptReading>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** The distribution kept at the end of `prompt` if it was read among every token of `among`. */
  find(prompt: readonly number[], among: readonly number[]): SparseDistribution | undefined {
    const key = keyOf(prompt);
    const reading = this.kept.get(key);
    if (!reading || !among.every((token) => reading.among.has(token))) return undefined;
    this.kept.delete(key);
    this.kept.set(key, reading);
    return reading.distribution;
  }

  /** Keeps the distribution read among `among` at the end of `prompt` (the oldest place is forgotten past the capacity). */
  keep(prompt: readonly number[], among: readonly number[], distribution: SparseDistribution): void {
    const key = keyOf(prompt);
    this.kept.delete(key);
    this.kept.set(key, { among: new Set(among), distribution });
    for (const oldest of this.kept.keys()) {
      if (this.kept.size <= this.capacity) break;
      this.kept.delete(oldest);
    }
  }

  /** Forgets every place: the next keystroke anywhere reads the model again (npm run bench:vocabulary times that). */
  clear(): void {
    this.kept.clear();
  }
}

function keyOf(prompt: readonly number[]): string {
  return prompt.join(",");
}

// Inline completions already computed, by the prompt window they were computed for (the text
// before and after the cursor). Typing, moving back and forth, undoing and accepting bring the
// same window back often; a hit answers at once, without the model. Like llama.vscode's cache: a
// least-recently-used map of 250 entries, and a completion whose start the user has just typed is
// still a hit (the rest of it is returned).
import { createHash } from "node:crypto";

/** Entries kept: llama.vscode's number. */
export const COMPLETION_CACHE_ENTRIES = 250;
/** How many characters typed through a cached completion are looked back over (never past the cursor's line). */
const TYPED_THROUGH_CHARACTERS = 256;

/** A cache hit: the completions, and how many characters of them the user had typed since they were computed. */
export interface CacheHit {
  readonly completions: string[];
  readonly typedThrough: number;
  /** Whether a prefetch computed them and this is their first use. */
  readonly prefetched: boolean;
}

interface Entry {
  readonly completions: readonly string[];
  /** Computed ahead by a prefetch and not used yet. */
  prefetched: boolean;
}

export class CompletionCache {
  private readonly entries = new Map<string, Entry>();
  /** What the entries were computed with (a model and its settings): another owner empties the cache. */
  private owner: { readonly model: object; readonly settings: string } | undefined;

  constructor(private readonly capacity = COMPLETION_CACHE_ENTRIES) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Empties the cache unless its entries were computed by `model` with these `settings` (only the
   * settings that change a completion belong in it).
   */
  ownedBy(model: object, settings: string): void {
    if (this.owner?.model === model && this.owner.settings === settings) return;
    this.entries.clear();
    this.owner = { model, settings };
  }

  has(prefix: string, suffix: string): boolean {
    return this.entries.has(keyOf(prefix, suffix));
  }

  set(prefix: string, suffix: string, completions: readonly string[], prefetched = false): void {
    const key = keyOf(prefix, suffix);
    this.entries.delete(key);
    this.entries.set(key, { completions: [...completions], prefetched });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
  }

  /**
   * The completions for this window, or for a window whose prefix ended earlier on the cursor's
   * line with a completion that starts with what was typed since: then the rest of it.
   */
  lookup(prefix: string, suffix: string): CacheHit | undefined {
    const lineStart = prefix.lastIndexOf("\n") + 1;
    for (let end = prefix.length; end >= Math.max(lineStart, prefix.length - TYPED_THROUGH_CHARACTERS); end--) {
      const key = keyOf(prefix.slice(0, end), suffix);
      const entry = this.entries.get(key);
      if (!entry) continue;
      const typed = prefix.slice(end);
      const rest = entry.completions.filter(
        (completion) => completion.startsWith(typed) && (typed === "" || completion.length > typed.length),
      );
      if (typed !== "" && rest.length === 0) continue;
      // Most recently used last: Map keeps insertion order.
      this.entries.delete(key);
      this.entries.set(key, entry);
      const prefetched = entry.prefetched;
      entry.prefetched = false;
      return { completions: rest.map((completion) => completion.slice(typed.length)), typedThrough: typed.length, prefetched };
    }
    return undefined;
  }
}

/** The window's digest: entries hold 32 bytes of key, not the window's kilobytes. */
function keyOf(prefix: string, suffix: string): string {
  return createHash("sha256").update(prefix).update("\u0000").update(suffix).digest("base64");
}

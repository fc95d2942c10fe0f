import { pointMass, type SparseDistribution } from "./distribution";
import { Random } from "./random";

/** Longest key the table supports; context windows hold this many tokens. */
export const CONTEXT_WINDOW = 4;
/** How many next tokens an entry keeps (the paper's top 10). */
export const ENTRY_TOP_K = 10;

export interface NgramTableOptions {
  /** Cap on entries (all key lengths together); the least recently used are evicted beyond it. */
  readonly maxEntries?: number;
  /** Shortest key used for lookup and learning (1 = Token Recycling's single-token key). */
  readonly minKeyLength?: number;
  /** Longest key, at most CONTEXT_WINDOW. */
  readonly maxKeyLength?: number;
  /**
   * The running mean weighs an observation 1/(k+1) after k visits; k stops growing here so that a
   * long-lived (persisted) table keeps adapting instead of freezing.
   */
  readonly visitCap?: number;
}

/** One entry as NgramTable.cursor() shows it: valid arrays are key[0..keyLength) and tokens/probs[0..tokenCount). */
export interface EntryCursor {
  readonly keyLength: number;
  readonly tokenCount: number;
  readonly visits: number;
  readonly key: Int32Array;
  readonly tokens: Int32Array;
  readonly probs: Float32Array;
}

/** One entry's stored distribution, in decreasing probability (not renormalised after pruning). */
export interface TableEntry {
  readonly key: Int32Array;
  readonly tokens: Int32Array;
  readonly probs: Float32Array;
  readonly visits: number;
}

const EMPTY = 0;
const EVICTION_SEED = 0x5eed;
const EVICTION_SAMPLE = 8;
/** Entry numbers are below this (maxEntries is at most 2^21). */
const ENTRY_NUMBERS = 2 ** 21;

/**
 * The adaptive n-gram table: for each recent context (the last 1..4 tokens) a sparse next-token
 * distribution built from the target model's own probabilities, updated as a running mean and
 * pruned to the top 10. One table serves every trajectory of a request (and can outlive it).
 *
 * Storage is a set of flat typed arrays indexed by entry number plus an open-addressing hash index
 * with linear probing, so memory is fixed by `maxEntries` and no per-entry objects are allocated.
 * Contexts are passed as right-aligned windows: `windows[offset + CONTEXT_WINDOW - 1]` is the most
 * recent token and `available` says how many of the window's tokens are real.
 */
export class NgramTable {
  readonly maxEntries: number;
  readonly minKeyLength: number;
  readonly maxKeyLength: number;
  readonly visitCap: number;

  private entryCount = 0;
  private clock = 0;
  private readonly keys: Int32Array;
  private readonly keyLengths: Uint8Array;
  private readonly hashes: Uint32Array;
  private readonly tokenCounts: Uint8Array;
  private readonly visits: Uint32Array;
  private readonly lastUse: Uint32Array;
  private readonly tokens: Int32Array;
  private readonly probs: Float32Array;
  private readonly index: Int32Array;
  private readonly indexMask: number;
  private evictionRandom = new Random(EVICTION_SEED);
  /**
   * Each entry's last draft distribution and its temperature, until the entry changes: drafting a
   * tree or N trajectories looks the same entries up many times per step.
   */
  private readonly drafts: ({ readonly temperature: number; readonly q: SparseDistribution } | undefined)[];

  // Scratch space for one observation and one merge, reused to avoid allocation on the hot path.
  private readonly observedTokens = new Int32Array(ENTRY_TOP_K);
  private readonly observedProbs = new Float64Array(ENTRY_TOP_K);
  /** The observed distribution's p^T, before normalising (grown to the largest distribution seen). */
  private observedPowers = new Float64Array(64);
  private readonly mergeTokens = new Int32Array(2 * ENTRY_TOP_K);
  private readonly mergeProbs = new Float64Array(2 * ENTRY_TOP_K);

  constructor(options: NgramTableOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1 << 16;
    this.minKeyLength = options.minKeyLength ?? 1;
    this.maxKeyLength = options.maxKeyLength ?? CONTEXT_WINDOW;
    this.visitCap = options.visitCap ?? 32;
    if (!(this.maxEntries >= 1 && this.maxEntries <= ENTRY_NUMBERS)) throw new RangeError(`maxEntries must be from 1 to ${ENTRY_NUMBERS}`);
    if (!(this.minKeyLength >= 1 && this.minKeyLength <= this.maxKeyLength && this.maxKeyLength <= CONTEXT_WINDOW)) {
      throw new RangeError(`key lengths must satisfy 1 ≤ min ≤ max ≤ ${CONTEXT_WINDOW}`);
    }
    const capacity = this.maxEntries;
    this.keys = new Int32Array(capacity * CONTEXT_WINDOW);
    this.keyLengths = new Uint8Array(capacity);
    this.hashes = new Uint32Array(capacity);
    this.tokenCounts = new Uint8Array(capacity);
    this.visits = new Uint32Array(capacity);
    this.lastUse = new Uint32Array(capacity);
    this.tokens = new Int32Array(capacity * ENTRY_TOP_K);
    this.probs = new Float32Array(capacity * ENTRY_TOP_K);
    let indexSize = 1;
    while (indexSize < capacity * 2) indexSize *= 2;
    this.index = new Int32Array(indexSize);
    this.indexMask = indexSize - 1;
    this.drafts = new Array<undefined>(capacity);
  }

  get size(): number {
    return this.entryCount;
  }

  /** Bytes held by the table's arrays (fixed by maxEntries). */
  get byteLength(): number {
    return [
      this.keys,
      this.keyLengths,
      this.hashes,
      this.tokenCounts,
      this.visits,
      this.lastUse,
      this.tokens,
      this.probs,
      this.index,
    ].reduce((total, array) => total + array.byteLength, 0);
  }

  /**
   * Forgets every entry, keeping the arrays: the table is then as if new, without allocating and
   * zeroing its megabytes again (what a benchmark that starts each run from an empty table needs).
   */
  clear(): void {
    this.entryCount = 0;
    this.clock = 0;
    this.index.fill(EMPTY);
    this.drafts.fill(undefined);
    this.evictionRandom = new Random(EVICTION_SEED);
  }

  /** Longest-match lookup: tries the longest available key first, down to minKeyLength. */
  lookup(windows: Int32Array, offset: number, available: number): number {
    for (let length = Math.min(this.maxKeyLength, available); length >= this.minKeyLength; length--) {
      const entry = this.find(windows, offset, length);
      if (entry >= 0) {
        this.lastUse[entry] = this.clock;
        return entry;
      }
    }
    return -1;
  }

  /** The entry whose key is exactly the last `length` tokens of the window, or -1. */
  find(windows: Int32Array, offset: number, length: number): number {
    const hash = hashKey(windows, offset, length);
    for (let slot = hash & this.indexMask; ; slot = (slot + 1) & this.indexMask) {
      const stored = this.index[slot] ?? 0;
      if (stored === EMPTY) return -1;
      const entry = stored - 1;
      if (this.hashes[entry] === hash && this.keyMatches(entry, windows, offset, length)) return entry;
    }
  }

  /**
   * Learns that the target's distribution after this context was `distribution`, sampled at
   * `temperature`. The table stores temperature-1 probabilities (p^T renormalised over the given
   * support) so that one table serves requests at different temperatures; a greedy (T = 0)
   * observation is a point mass and is stored as it is.
   */
  observe(windows: Int32Array, offset: number, available: number, distribution: SparseDistribution, temperature: number): void {
    const observedCount = this.prepareObservation(distribution, temperature);
    if (observedCount === 0) return;
    this.clock++;
    const longest = Math.min(this.maxKeyLength, available);
    for (let length = this.minKeyLength; length <= longest; length++) {
      let entry = this.find(windows, offset, length);
      if (entry < 0) entry = this.insertKey(windows, offset, length);
      this.merge(entry, observedCount);
      this.lastUse[entry] = this.clock;
    }
  }

  /** Learns a token sequence as certain continuations (text the user wrote or accepted). */
  observeSequence(tokens: readonly number[]): void {
    const window = new Int32Array(CONTEXT_WINDOW);
    tokens.forEach((token, i) => {
      const previous = tokens[i - 1];
      if (previous === undefined) return;
      window.copyWithin(0, 1);
      window[CONTEXT_WINDOW - 1] = previous;
      this.observe(window, 0, Math.min(i, CONTEXT_WINDOW), pointMass(token), 1);
    });
  }

  /**
   * The entry's distribution as a draft distribution q at `temperature`: q ∝ stored^(1/T),
   * normalised over the stored tokens. At T = 0 the stored probabilities are returned normalised
   * (greedy drafters only use their order). The distribution is shared: callers must not change it.
   */
  draftDistribution(entry: number, temperature: number): SparseDistribution {
    const cached = this.drafts[entry];
    if (cached?.temperature === temperature) return cached.q;
    const count = this.tokenCounts[entry] ?? 0;
    const base = entry * ENTRY_TOP_K;
    const tokens = this.tokens.slice(base, base + count);
    const probs = new Float64Array(count);
    const exponent = temperature > 0 ? 1 / temperature : 1;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const weight = exponent === 1 ? (this.probs[base + i] ?? 0) : Math.pow(this.probs[base + i] ?? 0, exponent);
      probs[i] = weight;
      total += weight;
    }
    if (total > 0) for (let i = 0; i < count; i++) probs[i] = (probs[i] ?? 0) / total;
    const q = { tokens, probs };
    this.drafts[entry] = { temperature, q };
    return q;
  }

  /** Length of the entry's key (longer keys are more specific evidence). */
  keyLength(entry: number): number {
    return this.keyLengths[entry] ?? 0;
  }

  /** A copy of one entry, for inspection and persistence. */
  entry(entry: number): TableEntry {
    const length = this.keyLengths[entry] ?? 0;
    const keyBase = entry * CONTEXT_WINDOW;
    const base = entry * ENTRY_TOP_K;
    const count = this.tokenCounts[entry] ?? 0;
    return {
      key: this.keys.slice(keyBase + CONTEXT_WINDOW - length, keyBase + CONTEXT_WINDOW),
      tokens: this.tokens.slice(base, base + count),
      probs: this.probs.slice(base, base + count),
      visits: this.visits[entry] ?? 0,
    };
  }

  /** Entries from least to most recently used, so that restoring them in order keeps recency. */
  *entries(): IterableIterator<TableEntry> {
    for (const entry of this.usageOrder()) yield this.entry(entry);
  }

  /**
   * entries() without allocating: one cursor, refilled for each entry in turn (see EntryCursor).
   * Persisting a full table through entries() would allocate hundreds of thousands of typed arrays.
   */
  *cursor(): IterableIterator<EntryCursor> {
    const cursor = {
      keyLength: 0,
      tokenCount: 0,
      visits: 0,
      key: new Int32Array(CONTEXT_WINDOW),
      tokens: new Int32Array(ENTRY_TOP_K),
      probs: new Float32Array(ENTRY_TOP_K),
    };
    for (const entry of this.usageOrder()) {
      const keyLength = this.keyLengths[entry] ?? 0;
      const keyEnd = (entry + 1) * CONTEXT_WINDOW;
      const base = entry * ENTRY_TOP_K;
      const tokenCount = this.tokenCounts[entry] ?? 0;
      cursor.keyLength = keyLength;
      cursor.tokenCount = tokenCount;
      cursor.visits = this.visits[entry] ?? 0;
      cursor.key.set(this.keys.subarray(keyEnd - keyLength, keyEnd));
      cursor.tokens.set(this.tokens.subarray(base, base + tokenCount));
      cursor.probs.set(this.probs.subarray(base, base + tokenCount));
      yield cursor;
    }
  }

  /** Entry numbers from least to most recently used. */
  private usageOrder(): Uint32Array {
    // One native sort of (last use, entry) pairs packed into doubles: a comparator sort of a full
    // table's entry numbers takes far longer. Last use < 2^32 and entry < 2^21 fit in 53 bits.
    const packed = new Float64Array(this.entryCount);
    for (let entry = 0; entry < this.entryCount; entry++) packed[entry] = (this.lastUse[entry] ?? 0) * ENTRY_NUMBERS + entry;
    packed.sort();
    return Uint32Array.from(packed, (value) => value % ENTRY_NUMBERS);
  }

  /** Whether every token of every key and distribution is an id below `vocabularySize` (and not negative). */
  tokensBelow(vocabularySize: number): boolean {
    const outside = (token: number): boolean => token < 0 || token >= vocabularySize;
    for (let entry = 0; entry < this.entryCount; entry++) {
      const keyEnd = (entry + 1) * CONTEXT_WINDOW;
      const base = entry * ENTRY_TOP_K;
      if (this.keys.subarray(keyEnd - (this.keyLengths[entry] ?? 0), keyEnd).some(outside)) return false;
      if (this.tokens.subarray(base, base + (this.tokenCounts[entry] ?? 0)).some(outside)) return false;
    }
    return true;
  }

  /** An independent copy: a snapshot to save while this table goes on learning. */
  copy(): NgramTable {
    const copy = new NgramTable(this);
    copy.entryCount = this.entryCount;
    copy.clock = this.clock;
    copy.evictionRandom = this.evictionRandom.copy();
    for (const name of ["keys", "keyLengths", "hashes", "tokenCounts", "visits", "lastUse", "tokens", "probs", "index"] as const) {
      copy[name].set(this[name]);
    }
    return copy;
  }

  /** Inserts or replaces an entry as it was saved (used when loading a persisted table). */
  restore(saved: TableEntry): void {
    const length = saved.key.length;
    if (length < 1 || length > CONTEXT_WINDOW) throw new RangeError(`key length ${length} is out of range`);
    if (saved.tokens.length > ENTRY_TOP_K || saved.tokens.length !== saved.probs.length) throw new RangeError("bad entry distribution");
    const window = new Int32Array(CONTEXT_WINDOW);
    window.set(saved.key, CONTEXT_WINDOW - length);
    let entry = this.find(window, 0, length);
    if (entry < 0) entry = this.insertKey(window, 0, length);
    const base = entry * ENTRY_TOP_K;
    this.tokens.set(saved.tokens, base);
    this.probs.set(saved.probs, base);
    this.tokenCounts[entry] = saved.tokens.length;
    this.visits[entry] = saved.visits;
    this.drafts[entry] = undefined;
    this.lastUse[entry] = ++this.clock;
  }

  private keyMatches(entry: number, windows: Int32Array, offset: number, length: number): boolean {
    if (this.keyLengths[entry] !== length) return false;
    const keyBase = entry * CONTEXT_WINDOW + CONTEXT_WINDOW - length;
    const windowBase = offset + CONTEXT_WINDOW - length;
    for (let i = 0; i < length; i++) {
      if (this.keys[keyBase + i] !== windows[windowBase + i]) return false;
    }
    return true;
  }

  private insertKey(windows: Int32Array, offset: number, length: number): number {
    if (this.entryCount === this.maxEntries) this.evictOne();
    const entry = this.entryCount++;
    const hash = hashKey(windows, offset, length);
    const keyBase = entry * CONTEXT_WINDOW;
    this.keys.fill(0, keyBase, keyBase + CONTEXT_WINDOW);
    for (let i = CONTEXT_WINDOW - length; i < CONTEXT_WINDOW; i++) this.keys[keyBase + i] = windows[offset + i] ?? 0;
    this.keyLengths[entry] = length;
    this.hashes[entry] = hash;
    this.tokenCounts[entry] = 0;
    this.visits[entry] = 0;
    this.drafts[entry] = undefined;
    this.lastUse[entry] = this.clock;
    let slot = hash & this.indexMask;
    while (this.index[slot] !== EMPTY) slot = (slot + 1) & this.indexMask;
    this.index[slot] = entry + 1;
    return entry;
  }

  /** Approximate LRU: of a few entries picked at random, evict the one unused for longest. */
  private evictOne(): void {
    let victim = this.evictionRandom.nextInt(this.entryCount);
    for (let i = 1; i < EVICTION_SAMPLE; i++) {
      const candidate = this.evictionRandom.nextInt(this.entryCount);
      if ((this.lastUse[candidate] ?? 0) < (this.lastUse[victim] ?? 0)) victim = candidate;
    }
    this.removeEntry(victim);
  }

  private slotOf(entry: number): number {
    for (let slot = (this.hashes[entry] ?? 0) & this.indexMask; ; slot = (slot + 1) & this.indexMask) {
      if (this.index[slot] === entry + 1) return slot;
    }
  }

  private removeEntry(entry: number): void {
    // Backward-shift deletion keeps linear probing correct without tombstones.
    let hole = this.slotOf(entry);
    for (let next = (hole + 1) & this.indexMask; this.index[next] !== EMPTY; next = (next + 1) & this.indexMask) {
      const home = (this.hashes[(this.index[next] ?? 0) - 1] ?? 0) & this.indexMask;
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (stays) continue;
      this.index[hole] = this.index[next] ?? 0;
      hole = next;
    }
    this.index[hole] = EMPTY;

    // Keep entries dense: the last entry moves into the freed storage.
    const last = --this.entryCount;
    if (entry === last) return;
    this.index[this.slotOf(last)] = entry + 1;
    this.keys.copyWithin(entry * CONTEXT_WINDOW, last * CONTEXT_WINDOW, (last + 1) * CONTEXT_WINDOW);
    this.tokens.copyWithin(entry * ENTRY_TOP_K, last * ENTRY_TOP_K, (last + 1) * ENTRY_TOP_K);
    this.probs.copyWithin(entry * ENTRY_TOP_K, last * ENTRY_TOP_K, (last + 1) * ENTRY_TOP_K);
    this.keyLengths[entry] = this.keyLengths[last] ?? 0;
    this.hashes[entry] = this.hashes[last] ?? 0;
    this.tokenCounts[entry] = this.tokenCounts[last] ?? 0;
    this.visits[entry] = this.visits[last] ?? 0;
    this.drafts[entry] = this.drafts[last];
    this.drafts[last] = undefined;
    this.lastUse[entry] = this.lastUse[last] ?? 0;
  }

  /** Fills the observation scratch with the top ENTRY_TOP_K tokens at temperature 1. */
  private prepareObservation(distribution: SparseDistribution, temperature: number): number {
    const { tokens, probs } = distribution;
    const exponent = temperature > 0 ? temperature : 1;
    // At temperature 1 the observation is taken as it is (it may be the top of a larger
    // distribution); otherwise p^T is renormalised over the support the sampler returned.
    // p^T once per token (the drafter learns from every distribution the target computes).
    if (this.observedPowers.length < probs.length) this.observedPowers = new Float64Array(probs.length * 2);
    const powers = this.observedPowers;
    let total = 0;
    for (let i = 0; i < probs.length; i++) {
      const power = exponent === 1 ? (probs[i] ?? 0) : Math.pow(probs[i] ?? 0, exponent);
      powers[i] = power;
      total += power;
    }
    if (exponent === 1) total = 1;
    else if (!(total > 0)) return 0;
    let count = 0;
    for (let i = 0; i < probs.length; i++) {
      const weight = (powers[i] ?? 0) / total;
      if (!(weight > 0)) continue;
      if (count === ENTRY_TOP_K && weight <= (this.observedProbs[count - 1] ?? 0)) continue;
      let position = count < ENTRY_TOP_K ? count++ : count - 1;
      while (position > 0 && (this.observedProbs[position - 1] ?? 0) < weight) {
        this.observedProbs[position] = this.observedProbs[position - 1] ?? 0;
        this.observedTokens[position] = this.observedTokens[position - 1] ?? 0;
        position--;
      }
      this.observedProbs[position] = weight;
      this.observedTokens[position] = tokens[i] ?? 0;
    }
    return count;
  }

  /** dist ← k/(k+1)·dist + 1/(k+1)·observed, then keep the top ENTRY_TOP_K. */
  private merge(entry: number, observedCount: number): void {
    const k = Math.min(this.visits[entry] ?? 0, this.visitCap);
    const keep = k / (k + 1);
    const learn = 1 / (k + 1);
    const base = entry * ENTRY_TOP_K;
    const storedCount = this.tokenCounts[entry] ?? 0;
    let count = 0;
    for (let i = 0; i < storedCount; i++) {
      this.mergeTokens[count] = this.tokens[base + i] ?? 0;
      this.mergeProbs[count++] = keep * (this.probs[base + i] ?? 0);
    }
    for (let i = 0; i < observedCount; i++) {
      const token = this.observedTokens[i] ?? 0;
      let position = 0;
      while (position < storedCount && this.mergeTokens[position] !== token) position++;
      if (position < storedCount) {
        this.mergeProbs[position] = (this.mergeProbs[position] ?? 0) + learn * (this.observedProbs[i] ?? 0);
      } else {
        this.mergeTokens[count] = token;
        this.mergeProbs[count++] = learn * (this.observedProbs[i] ?? 0);
      }
    }
    // Insertion sort by decreasing probability (at most 20 items), then prune to the top 10.
    for (let i = 1; i < count; i++) {
      const token = this.mergeTokens[i] ?? 0;
      const probability = this.mergeProbs[i] ?? 0;
      let position = i;
      while (position > 0 && (this.mergeProbs[position - 1] ?? 0) < probability) {
        this.mergeTokens[position] = this.mergeTokens[position - 1] ?? 0;
        this.mergeProbs[position] = this.mergeProbs[position - 1] ?? 0;
        position--;
      }
      this.mergeTokens[position] = token;
      this.mergeProbs[position] = probability;
    }
    const kept = Math.min(count, ENTRY_TOP_K);
    for (let i = 0; i < kept; i++) {
      this.tokens[base + i] = this.mergeTokens[i] ?? 0;
      this.probs[base + i] = this.mergeProbs[i] ?? 0;
    }
    this.tokenCounts[entry] = kept;
    this.visits[entry] = (this.visits[entry] ?? 0) + 1;
    this.drafts[entry] = undefined;
  }
}

/** FNV-1a over the key's tokens and length, then a murmur3 finaliser for the low bits. */
function hashKey(windows: Int32Array, offset: number, length: number): number {
  let hash = 0x811c9dc5 ^ length;
  for (let i = offset + CONTEXT_WINDOW - length; i < offset + CONTEXT_WINDOW; i++) {
    hash = Math.imul(hash ^ (windows[i] ?? 0), 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CONTEXT_WINDOW,
  NgramTable,
  TableFormatError,
  deserializeTable,
  serializeTable,
  type SparseDistribution,
} from "../../language-server/src/stand";

/** A right-aligned context window for the last tokens of `context`. */
function windowOf(context: readonly number[]): [Int32Array, number] {
  const window = new Int32Array(CONTEXT_WINDOW);
  const available = Math.min(CONTEXT_WINDOW, context.length);
  window.set(context.slice(context.length - available), CONTEXT_WINDOW - available);
  return [window, available];
}

function distribution(entries: Record<number, number>): SparseDistribution {
  const tokens = Object.keys(entries).map(Number);
  return { tokens: Int32Array.from(tokens), probs: Float64Array.from(tokens.map((token) => entries[token] ?? 0)) };
}

function storedAfter(table: NgramTable, context: number[]): Record<number, number> {
  const [window, available] = windowOf(context);
  const entry = table.find(window, 0, available);
  assert.ok(entry >= 0, `no entry for ${context.join(",")}`);
  const { tokens, probs } = table.entry(entry);
  return Object.fromEntries(Array.from(tokens, (token, i) => [token, probs[i] ?? 0]));
}

function assertClose(actual: Record<number, number>, expected: Record<number, number>): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [token, probability] of Object.entries(expected)) {
    const stored = actual[Number(token)] ?? NaN;
    assert.ok(Math.abs(stored - probability) < 1e-7, `token ${token}: ${stored} ≠ ${probability}`);
  }
}

describe("n-gram table", () => {
  const [I, am, Bob, Mary, Tom, Sue] = [1, 2, 10, 11, 12, 13];

  test("reproduces the worked 'I am → Bob/Mary/Tom/Sue' running-mean example", () => {
    const table = new NgramTable({ minKeyLength: 2, maxKeyLength: 2 });
    const [window, available] = windowOf([I, am]);
    table.observe(window, 0, available, distribution({ [Bob]: 0.7, [Mary]: 0.2, [Tom]: 0.05 }), 1);
    assertClose(storedAfter(table, [I, am]), { [Bob]: 0.7, [Mary]: 0.2, [Tom]: 0.05 });
    table.observe(window, 0, available, distribution({ [Bob]: 0.3, [Mary]: 0.6, [Sue]: 0.05 }), 1);
    assertClose(storedAfter(table, [I, am]), { [Bob]: 0.5, [Mary]: 0.4, [Tom]: 0.025, [Sue]: 0.025 });
    const entry = table.find(window, 0, 2);
    assert.equal(table.entry(entry).visits, 2);
    assert.deepEqual(Array.from(table.entry(entry).tokens), [Bob, Mary, Tom, Sue], "kept in decreasing probability");
  });

  test("prunes to the 10 most likely tokens", () => {
    const table = new NgramTable();
    const [window, available] = windowOf([5]);
    const wide = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [100 + i, (30 - i) / 465]));
    table.observe(window, 0, available, distribution(wide), 1);
    const stored = storedAfter(table, [5]);
    assert.deepEqual(
      Object.keys(stored)
        .map(Number)
        .sort((a, b) => a - b),
      Array.from({ length: 10 }, (_, i) => 100 + i),
    );
  });

  test("looks up the longest matching key first, down to one token", () => {
    const table = new NgramTable();
    const [longWindow, longAvailable] = windowOf([1, 2, 3, 4]);
    table.observe(longWindow, 0, longAvailable, distribution({ 50: 1 }), 1);
    // Same last token, different history: only the 1-token key matches.
    const [other, otherAvailable] = windowOf([9, 9, 9, 4]);
    table.observe(other, 0, otherAvailable, distribution({ 60: 1 }), 1);
    const hit = (context: number[]): number[] => {
      const [window, available] = windowOf(context);
      return Array.from(table.entry(table.lookup(window, 0, available)).tokens);
    };
    assert.deepEqual(hit([1, 2, 3, 4]), [50], "the 4-token key wins");
    assert.deepEqual(hit([9, 9, 9, 4]), [60]);
    assert.deepEqual(hit([7, 2, 3, 4]), [50], "falls back to the 3-token key [2,3,4]");
    assert.deepEqual(hit([7, 7, 7, 4]).sort(), [50, 60], "falls back to the shared 1-token key [4]");
    const [miss, missAvailable] = windowOf([8]);
    assert.equal(table.lookup(miss, 0, missAvailable), -1);
  });

  test("stores temperature-1 probabilities and drafts at the request's temperature", () => {
    const table = new NgramTable();
    const [window, available] = windowOf([3]);
    // The target's sampler at T = 0.5 sharpened a base distribution {0.6, 0.3, 0.1}.
    const base = [0.6, 0.3, 0.1];
    const sharpened = base.map((p) => p ** 2);
    const total = sharpened.reduce((a, b) => a + b);
    table.observe(window, 0, available, { tokens: Int32Array.of(7, 8, 9), probs: Float64Array.from(sharpened.map((p) => p / total)) }, 0.5);
    assertClose(storedAfter(table, [3]), { 7: 0.6, 8: 0.3, 9: 0.1 });
    const q = table.draftDistribution(table.lookup(window, 0, available), 0.5);
    sharpened.forEach((p, i) => {
      assert.ok(Math.abs((q.probs[i] ?? NaN) - p / total) < 1e-6);
    });
  });

  test("memory is bounded: entries never exceed the cap and recently used keys survive eviction", () => {
    const table = new NgramTable({ maxEntries: 64, minKeyLength: 1, maxKeyLength: 1 });
    const observe = (token: number): void => {
      const [window, available] = windowOf([token]);
      table.observe(window, 0, available, distribution({ [token + 1]: 1 }), 1);
    };
    const bytes = table.byteLength;
    for (let token = 0; token < 5_000; token++) {
      observe(token);
      if (token % 10 === 0) observe(-1); // one hot key, used throughout
      assert.ok(table.size <= 64);
    }
    assert.equal(table.size, 64);
    assert.equal(table.byteLength, bytes, "the arrays never grow");
    const [hot, hotAvailable] = windowOf([-1]);
    assert.ok(table.find(hot, 0, hotAvailable) >= 0, "the frequently used key was kept");
    const [recent, recentAvailable] = windowOf([4_999]);
    assert.ok(table.find(recent, 0, recentAvailable) >= 0, "the newest key is present");
    const survivorsFromFirstHalf = Array.from({ length: 2_500 }, (_, token) => windowOf([token])).filter(
      ([window, available]) => table.find(window, 0, available) >= 0,
    ).length;
    assert.ok(survivorsFromFirstHalf <= 4, `${survivorsFromFirstHalf} stale keys survived`);
    // Every stored key can still be found after thousands of evictions (the hash index stays consistent).
    for (const entry of table.entries()) {
      const [window, available] = windowOf(Array.from(entry.key));
      assert.ok(table.find(window, 0, available) >= 0);
    }
  });

  test("clear() leaves a table that learns exactly as a new one, evictions included", () => {
    const learn = (table: NgramTable): void => {
      for (let token = 0; token < 500; token++) {
        const [window, available] = windowOf([token % 97, token % 13, token]);
        table.observe(window, 0, available, distribution({ [token + 1]: 0.7, [token + 2]: 0.3 }), 1);
      }
    };
    const used = new NgramTable({ maxEntries: 64 });
    learn(used);
    const [first, firstAvailable] = windowOf([0, 0, 0]);
    assert.ok(used.find(first, 0, firstAvailable) < 0, "the table was full and evicting before it was cleared");
    used.clear();
    assert.equal(used.size, 0);
    const [late, lateAvailable] = windowOf([499 % 97, 499 % 13, 499]);
    assert.equal(used.lookup(late, 0, lateAvailable), -1, "nothing learned before clear() is found");
    const fresh = new NgramTable({ maxEntries: 64 });
    learn(fresh);
    learn(used);
    assert.deepEqual(Array.from(used.entries()), Array.from(fresh.entries()));
  });

  test("round-trips through its versioned file format, metadata and recency included", () => {
    const table = new NgramTable({ maxEntries: 1000, visitCap: 16 });
    for (let i = 0; i < 300; i++) {
      const [window, available] = windowOf([i % 17, i % 5, i % 3]);
      table.observe(window, 0, available, distribution({ [i % 11]: 0.5, [(i + 1) % 11]: 0.3, [(i + 2) % 11]: 0.2 }), 1);
    }
    const bytes = serializeTable(table, { model: "test.gguf", vocabularySize: 11 });
    const { table: loaded, metadata } = deserializeTable(bytes);
    assert.deepEqual(metadata, { model: "test.gguf", vocabularySize: 11 });
    assert.equal(loaded.size, table.size);
    assert.equal(loaded.visitCap, 16);
    assert.deepEqual([...loaded.entries()], [...table.entries()]);
  });

  test("a corrupt file is refused with TableFormatError, never a crash", () => {
    const table = new NgramTable();
    const [window, available] = windowOf([1, 2]);
    table.observe(window, 0, available, distribution({ 3: 1 }), 1);
    const bytes = serializeTable(table);
    const corruptions: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["truncated", bytes.subarray(0, bytes.length - 3)],
      ["wrong magic", Uint8Array.from(bytes, (byte, i) => (i === 0 ? 0 : byte))],
      ["future version", Uint8Array.from(bytes, (byte, i) => (i === 4 ? 99 : byte))],
      ["trailing bytes", Uint8Array.from([...bytes, 1, 2, 3])],
      ["random bytes", Uint8Array.from({ length: 200 }, (_, i) => (i * 7919) % 251)],
    ];
    for (const [name, corrupt] of corruptions) {
      assert.throws(() => deserializeTable(corrupt), TableFormatError, name);
    }
  });
});

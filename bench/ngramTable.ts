// `npm run bench:table`: how fast the n-gram table learns and answers, and what an entry costs in
// memory. Observations are top-40 distributions (what a real sampler returns) over a 32k vocabulary.
import { CONTEXT_WINDOW, NgramTable, Random, type SparseDistribution } from "../language-server/src/stand";

const VOCABULARY = 32_000;
const OBSERVATIONS = 200_000;
const MAX_ENTRIES = 1 << 18;

const random = new Random(1);
const contexts = Array.from({ length: 50_000 }, () => Int32Array.from({ length: CONTEXT_WINDOW }, () => random.nextInt(VOCABULARY)));
const distributions: SparseDistribution[] = Array.from({ length: 1_000 }, () => {
  const tokens = Int32Array.from({ length: 40 }, () => random.nextInt(VOCABULARY));
  const weights = Float64Array.from({ length: 40 }, (_, i) => Math.exp(-0.3 * i));
  const total = weights.reduce((a, b) => a + b);
  return { tokens, probs: weights.map((weight) => weight / total) };
});

const table = new NgramTable({ maxEntries: MAX_ENTRIES });
let start = performance.now();
for (let i = 0; i < OBSERVATIONS; i++) {
  // Zipf-like reuse of contexts, as text repeats itself.
  const context = contexts[Math.floor(contexts.length * random.next() ** 3)];
  const distribution = distributions[i % distributions.length];
  if (context && distribution) table.observe(context, 0, CONTEXT_WINDOW, distribution, 0.7);
}
const observeSeconds = (performance.now() - start) / 1000;
const keyUpdates = OBSERVATIONS * (table.maxKeyLength - table.minKeyLength + 1);

start = performance.now();
let hits = 0;
for (let i = 0; i < OBSERVATIONS; i++) {
  const context = contexts[i % contexts.length];
  if (context && table.lookup(context, 0, CONTEXT_WINDOW) >= 0) hits++;
}
const lookupSeconds = (performance.now() - start) / 1000;

console.log(
  `observations (top-40, T = 0.7, keys of 1..4 tokens): ${(OBSERVATIONS / observeSeconds / 1000).toFixed(0)} k/s = ${(keyUpdates / observeSeconds / 1e6).toFixed(2)} M entry updates/s`,
);
console.log(
  `longest-match lookups: ${(OBSERVATIONS / lookupSeconds / 1e6).toFixed(2)} M/s (${((100 * hits) / OBSERVATIONS).toFixed(0)} % hits)`,
);
console.log(
  `entries: ${table.size} of ${table.maxEntries}; ${(table.byteLength / table.maxEntries).toFixed(0)} bytes per entry slot; ${(table.byteLength / 2 ** 20).toFixed(1)} MiB in all`,
);

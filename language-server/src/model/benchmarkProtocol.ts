// How the benchmark runs its methods so that their comparison is fair: the sampler users get, an
// order that gives no method a fixed place or a fixed predecessor, and seeds that differ between
// runs and sequences.
import { defaultSettings } from "../../../common/protocol";
import { samplingFrom } from "../decoding";
import { greedySampling, type SamplingOptions } from "../stand";

/** The sampler at a temperature: greedy at T = 0, else `sampler` (by default the product's, defaultSettings). */
export function benchmarkSampling(
  temperature: number,
  sampler: Omit<SamplingOptions, "temperature"> = samplingFrom(defaultSettings),
): SamplingOptions {
  return temperature === 0 ? greedySampling : { topK: sampler.topK, topP: sampler.topP, minP: sampler.minP, temperature };
}

/**
 * The order methods run in for one prompt of one repetition (each is a turn): the rows of a
 * Williams design, so that over M turns (2M for an odd number M of methods) every method runs in
 * every place equally often and right after every other method equally often. A run leaves the
 * next one the machine in its state (garbage to collect, caches, llama.cpp's buffers): with the
 * methods only rotated, each ran after the same one in all but one turn of M, and at N = 4, T = 0
 * two methods that draft the same tokens differed by 3–4 %, the difference following their places.
 */
export function runOrder<T>(items: readonly T[], turn: number): T[] {
  const count = items.length;
  if (count === 0) return [];
  // 0, 1, M − 1, 2, M − 2, …: shifted by one place per turn, every ordered pair is adjacent once.
  const base = Array.from({ length: count }, (_, j) => (j === 0 ? 0 : j % 2 === 1 ? (j + 1) / 2 : count - j / 2));
  const cycle = count % 2 === 0 ? count : 2 * count;
  const place = ((turn % cycle) + cycle) % cycle;
  // With an odd M, half the turns run the base backwards, which balances the pairs again.
  const sequence = place >= count ? base.reverse() : base;
  return sequence.flatMap((index) => {
    const at = (index + place) % count;
    return items.slice(at, at + 1);
  });
}

/**
 * The seed of one prompt's runs in one repetition, the same for every method. A method seeds its
 * N sequences from it with seed + i (node-llama-cpp's loops) or draws them from one stream (ours),
 * so that at T > 0 they are N samples.
 */
export function runSeed(repetition: number, promptSet: number, prompt: number): number {
  return 100_000 * repetition + 1000 * promptSet + prompt;
}

/** The seed of the untimed warm-up runs (one per method, before the repetitions). */
export const WARM_UP_SEED = 99_999_999;

// How the benchmark runs its methods so that their comparison is fair: the sampler users get,
// an order that gives no method a fixed place, and seeds that differ between runs and sequences.
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
 * The order methods run in for one prompt of one repetition: rotated by one place per turn (each
 * prompt of each repetition is a turn), so that no method always runs first or after the same one.
 */
export function rotated<T>(items: readonly T[], turn: number): T[] {
  const shift = items.length === 0 ? 0 : turn % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
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

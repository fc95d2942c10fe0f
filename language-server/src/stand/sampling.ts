import { pointMass, type SparseDistribution } from "./distribution";

/** The target sampler's settings. The verifier's output follows exactly this sampler. */
export interface SamplingOptions {
  /** 0 means greedy (argmax). */
  readonly temperature: number;
  /** Keep the k most likely tokens; 0 disables. */
  readonly topK: number;
  /** Keep the smallest set whose probability reaches topP; 1 disables. */
  readonly topP: number;
  /** Drop tokens below minP × the top probability; 0 disables. */
  readonly minP: number;
}

export const greedySampling: SamplingOptions = { temperature: 0, topK: 0, topP: 1, minP: 0 };

export function isGreedy(sampling: SamplingOptions): boolean {
  return sampling.temperature <= 0;
}

/**
 * The sampler's distribution for a vector of logits, in llama.cpp's default order: top-k, top-p
 * and min-p on the untempered softmax, then temperature over the survivors. Greedy sampling gives
 * a point mass on the argmax. Synthetic targets use this; a real model's sampler does the same
 * natively.
 */
export function samplerDistribution(logits: ArrayLike<number>, sampling: SamplingOptions): SparseDistribution {
  const logit = (token: number): number => logits[token] ?? -Infinity;
  const order = Array.from({ length: logits.length }, (_, i) => i)
    .filter((i) => logit(i) > -Infinity)
    .sort((a, b) => logit(b) - logit(a) || a - b);
  const best = order[0];
  if (best === undefined) throw new Error("the target gave no finite logit");
  if (isGreedy(sampling)) return pointMass(best);

  let kept = sampling.topK > 0 ? order.slice(0, sampling.topK) : order;
  const softmax = softmaxOf(kept.map(logit));
  if (sampling.topP < 1) {
    let cumulative = 0;
    let count = 0;
    while (count < kept.length && cumulative < sampling.topP) cumulative += softmax[count++] ?? 0;
    kept = kept.slice(0, Math.max(1, count));
  }
  if (sampling.minP > 0) {
    const floor = sampling.minP * (softmax[0] ?? 0);
    kept = kept.filter((_, rank) => rank === 0 || (softmax[rank] ?? 0) >= floor);
  }
  const tempered = softmaxOf(kept.map((i) => logit(i) / sampling.temperature));
  return { tokens: Int32Array.from(kept), probs: Float64Array.from(tempered) };
}

function softmaxOf(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - max));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

import type { Random } from "./random";

/** The best scores so far, reused across calls (drafting calls this for every node). */
let scratch = new Float64Array(64);

/**
 * Samples `count` distinct indices from the (unnormalised) weights `probs` without replacement,
 * in one pass: perturb each log-weight with Gumbel noise −log(−log U) and keep the top `count`.
 * The indices come out by decreasing score, which is distributed exactly like the order of
 * sequential draws without replacement — the verifier relies on that order.
 *
 * Writes the chosen indices to `out` and returns how many were chosen (fewer when fewer weights
 * are positive).
 */
export function gumbelTopK(probs: ArrayLike<number>, count: number, random: Random, out: Int32Array): number {
  if (count <= 0) return 0;
  if (scratch.length < count) scratch = new Float64Array(count);
  const scores = scratch;
  let chosen = 0;
  for (let i = 0; i < probs.length; i++) {
    const weight = probs[i] ?? 0;
    if (!(weight > 0)) continue;
    const score = Math.log(weight) - Math.log(-Math.log(random.nextOpen()));
    if (chosen === count && score <= (scores[count - 1] ?? -Infinity)) continue;
    // Insertion into the short sorted list of the best scores so far.
    let position = chosen < count ? chosen++ : count - 1;
    for (let above = scores[position - 1]; above !== undefined && above < score; above = scores[position - 1]) {
      scores[position] = above;
      out[position] = out[position - 1] ?? -1;
      position--;
    }
    scores[position] = score;
    out[position] = i;
  }
  return chosen;
}

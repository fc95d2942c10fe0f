import type { Random } from "./random";

/**
 * A probability distribution over a few tokens: the sampler's truncated next-token distribution
 * (top-k / top-p / min-p already applied) or a draft distribution. Probabilities sum to 1 over
 * `tokens`; every token not listed has probability 0.
 */
export interface SparseDistribution {
  readonly tokens: Int32Array;
  readonly probs: Float64Array;
}

export function probabilityOf(distribution: SparseDistribution, token: number): number {
  const { tokens, probs } = distribution;
  const index = tokens.indexOf(token);
  return index < 0 ? 0 : (probs[index] ?? 0);
}

/**
 * Σ min(p(x), q(x)): the probability that one token drawn from q is accepted where the target's
 * distribution is p (speculative sampling's acceptance rate; p(x) for a point mass q = δ(x)).
 */
export function overlap(p: SparseDistribution, q: SparseDistribution): number {
  let total = 0;
  q.tokens.forEach((token, i) => (total += Math.min(q.probs[i] ?? 0, probabilityOf(p, token))));
  return total;
}

export function pointMass(token: number): SparseDistribution {
  return { tokens: Int32Array.of(token), probs: Float64Array.of(1) };
}

/** Draws one token. Robust to a total that is not exactly 1 after floating-point arithmetic. */
export function sampleToken(distribution: SparseDistribution, random: Random): number {
  const { tokens, probs } = distribution;
  let total = 0;
  for (const probability of probs) total += probability;
  let threshold = random.next() * total;
  let last: number | undefined;
  for (let i = 0; i < probs.length; i++) {
    const probability = probs[i] ?? 0;
    if (probability <= 0) continue;
    last = tokens[i];
    threshold -= probability;
    if (threshold < 0 && last !== undefined) return last;
  }
  if (last === undefined) throw new Error("cannot sample from an empty distribution");
  return last;
}

/** The most likely token (first one on ties). */
export function argmaxToken(distribution: SparseDistribution): number {
  const { tokens, probs } = distribution;
  let best = 0;
  for (let i = 1; i < probs.length; i++) {
    if ((probs[i] ?? 0) > (probs[best] ?? 0)) best = i;
  }
  const token = tokens[best];
  if (token === undefined) throw new Error("cannot take the argmax of an empty distribution");
  return token;
}

/**
 * normalise(max(p − q, 0)): the distribution a rejected draft leaves to sample from. When p is
 * (numerically) covered by q the residual is empty; then p itself is returned, which is exact in
 * that limit because rejection had probability zero.
 */
export function residual(p: SparseDistribution, q: SparseDistribution): SparseDistribution {
  const tokens: number[] = [];
  const probs: number[] = [];
  let total = 0;
  p.tokens.forEach((token, i) => {
    const remaining = (p.probs[i] ?? 0) - probabilityOf(q, token);
    if (remaining > 0) {
      tokens.push(token);
      probs.push(remaining);
      total += remaining;
    }
  });
  if (!(total > 1e-12)) return p;
  return { tokens: Int32Array.from(tokens), probs: Float64Array.from(probs, (probability) => probability / total) };
}

/** q without `token`, renormalised: the law of the next draw when sampling without replacement. */
export function withoutToken(q: SparseDistribution, token: number): SparseDistribution {
  const tokens: number[] = [];
  const probs: number[] = [];
  let total = 0;
  q.tokens.forEach((other, i) => {
    if (other === token) return;
    const probability = q.probs[i] ?? 0;
    tokens.push(other);
    probs.push(probability);
    total += probability;
  });
  return {
    tokens: Int32Array.from(tokens),
    probs: Float64Array.from(probs, (probability) => (total > 0 ? probability / total : probability)),
  };
}

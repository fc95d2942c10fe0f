import {
  CONTEXT_WINDOW,
  type EvaluationOptions,
  type TargetCapabilities,
  Random,
  samplerDistribution,
  type SamplingOptions,
  type SparseDistribution,
  type TargetModel,
  type TargetRequest,
} from "../../language-server/src/stand";

export interface MarkovTargetOptions {
  readonly vocabularySize: number;
  /** How many previous tokens the next-token law depends on (≤ CONTEXT_WINDOW). */
  readonly order: number;
  /** Tokens with non-zero probability after each context. */
  readonly support: number;
  /** Spread of the logits: larger means more peaked, more repetitive text. */
  readonly logitScale: number;
  readonly seed: number;
}

/**
 * A synthetic target: a random sparse Markov model of a given order. Each context's logits are
 * a fixed function of the seed and the context, so the model is cheap, exactly known (its sequence probabilities can be
 * enumerated) and repetitive enough for drafts to be accepted. It evaluates any draft tree.
 */
export class MarkovTarget implements TargetModel {
  readonly capabilities: TargetCapabilities = { trees: true, padsToLongestDraft: false };
  readonly vocabularySize: number;
  readonly order: number;
  calls = 0;
  evaluatedTokens = 0;
  /** The sampler's distribution per context, per sampler settings (looked up by object first: it is called per draft node). */
  private readonly cache = new WeakMap<SamplingOptions, Map<number, SparseDistribution>>();
  private readonly cacheByKey = new Map<string, Map<number, SparseDistribution>>();

  constructor(private readonly options: MarkovTargetOptions) {
    if (options.order > CONTEXT_WINDOW) throw new RangeError(`order must be at most ${CONTEXT_WINDOW}`);
    this.vocabularySize = options.vocabularySize;
    this.order = options.order;
  }

  /** A context's logits, drawn on first use from a generator seeded by the model seed and the context. */
  private logitsOf(context: number): Float64Array {
    const random = new Random((Math.imul(this.options.seed, 0x9e3779b1) ^ Math.imul(context, 0x85ebca6b)) >>> 0);
    const logits = new Float64Array(this.vocabularySize).fill(-Infinity);
    for (let placed = 0; placed < this.options.support;) {
      const token = random.nextInt(this.vocabularySize);
      if (logits[token] !== -Infinity) continue;
      // A Gaussian-ish logit from the sum of uniforms.
      logits[token] = this.options.logitScale * (random.next() + random.next() + random.next() - 1.5);
      placed++;
    }
    return logits;
  }

  /** The sampler's distribution after a context given by its last `order` tokens (0-padded). */
  distribution(lastTokens: ArrayLike<number>, sampling: SamplingOptions): SparseDistribution {
    return this.lookup(this.contextIndex(lastTokens, 0, lastTokens.length), sampling);
  }

  /** Computes on the caller's thread, so the caller's work runs first (EvaluationOptions.meanwhile). */
  evaluate(requests: readonly TargetRequest[], sampling: SamplingOptions, options?: EvaluationOptions): Promise<SparseDistribution[][]> {
    options?.meanwhile?.();
    this.calls++;
    return Promise.resolve(
      requests.map(({ draft }) => {
        this.evaluatedTokens += draft.size;
        return Array.from({ length: draft.size }, (_, node) =>
          this.lookup(this.contextIndex(draft.windows, draft.windowOffset(node), CONTEXT_WINDOW), sampling),
        );
      }),
    );
  }

  /** Exact probability of every continuation of `prompt` of the given length, keyed "a,b,c". */
  sequenceProbabilities(prompt: readonly number[], length: number, sampling: SamplingOptions): Map<string, number> {
    const result = new Map<string, number>();
    const walk = (context: number[], generated: number[], probability: number): void => {
      if (generated.length === length) {
        result.set(generated.join(","), probability);
        return;
      }
      const { tokens, probs } = this.distribution(context.slice(-this.order), sampling);
      tokens.forEach((token, i) => {
        walk([...context, token], [...generated, token], probability * (probs[i] ?? 0));
      });
    };
    walk([...prompt], [], 1);
    return result;
  }

  private lookup(context: number, sampling: SamplingOptions): SparseDistribution {
    let distributions = this.cache.get(sampling);
    if (!distributions) {
      // Equal settings share one cache, whichever object carries them.
      const key = `${sampling.temperature}/${sampling.topK}/${sampling.topP}/${sampling.minP}`;
      distributions = this.cacheByKey.get(key) ?? new Map<number, SparseDistribution>();
      this.cacheByKey.set(key, distributions);
      this.cache.set(sampling, distributions);
    }
    let distribution = distributions.get(context);
    if (!distribution) distributions.set(context, (distribution = samplerDistribution(this.logitsOf(context), sampling)));
    return distribution;
  }

  /** Index of the context made of the last `order` tokens ending at offset + length. */
  private contextIndex(tokens: ArrayLike<number>, offset: number, length: number): number {
    let index = 0;
    for (let i = offset + length - this.order; i < offset + length; i++) {
      index = index * this.vocabularySize + (i >= offset ? (tokens[i] ?? 0) : 0);
    }
    return index;
  }
}

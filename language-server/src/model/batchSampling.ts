// Sampling every output of a call at once. node-llama-cpp's controlledEvaluate builds a sampler
// for each call and samples the call's outputs one after another: each output is a round trip
// to the native thread pool, and its dispatcher chains an output's sampling after the one before.
// On the embedded model on a 2-core CPU a 4-position call took 1.33 ms read at every position and
// 1.10 ms read at its last only: each output read cost half as much as computing its position.
// Queued all at once, with samplers kept across calls, the outputs cost next to nothing (1.09 ms),
// and one position read took 0.62 ms against 0.67 ms through node-llama-cpp's own generation loop.
// node-llama-cpp reaches neither through a public API, so this is the one place that uses its
// internals for it (3.22.1, which package.json pins; test/model/batchSampling.test.ts holds every
// reading to controlledEvaluate's).
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { hasModelProcessEnv } from "../../../common/modelProcess";
import type { GenerateNext } from "./llamaTarget";

type ControlledOutput = Awaited<ReturnType<LlamaContextSequence["controlledEvaluate"]>>;

/** What an output read: the token where asked for, the probabilities where returned (controlledEvaluate's `next`). */
export interface SampledNext {
  readonly token?: Token | null;
  readonly probabilities?: Map<Token, number>;
}

/** node-llama-cpp's native sampler (AddonSampler), as 3.22.1 defines what this file uses of it. */
interface NativeSampler {
  applyConfig(config: unknown): void;
  dispose(): void;
}

/** The internals of a context sequence this file uses, as node-llama-cpp 3.22.1 defines them. */
interface InternalSequence {
  _decodeTokens(
    tokens: Token[],
    logits: boolean[],
    evaluationPriority: number,
    tokenMeter: unknown,
    contextShift: { readonly size: unknown; readonly strategy: unknown },
    logitDataMapper: (batchLogitIndex: number, tokenIndex: number) => unknown,
  ): Promise<unknown>;
  _resolveSamplerConfig(options: SamplerOptions): unknown;
  readonly _tokenMeter: unknown;
  readonly _contextShift: { readonly size: unknown; readonly strategy: unknown };
  readonly _context: {
    readonly _ctx: {
      sampleToken(batchLogitIndex: number, sampler: NativeSampler, probabilities: boolean, confidence: boolean): Promise<unknown>;
    };
  };
}

interface InternalModel {
  readonly _model: unknown;
  readonly _llama: { readonly _bindings: { readonly AddonSampler: new (model: unknown) => NativeSampler } };
}

interface SamplerOptions {
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly minP?: number;
  readonly seed?: number;
}

/** A native sampler, with how many calls are using it (it may not be disposed while one is). */
interface KeptSampler {
  readonly native: NativeSampler;
  users: number;
  /** Dropped from the cache while in use: disposed when its last call ends. */
  dropped: boolean;
}

/** One call's reading: the sequence it evaluates in, its sampler, and the sampling of an output of its batch. */
interface Reader {
  readonly sequence: InternalSequence;
  readonly sampler: KeptSampler;
  sample(batchLogitIndex: number): Promise<unknown>;
}

/** A reading's sampler options, and a key that names them (readings alike share a sampler). */
interface SamplerChoice {
  readonly options: SamplerOptions;
  readonly key: string;
}

/** controlledEvaluate's priority when none is given (node-llama-cpp's defaultEvaluationPriority). */
const EVALUATION_PRIORITY = 5;

/**
 * Samplers differ by their options only; a server sees a few sets of them (a solve's, an inline
 * request's), and each one kept costs a native sampler chain.
 */
const MAX_SAMPLERS = 8;

/**
 * Evaluates inputs in a model's context sequences, reading every output at once. Only readings
 * of the sampler's token or probabilities (what a step's verification reads) are read here;
 * evaluate() answers undefined for any other, and the caller asks controlledEvaluate.
 */
export class BatchSampling {
  /** A native sampler per set of options, the most recently used last. */
  private readonly samplers = new Map<string, KeptSampler>();

  private constructor(private readonly model: InternalModel) {}

  /**
   * Sampling at once in this model's sequences, or undefined where it cannot be done: without
   * the internals, or in a process not started with MODEL_PROCESS_ENV, whose native thread pool
   * may have more than one thread. With one, every output's sampling is queued behind the decode
   * that computed it and ahead of any decode after it; with more, a later decode could overwrite
   * the outputs being read.
   */
  static for(model: LlamaModel, sequence: LlamaContextSequence): BatchSampling | undefined {
    if (!hasModelProcessEnv() || !isInternalModel(model) || !isInternalSequence(sequence)) return undefined;
    return new BatchSampling(model);
  }

  /** Whether this reads `reading` (evaluate and readAfter answer undefined for any other). */
  canRead(reading: GenerateNext): boolean {
    return samplerOptions(reading) !== undefined;
  }

  /**
   * Evaluates `input` after what `sequence` holds and reads `reading` at each of the `outputs`
   * (indexes into the input), as controlledEvaluate would have returned it; undefined, having
   * evaluated nothing, for a reading this cannot read.
   */
  evaluate(
    sequence: LlamaContextSequence,
    input: readonly Token[],
    outputs: readonly number[],
    reading: GenerateNext,
  ): Promise<ControlledOutput> | undefined {
    const reader = this.reader(sequence, reading);
    if (!reader) return undefined;
    const logits = input.map(() => false);
    for (const output of outputs) logits[output] = true;
    const sampled: Promise<readonly [number, unknown]>[] = [];
    // The mapper queues each output's sampling as the decode hands it over and returns no promise,
    // so that node-llama-cpp does not wait for one before it queues the next.
    const mapper = (batchLogitIndex: number, tokenIndex: number): undefined => {
      sampled.push(reader.sample(batchLogitIndex).then((result) => [tokenIndex, result]));
      return undefined;
    };
    return this.using(
      reader.sampler,
      decode(reader.sequence, input, logits, mapper)
        .then(() => Promise.all(sampled))
        .then((results) => {
          const output: ControlledOutput = [];
          for (const [index, result] of results) output[index] = { next: nextOf(result, reading) };
          return output;
        }),
    );
  }

  /**
   * Evaluates `input` after what `sequence` holds and reads `reading` after its last token, as
   * controlledEvaluate would have read it there (a plain step: one output, no array to gather);
   * undefined, having evaluated nothing, for a reading this cannot read.
   */
  readAfter(sequence: LlamaContextSequence, input: readonly Token[], reading: GenerateNext): Promise<SampledNext> | undefined {
    const reader = this.reader(sequence, reading);
    if (!reader) return undefined;
    const logits = input.map((_, index) => index === input.length - 1);
    let sampled: Promise<unknown> | undefined;
    const mapper = (batchLogitIndex: number): undefined => {
      sampled = reader.sample(batchLogitIndex);
      return undefined;
    };
    return this.using(
      reader.sampler,
      decode(reader.sequence, input, logits, mapper)
        .then(() => sampled ?? Promise.reject(new Error("the model returned no next-token distribution")))
        .then((result) => nextOf(result, reading)),
    );
  }

  /**
   * Evaluates `input` after what `sequence` holds and reads nothing (a sequence whose context end
   * another one reads, see LlamaTarget's shareContextEnds: every trajectory of a solve after its
   * shared prompt). controlledEvaluate would build a native sampler for the call all the same,
   * 0.15 ms on a CPU (and its garbage): 15 of them in a 16-candidate solve's first call.
   * Undefined, having evaluated nothing, without the internals.
   */
  evaluateUnread(sequence: LlamaContextSequence, input: readonly Token[]): Promise<ControlledOutput> | undefined {
    if (!isInternalSequence(sequence)) return undefined;
    return decode(
      sequence,
      input,
      input.map(() => false),
      () => undefined,
    ).then(() => []);
  }

  /** Disposes the native samplers (none may be sampling: the target's calls have ended). */
  dispose(): void {
    for (const sampler of this.samplers.values()) sampler.native.dispose();
    this.samplers.clear();
  }

  /**
   * What reading `reading` in `sequence` takes: the sequence's internals, the sampler for the
   * reading's options (in use until the call hands it back, see using) and the sampling of one
   * output of its batch; undefined for a reading or sequence this cannot read.
   */
  private reader(sequence: LlamaContextSequence, reading: GenerateNext): Reader | undefined {
    const choice = samplerOptions(reading);
    if (!choice || !isInternalSequence(sequence)) return undefined;
    const sampler = this.sampler(sequence, choice);
    const probabilities = reading.probabilities === true;
    return {
      sequence,
      sampler,
      sample: (batchLogitIndex) => sequence._context._ctx.sampleToken(batchLogitIndex, sampler.native, probabilities, false),
    };
  }

  /** The sampler for these options, counted as in use until the caller hands it back (see using). */
  private sampler(sequence: InternalSequence, { options, key }: SamplerChoice): KeptSampler {
    let sampler = this.samplers.get(key);
    if (sampler) {
      this.samplers.delete(key);
    } else {
      const native = new this.model._llama._bindings.AddonSampler(this.model._model);
      native.applyConfig(sequence._resolveSamplerConfig(options));
      sampler = { native, users: 0, dropped: false };
    }
    this.samplers.set(key, sampler);
    sampler.users++;
    // The least recently used go; one in use (by another request of the same call) when its call ends.
    for (const [oldest, unused] of this.samplers) {
      if (this.samplers.size <= MAX_SAMPLERS) break;
      this.samplers.delete(oldest);
      unused.dropped = true;
      if (unused.users === 0) unused.native.dispose();
    }
    return sampler;
  }

  /** `call`, after which `sampler` is no longer in use by it. */
  private using<T>(sampler: KeptSampler, call: Promise<T>): Promise<T> {
    return call.finally(() => {
      if (--sampler.users === 0 && sampler.dropped) sampler.native.dispose();
    });
  }
}

/** Queues `input` for the sequence's next batch, as controlledEvaluate does, with `mapper` called on each output read. */
function decode(
  sequence: InternalSequence,
  input: readonly Token[],
  logits: boolean[],
  mapper: (batchLogitIndex: number, tokenIndex: number) => undefined,
): Promise<unknown> {
  const { size, strategy } = sequence._contextShift;
  return sequence._decodeTokens(input.slice(), logits, EVALUATION_PRIORITY, sequence._tokenMeter, { size, strategy }, mapper);
}

function isInternalModel(model: unknown): model is InternalModel {
  return typeof (model as Partial<InternalModel> | null)?._llama?._bindings.AddonSampler === "function";
}

function isInternalSequence(sequence: unknown): sequence is InternalSequence {
  const internal = sequence as Partial<InternalSequence> | null;
  return (
    typeof internal?._decodeTokens === "function" &&
    typeof internal._resolveSamplerConfig === "function" &&
    typeof internal._context?._ctx.sampleToken === "function" &&
    internal._contextShift !== undefined
  );
}

/** samplerOptions' answer per reading: a decode passes one reading object at every step. */
const readingChoices = new WeakMap<GenerateNext, SamplerChoice | null>();

/** The sampler options of a reading of the token or the probabilities alone; undefined for any other reading. */
function samplerOptions(reading: GenerateNext): SamplerChoice | undefined {
  let choice = readingChoices.get(reading);
  if (choice === undefined) {
    const options = optionsOf(reading);
    choice = options ? { options, key: JSON.stringify(options) } : null;
    readingChoices.set(reading, choice);
  }
  return choice ?? undefined;
}

function optionsOf(reading: GenerateNext): SamplerOptions | undefined {
  const { token, probabilities, options, ...others } = reading;
  if (Object.keys(others).length > 0 || (token !== true && probabilities !== true)) return undefined;
  const { temperature, topK, topP, minP, seed, ...otherOptions } = options ?? {};
  if (Object.keys(otherOptions).length > 0) return undefined;
  return { temperature, topK, topP, minP, seed };
}

/** An output as controlledEvaluate returns it: the token where asked for, the probabilities where returned. */
function nextOf(result: unknown, reading: GenerateNext): SampledNext {
  const [token, pairs] = Array.isArray(result) ? (result as [number, number[] | undefined]) : [result as number, undefined];
  const next: { token?: Token | null; probabilities?: Map<Token, number> } = {};
  if (reading.token === true) next.token = token === -1 ? null : (token as Token);
  if (pairs) {
    const probabilities = new Map<Token, number>();
    for (let i = 1; i < pairs.length; i += 2) probabilities.set(pairs[i - 1] as Token, pairs[i] ?? 0);
    next.probabilities = probabilities;
  }
  return next;
}

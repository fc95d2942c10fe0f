import type { LlamaContextSequence, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { GenerateNext } from "./llamaTarget";

type Generation = AsyncGenerator<{ readonly token: Token; readonly probabilities?: Map<Token, number> }, void, Token[] | undefined>;

/** What a plain step read: the sampler's probabilities, or its token at temperature 0. */
export interface StreamedNext {
  readonly token: Token;
  readonly probabilities?: Map<Token, number>;
}

interface Stream {
  readonly generation: Generation;
  /** The reading it was started for (see readingKey): a step reading otherwise starts a new stream. */
  readonly reading: string;
}

/**
 * Plain steps (no draft: one token's next-token distribution) through node-llama-cpp's own
 * generation loop, one per context sequence. controlledEvaluate, which every step with a draft
 * needs, builds a sampler for each call and maps its input item by item; evaluateWithMetadata
 * keeps one sampler for as long as its generator lives and takes the tokens it evaluates next
 * from the caller, so plain steps (all of autoregressive decoding, most of STAND's where drafts
 * seldom pay) cost about what node-llama-cpp's own loop costs (bench:profile's `stream` arm:
 * 1.00–1.04× on the embedded model, where controlledEvaluate took 1.02–1.08×). The generator
 * samples a token too, which the engine ignores at T > 0: it draws from the returned
 * probabilities with its own random numbers, so what is decoded does not depend on which path
 * computed a step.
 *
 * A stream lives across steps with drafts: node-llama-cpp's generator keeps no position of its
 * own and evaluates the tokens it is given where its sequence ends at that moment, so a draft
 * verified through controlledEvaluate and its rejected tail erased in between leave it right
 * (the version is pinned, and test/model/generationStreams.test.ts holds every step's reading to
 * controlledEvaluate's).
 */
export class GenerationStreams {
  private readonly streams: (Stream | undefined)[];

  constructor(private readonly sequences: readonly LlamaContextSequence[]) {
    this.streams = sequences.map(() => undefined);
  }

  /** Whether a step can read `reading` through a stream (sampler readings; not token healing's biased ones). */
  static canStream(reading: GenerateNext): boolean {
    return readingKey(reading) !== undefined;
  }

  /**
   * Evaluates `input` after what the slot's sequence holds and reads `reading` after its last
   * token, in the slot's stream (started here if it has none for that reading).
   */
  step(slot: number, input: readonly number[], reading: GenerateNext): Promise<StreamedNext> {
    const key = readingKey(reading);
    if (key === undefined) return Promise.reject(new Error("this reading cannot be streamed (see GenerationStreams.canStream)"));
    const stream = this.streams[slot];
    // Every step of a decode but its first: one promise from the generator to the caller, no
    // async frames in between (each costs microseconds on a step of a millisecond).
    if (stream?.reading === key) {
      return stream.generation.next(input as Token[]).then(
        (result) => this.nextOf(slot, result),
        (error: unknown) => this.failed(slot, error),
      );
    }
    return this.start(slot, input, reading, key);
  }

  private async start(slot: number, input: readonly number[], reading: GenerateNext, key: string): Promise<StreamedNext> {
    await this.close([slot]);
    const sequence = this.sequences[slot];
    if (!sequence) throw new RangeError(`slot ${String(slot)} has no context sequence`);
    const { temperature, topK, topP, minP, seed } = reading.options ?? {};
    const generation: Generation = sequence.evaluateWithMetadata(
      input as Token[],
      { probabilities: reading.probabilities === true },
      // Every token is read, end-of-generation ones too: the engine decides where decoding stops.
      { temperature, topK, topP, minP, seed, yieldEogToken: true },
    );
    this.streams[slot] = { generation, reading: key };
    let result: IteratorResult<StreamedNext, void>;
    try {
      result = await generation.next();
    } catch (error) {
      return this.failed(slot, error);
    }
    return this.nextOf(slot, result);
  }

  private nextOf(slot: number, result: IteratorResult<StreamedNext, void>): StreamedNext {
    if (!result.done) return result.value;
    this.streams[slot] = undefined;
    throw new Error("the model returned no next-token distribution");
  }

  /** A generator that threw is finished. */
  private failed(slot: number, error: unknown): never {
    this.streams[slot] = undefined;
    throw error;
  }

  /** Ends the streams of these slots (all by default), leaving their sequences as they are. */
  async close(slots: Iterable<number> = this.streams.keys()): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const slot of slots) {
      const stream = this.streams[slot];
      this.streams[slot] = undefined;
      if (stream) closing.push(stream.generation.return());
    }
    await Promise.all(closing);
  }
}

/** Each reading's key, worked out once: a decode reads through one reading object at every step. */
const readingKeys = new WeakMap<GenerateNext, string | undefined>();

/** The sampler a reading asks for, as a key (undefined for what a stream cannot read: biases, logits). */
function readingKey(reading: GenerateNext): string | undefined {
  if (readingKeys.has(reading)) return readingKeys.get(reading);
  const key = keyOf(reading);
  readingKeys.set(reading, key);
  return key;
}

function keyOf(reading: GenerateNext): string | undefined {
  if (reading.logits !== undefined || reading.confidence === true || reading.totalLogitWeight === true) return undefined;
  const options = reading.options ?? {};
  if (options.tokenBias !== undefined || options.xtc !== undefined || options.repeatPenalty !== undefined) return undefined;
  if (options.dryRepeatPenalty !== undefined) return undefined;
  const { temperature, topK, topP, minP, seed } = options;
  return `${String(reading.probabilities === true)} ${String(temperature)} ${String(topK)} ${String(topP)} ${String(minP)} ${String(seed)}`;
}

import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { Reading } from "../tokenHealing";
import type { EvaluationOptions, SamplingOptions, SparseDistribution, TargetCapabilities, TargetModel, TargetRequest } from "../stand";
import { isGreedy, pointMass, sameTokens } from "../stand";
import { hasModelProcessEnv } from "../../../common/modelProcess";
import { commonPrefix } from "./commonPrefix";
import { SequencePool } from "./sequencePool";
import { canCopySequences, copySequencePrefix } from "./sequenceCopy";
import { PrefixSharing } from "./sharedPrefix";
import { startInSlotOrder } from "./sequenceOrder";
import { BatchSampling, type SampledNext } from "./batchSampling";
import { TrajectoryPacking, type TrajectoryMove } from "./trajectoryPacking";
import { keepsCoreAwake, type IdleCoreSpinner } from "./idleCoreSpinner";

type ControlledInput = Parameters<LlamaContextSequence["controlledEvaluate"]>[0];
type ControlledOutput = Awaited<ReturnType<LlamaContextSequence["controlledEvaluate"]>>;
/** What controlledEvaluate computes at a sampled position (BatchSampling reads the same). */
export type GenerateNext = NonNullable<Extract<ControlledInput[number], unknown[]>[1]["generateNext"]>;

/** Added to the logits of the tokens evaluateAmong asks about: far above any logit gap between tokens. */
const AMONG_BIAS = 100;

/** What one sequence evaluates in a step: a request's draft chain, or one branch of its draft tree. */
interface Plan {
  /** The request it answers (its index in the call). */
  readonly request: number;
  /** The sequence's index in the pool (see SequencePool). */
  readonly slot: number;
  readonly sequence: LlamaContextSequence;
  /** The slot whose first `keep` tokens this sequence copies before evaluating (a tree's other branches). */
  readonly copyFrom: number | undefined;
  /** Tokens of the sequence's KV cache that stay. */
  readonly keep: number;
  /** Tokens to evaluate after them: the context the cache lacks, the draft chain, any padding. */
  readonly input: number[];
  /** Index in input of the first position whose next-token distribution is read, and how many are. */
  readonly outputFrom: number;
  readonly outputs: number;
  /**
   * A tree branch's draft node at each output, root first; undefined where an earlier branch reads
   * the same node. Undefined for a chain, whose output i is node i.
   */
  readonly nodes: readonly (number | undefined)[] | undefined;
  /** Positions from outputFrom that the model samples: the outputs read, and any padding's (see LlamaTarget.padToStepWidth). */
  sampled: number;
  /**
   * A chain whose context an earlier plan of the call ends in too, read alike: that plan's index.
   * It evaluates its context's end without reading it and takes that plan's first distribution
   * (see shareContextEnds).
   */
  firstOutputOf?: number;
  /** What the model computes at each sampled position (by output; padding reads the last output's). */
  readonly generateNext: (output: number) => GenerateNext;
}

/** Most tokens a step adds to a trajectory's input to match the longest (see LlamaTarget.pad). */
const MAX_PADDING = 16;

export class ContextOverflowError extends Error {
  override readonly name = "ContextOverflowError";
}

export interface LlamaTargetOptions {
  /** Trajectories decoded together: one context sequence each. */
  readonly trajectories: number;
  /** Tokens each trajectory may hold: prompt, generated text and one draft. */
  readonly contextSize: number;
  readonly threads: number;
  /** Tokens per native decode; a whole step of N drafts should fit in one. */
  readonly batchSize?: number;
  /**
   * Tokens each trajectory evaluates in every step after its prompt, padded up to it (a step
   * with a longer draft goes unpadded). Every step then has one shape, which a GPU backend can
   * replay as one captured graph: llama.cpp's CUDA backend re-captures its graph whenever a
   * step's token or output count changes, and runs the steps in between kernel by kernel.
   */
  readonly stepWidth?: number;
  /** Evaluate a prefix that several trajectories of a call need once, and copy it to the others (sharedPrefix.ts). Default true. */
  readonly sharePrefixes?: boolean;
  /**
   * Root-to-leaf branches a draft tree may have: each trajectory holds this many context sequences
   * (llama.cpp allows 256 in all) and verifies each branch on its own. 1, the default: chains only.
   */
  readonly treeBranches?: number;
  /** Pinged as a call of one trajectory begins, to keep an idle core awake while the model computes (see keepsCoreAwake). */
  readonly spinner?: IdleCoreSpinner;
}

/**
 * Whether one decode may verify several sequences' drafts, each with several outputs. llama.cpp
 * reorders a batch's outputs lazily, on the first read after a decode, and node-llama-cpp (3.21–3.22)
 * reads them from several libuv worker threads at once, which races with the reorder; a process
 * started with MODEL_PROCESS_ENV (one worker thread) reads them one after another.
 */
function batchesDrafts(): boolean {
  return hasModelProcessEnv();
}

/**
 * The engine's TargetModel on a real model: one llama.cpp context with one sequence per
 * trajectory. Each step erases the rejected tail of every sequence, then evaluates every
 * trajectory's new tokens and draft chain and reads the sampler's probabilities at each drafted
 * position. All sequences are submitted together, so node-llama-cpp merges them into one batched
 * decode (see batchesDrafts for when drafts can share it).
 *
 * llama.cpp's batch puts each token in one sequence, so a draft tree is verified one
 * root-to-leaf branch per sequence: with treeBranches > 1 each trajectory has a pool of sequences
 * (see SequencePool, which places the branches and copies the committed prefix between them).
 */
export class LlamaTarget implements TargetModel {
  readonly capabilities: TargetCapabilities;
  /** Tokens held in each sequence's KV cache, as far as we put them there (by slot). */
  private readonly held: number[][];
  private readonly pool: SequencePool;
  /** Which of the pool's groups of sequences each trajectory uses: a call's trajectories sit in consecutive ones. */
  private readonly packing: TrajectoryPacking;
  /** Called when node-llama-cpp hands the next batch to its native thread (see create). */
  private onDispatch: (() => void) | undefined;
  private readonly sharing: PrefixSharing | undefined;
  /** Reads a call's outputs at once, where this node-llama-cpp and process allow it. */
  private readonly batchSampling: BatchSampling | undefined;

  private constructor(
    model: LlamaModel,
    readonly context: LlamaContext,
    private readonly sequences: LlamaContextSequence[],
    treeBranches: number,
    private readonly stepWidth: number | undefined,
    private readonly batchesDrafts: boolean,
    /** Registers the target's dispatch listener with the context's batching schedule. */
    listen: (listener: () => void) => void,
    sharePrefixes = true,
    private readonly spinner?: IdleCoreSpinner,
  ) {
    this.held = sequences.map(() => []);
    this.pool = new SequencePool(sequences.length / treeBranches, treeBranches);
    this.packing = new TrajectoryPacking(this.pool.trajectories);
    const trees = treeBranches > 1 && sequences.every(canCopySequences);
    // A tree pool moves a trajectory between its sequences; prefix sharing assumes one sequence per trajectory.
    this.sharing = sharePrefixes && treeBranches === 1 ? PrefixSharing.for(sequences, this.held) : undefined;
    this.batchSampling = sequences[0] && BatchSampling.for(model, sequences[0]);
    // A padded batch is one pass; a step padded to a fixed width pads every drafting trajectory itself.
    this.capabilities = { trees, treeBranches: trees ? treeBranches : 1, padsToLongestDraft: batchesDrafts && stepWidth === undefined };
    listen(() => this.onDispatch?.());
  }

  static async create(model: LlamaModel, options: LlamaTargetOptions): Promise<LlamaTarget> {
    if (options.stepWidth !== undefined && !(Number.isInteger(options.stepWidth) && options.stepWidth >= 1)) {
      throw new RangeError(`stepWidth must be a whole number of tokens, at least 1, not ${String(options.stepWidth)}`);
    }
    const treeBranches = options.treeBranches ?? 1;
    const pool = new SequencePool(options.trajectories, treeBranches);
    let listener: (() => void) | undefined;
    const context = await model.createContext({
      sequences: pool.size,
      contextSize: options.contextSize,
      batchSize: options.batchSize ?? Math.max(512, options.trajectories * 64, pool.size * 16),
      threads: options.threads,
      // node-llama-cpp's own schedule (the next turn of the event loop, or at once when every
      // sequence has queued), which also tells the target when a batch leaves for the native thread.
      batching: {
        dispatchSchedule: (dispatch) =>
          setImmediate(() => {
            dispatch();
            listener?.();
          }),
      },
    });
    // plan() refuses anything that would overflow, so llama.cpp never shifts a sequence under us.
    // A fresh context hands out its sequences in order: a slot is its sequence's id (see startInSlotOrder).
    const sequences = Array.from({ length: pool.size }, () => context.getSequence());
    return new LlamaTarget(
      model,
      context,
      sequences,
      treeBranches,
      options.stepWidth,
      batchesDrafts(),
      (registered) => (listener = registered),
      options.sharePrefixes,
      options.spinner,
    );
  }

  get trajectories(): number {
    return this.pool.trajectories;
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  evaluate(
    requests: readonly TargetRequest[],
    sampling: SamplingOptions,
    options: EvaluationOptions = {},
  ): Promise<SparseDistribution[][]> {
    if (keepsCoreAwake(requests.length)) this.spinner?.ping();
    const generateNext = samplerOutput(sampling);
    // Most calls need no packing: they go on without an await, since on a 1 ms step of plain
    // decoding each promise between two tokens costs microseconds.
    if (this.packing.holdsInPlace(requests)) return this.evaluatePlaced(requests, generateNext, options);
    return this.packTrajectories(requests).then((placed) => this.evaluatePlaced(placed, generateNext, options));
  }

  /** evaluate() for requests whose trajectories are their groups of sequences (see packTrajectories). */
  private evaluatePlaced(
    requests: readonly TargetRequest[],
    generateNext: GenerateNext,
    options: EvaluationOptions,
  ): Promise<SparseDistribution[][]> {
    const lastTokens = this.plainStepTokens(requests, generateNext);
    return lastTokens ? this.plainStep(requests, lastTokens, generateNext, options) : this.run(requests, () => generateNext, options);
  }

  /** The group of context sequences a trajectory uses now (see TrajectoryPacking); its sequences are the pool's for that group. */
  groupOf(trajectory: number): number {
    return this.packing.group(trajectory);
  }

  /**
   * The requests with each trajectory's group of sequences in place of the trajectory (what the
   * rest of the target calls a trajectory), after moving the call's trajectories into
   * consecutive groups (see TrajectoryPacking).
   */
  private async packTrajectories(requests: readonly TargetRequest[]): Promise<readonly TargetRequest[]> {
    const moves = this.packing.pack(requests.map((request) => request.trajectory));
    for (const move of moves) {
      const context = requests.find((request) => request.trajectory === move.trajectory)?.context ?? [];
      await this.move(move, context);
    }
    if (requests.every((request) => this.packing.group(request.trajectory) === request.trajectory)) return requests;
    return requests.map((request) => ({ ...request, trajectory: this.packing.group(request.trajectory) }));
  }

  /**
   * Copies what a moving trajectory's old group holds of its context (with trees, from the
   * sequence that holds most) into the first sequence of its new group. The displaced trajectory
   * gets the old group as it is: `held` says what each sequence holds, so its next call evaluates
   * what differs.
   */
  private async move({ from, to }: TrajectoryMove, context: readonly number[]): Promise<void> {
    const [destination] = this.pool.slotsOf(to);
    const destinationSequence = destination === undefined ? undefined : this.sequences[destination];
    if (destination === undefined || !destinationSequence) throw new RangeError(`group ${String(to)} has no context sequence`);
    let source = -1;
    let length = 0;
    for (const slot of this.pool.slotsOf(from)) {
      const shared = commonPrefix(this.held[slot] ?? [], context);
      if (shared > length) ({ source, length } = { source: slot, length: shared });
    }
    const sourceSequence = this.sequences[source];
    if (length === 0 || !sourceSequence) return;
    if (!(await copySequencePrefix(sourceSequence, destinationSequence, length))) {
      this.held[destination] = [...destinationSequence.contextTokens];
      throw new Error(
        `moving a trajectory between context sequences did not leave exactly its ${String(length)} tokens (the internal copy changed?)`,
      );
    }
    this.held[destination] = (this.held[source] ?? []).slice(0, length);
  }

  /**
   * Each request's last context token, when the step is one that plain decoding takes at every
   * token: no request has a draft, each trajectory's sequence holds its context but that token, no
   * two contexts are alike, and BatchSampling can read the sampler. Such a step needs none of the plans
   * run() builds for drafts, trees, padding and shared prefixes; at N = 1 on the embedded model
   * (a 2 ms step) building them cost 20–40 µs a step. Undefined for any other step.
   */
  private plainStepTokens(requests: readonly TargetRequest[], reading: GenerateNext): number[] | undefined {
    if (this.stepWidth !== undefined || !this.batchSampling?.canRead(reading)) return undefined;
    // Any draft first, before comparing any context: a step with one goes to run(), which compares them again.
    if (requests.some(({ draft }) => draft.size !== 1)) return undefined;
    const tokens: number[] = [];
    for (const [index, { trajectory, context }] of requests.entries()) {
      const held = this.held[trajectory];
      const last = context[context.length - 1];
      if (!held || last === undefined || held.length !== context.length - 1) return undefined;
      // run() says why a context does not fit.
      if (context.length > this.context.contextSize || commonPrefix(held, context) !== held.length) return undefined;
      // Alike contexts are read once (shareContextEnds), which only run() does.
      for (let j = 0; j < index; j++) if (sameTokens(context, requests[j]?.context ?? [])) return undefined;
      tokens.push(last);
    }
    return tokens;
  }

  /** A plain step (see plainStepTokens): each trajectory's last token, read at once (see BatchSampling). */
  private plainStep(
    requests: readonly TargetRequest[],
    lastTokens: readonly number[],
    reading: GenerateNext,
    { signal, meanwhile }: EvaluationOptions,
  ): Promise<SparseDistribution[][]> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const slots = requests.map((request) => request.trajectory);
    const read = (next: SampledNext, i: number): SparseDistribution[] => {
      this.held[slots[i] ?? -1]?.push(lastTokens[i] ?? 0);
      return [distributionOf(next)];
    };
    const fail = (error: unknown): never => {
      this.onDispatch = undefined;
      this.afterFailedCall(slots);
      throw error;
    };
    // One chain of promises from the sampling to the caller where one trajectory decodes: each further
    // promise it passes through costs microseconds, on a step of a millisecond. The caller's work
    // then runs after the step: during it, it kept the step off that path and ran beside the idle
    // core's spinner, and plain steps with a table to learn ran 0.975–0.994× batched AR at N = 1,
    // T = 0.7 on the embedded model on a 2-core CPU, against 0.985–1.001× with the work after them
    // (4 interleaved replays).
    const [slot] = slots;
    if (slot !== undefined && slots.length === 1) {
      // A step that cannot be read fails as one that could not run does (as in Promise.all below).
      return this.plainRead(slot, lastTokens[0] ?? 0, reading).then((next) => {
        try {
          const distributions = [read(next, 0)];
          meanwhile?.();
          return distributions;
        } catch (error) {
          return fail(error);
        }
      }, fail);
    }
    const working = meanwhile && this.runWhenDispatched(meanwhile);
    const stepped = startInSlotOrder(
      slots,
      (slot) => slot,
      (slot, i) => this.plainRead(slot, lastTokens[i] ?? 0, reading).then((next) => read(next, i)),
    );
    return Promise.all([stepped, working]).then(([distributions]) => distributions, fail);
  }

  /** A slot's next token evaluated and read (plainStepTokens checked that BatchSampling reads the reading). */
  private plainRead(slot: number, token: number, reading: GenerateNext): Promise<SampledNext> {
    const sequence = this.sequences[slot];
    const read = sequence && this.batchSampling?.readAfter(sequence, [token as Token], reading);
    return read ?? Promise.reject(new Error(`slot ${String(slot)} cannot take a plain step (see plainStepTokens)`));
  }

  /** After a call that failed: what these slots' sequences hold is theirs to say. */
  private afterFailedCall(slots: readonly number[]): void {
    for (const slot of slots) {
      const sequence = this.sequences[slot];
      if (sequence) this.held[slot] = [...sequence.contextTokens];
    }
  }

  /**
   * The model's next-token distribution after each request's context (a draft, if any, is
   * verified too but only the first distribution is returned), untruncated, restricted to
   * `among[i]` and renormalised (see evaluateReadings).
   */
  async evaluateAmong(
    requests: readonly TargetRequest[],
    among: readonly (readonly number[])[],
    signal?: AbortSignal,
  ): Promise<SparseDistribution[]> {
    const distributions = await this.evaluateReadings(
      requests,
      among.map((tokens) => [{ among: tokens }]),
      signal,
    );
    return distributions.map((distribution) => distribution[0] ?? { tokens: new Int32Array(), probs: new Float64Array() });
  }

  /**
   * Each request's distributions at its context's end and after each token of its draft chain,
   * each read as `readings[i][position]` says (a draft longer than its readings reads the last
   * one on). A reading among some tokens is the model's untruncated distribution restricted to
   * them and renormalised: their logits are all raised by one constant, which keeps their ratios
   * and puts them above every other token, so a top-k of their number returns exactly them and
   * the work is proportional to the list, not to the vocabulary (token healing asks this at every
   * inline request, and a 152k-token probability Map costs tens of milliseconds). A reading of a
   * sampler is what evaluate returns at that position.
   */
  async evaluateReadings(
    requests: readonly TargetRequest[],
    readings: readonly (readonly Reading[])[],
    signal?: AbortSignal,
  ): Promise<SparseDistribution[][]> {
    if (keepsCoreAwake(requests.length)) this.spinner?.ping();
    const placed = await this.packTrajectories(requests);
    const { TokenBias } = await import("node-llama-cpp");
    // Requests at one place share one Reading: its bias is built once.
    const built = new Map<Reading, GenerateNext>();
    const outputOf = (reading: Reading): GenerateNext => {
      const known = built.get(reading);
      if (known) return known;
      let output: GenerateNext;
      if ("among" in reading) {
        const bias = new TokenBias(this.context.model.tokenizer);
        for (const token of reading.among) bias.set(token as Token, { logit: AMONG_BIAS });
        output = {
          probabilities: true,
          options: { temperature: 1, topK: Math.max(1, reading.among.length), topP: 1, minP: 0, seed: 0, tokenBias: bias },
        };
      } else output = samplerOutput(reading.sampling);
      built.set(reading, output);
      return output;
    };
    const outputsOf = readings.map((positions) => positions.map(outputOf));
    const generateNextOf = (index: number, output: number): GenerateNext => {
      const outputs = outputsOf[index] ?? [];
      return outputs[Math.min(output, outputs.length - 1)] ?? {};
    };
    const distributions = await this.run(placed, generateNextOf, { signal });
    return distributions.map((positions, index) =>
      positions.map((distribution, position) => {
        const positionReadings = readings[index] ?? [];
        const reading = positionReadings[Math.min(position, positionReadings.length - 1)];
        return reading && "among" in reading ? restrict(distribution, reading.among) : distribution;
      }),
    );
  }

  private async run(
    requests: readonly TargetRequest[],
    generateNextOf: (index: number, output: number) => GenerateNext,
    { signal, meanwhile }: EvaluationOptions = {},
  ): Promise<SparseDistribution[][]> {
    signal?.throwIfAborted();
    // A chain is one plan per request; a tree one per branch (see SequencePool).
    const planAll = (): Plan[] =>
      this.pool.branches === 1
        ? requests.map((request, index) => this.planChain(request, index, (output) => generateNextOf(index, output)))
        : requests.flatMap((request, index) => this.planTree(request, index, (output) => generateNextOf(index, output)));
    let plans = planAll();
    // Where several sequences need one prefix, it is evaluated once and copied; then they plan again.
    if (this.sharing?.mayShare(plans) && (await this.sharing.share(requests, plans, signal))) plans = planAll();
    if (this.pool.branches === 1) shareContextEnds(plans, requests);
    if (this.stepWidth !== undefined) this.padToStepWidth(plans, this.stepWidth);
    else if (this.capabilities.padsToLongestDraft && plans.length > 1) this.pad(plans);
    // Erase every rejected tail first, then queue all evaluations together so they share a batch.
    // Most steps of plain decoding erase nothing, and then skip the awaits. Then the branches that
    // lack the kept prefix copy it from the trajectory's sequence that held most (see SequencePool).
    if (plans.some((plan) => this.erases(plan)))
      await Promise.all(
        plans.filter((plan) => plan.copyFrom === undefined).map((plan) => this.truncate(plan.slot, plan.sequence, plan.keep)),
      );
    if (plans.some((plan) => plan.copyFrom !== undefined)) await Promise.all(plans.map((plan) => this.copyPrefix(plan)));
    signal?.throwIfAborted();
    const working = meanwhile && this.runWhenDispatched(meanwhile);
    try {
      // Without batchesDrafts, each sequence with a draft is evaluated on its own, after one batch of
      // the sequences without.
      const outputs: ControlledOutput[] =
        this.batchesDrafts || plans.every((plan) => plan.sampled === 1)
          ? await startInSlotOrder(plans, slotOf, (plan) => evaluatePlan(plan, this.batchSampling))
          : await this.evaluateDraftsApart(plans);
      if (working) await working;
      return this.pool.branches === 1
        ? plans.map((_, i) => this.distributionsOf(plans, outputs, i))
        : this.gather(requests, plans, outputs);
    } catch (error) {
      // The caller learns what the work would have learned itself.
      this.onDispatch = undefined;
      working?.catch(() => undefined);
      this.afterFailedCall(plans.map((plan) => plan.slot));
      throw error;
    }
  }

  /** The sequences without a draft in one batch, then each sequence with one on its own (see batchesDrafts). */
  private async evaluateDraftsApart(plans: readonly Plan[]): Promise<ControlledOutput[]> {
    const outputs: ControlledOutput[] = [];
    const undrafted = plans.filter((plan) => plan.sampled === 1);
    const undraftedOutputs = await startInSlotOrder(undrafted, slotOf, (plan) => evaluatePlan(plan, this.batchSampling));
    undrafted.forEach((plan, i) => (outputs[plans.indexOf(plan)] = undraftedOutputs[i] ?? []));
    for (const [i, plan] of plans.entries()) if (plan.sampled !== 1) outputs[i] = await evaluatePlan(plan, this.batchSampling);
    return outputs;
  }

  /** Forgets everything a trajectory's sequence holds (a new prompt will be evaluated from scratch). */
  async reset(trajectory: number): Promise<void> {
    await Promise.all(
      this.pool.slotsOf(this.packing.group(trajectory)).map(async (slot) => {
        const sequence = this.sequences[slot];
        if (sequence) await this.truncate(slot, sequence, 0);
      }),
    );
  }

  async dispose(): Promise<void> {
    this.batchSampling?.dispose();
    await this.context.dispose();
  }

  /**
   * Runs the caller's work once the next batch is with the native thread, one turn of the event
   * loop later so that node-llama-cpp has started the decode: run earlier, it would delay it.
   */
  private runWhenDispatched(work: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.onDispatch = () => {
        this.onDispatch = undefined;
        setImmediate(() => {
          try {
            work();
            resolve();
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      };
    });
  }

  /** A request's plan on its trajectory's one sequence: its draft must be a chain. */
  private planChain({ trajectory, context, draft }: TargetRequest, request: number, generateNext: (output: number) => GenerateNext): Plan {
    const sequence = this.sequences[trajectory];
    const held = this.held[trajectory];
    if (!sequence || !held) {
      throw new RangeError(`trajectory ${String(trajectory)} has no context sequence (this target has ${String(this.sequences.length)})`);
    }
    const chain: number[] = [];
    for (let children = draft.children(0); children.length > 0;) {
      const [node, ...siblings] = children;
      if (node === undefined || siblings.length > 0)
        throw new Error(
          "this draft has branches, and this target verifies chains only (one context sequence per trajectory: see LlamaTargetOptions.treeBranches)",
        );
      chain.push(draft.tokens[node] ?? 0);
      children = draft.children(node);
    }
    if (context.length + chain.length > this.context.contextSize) {
      throw new ContextOverflowError(
        `${String(context.length + chain.length)} tokens do not fit the context of ${String(this.context.contextSize)} tokens`,
      );
    }
    let keep = commonPrefix(held, context);
    // The distribution after the context needs its last token evaluated in this call.
    if (keep === context.length) keep--;
    const outputs = chain.length + 1;
    const input = context.slice(keep);
    for (const token of chain) input.push(token);
    return {
      request,
      slot: trajectory,
      sequence,
      copyFrom: undefined,
      keep,
      input,
      outputFrom: context.length - 1 - keep,
      outputs,
      nodes: undefined,
      sampled: outputs,
      generateNext,
    };
  }

  /** One plan per branch of the request's draft (a chain is one branch), the first on branch 0's sequence. */
  private planTree(request: TargetRequest, index: number, generateNext: (output: number) => GenerateNext): Plan[] {
    const { trajectory, context, draft } = request;
    if (trajectory < 0 || trajectory >= this.pool.trajectories) {
      throw new RangeError(`trajectory ${String(trajectory)} has no context sequence (this target has ${String(this.pool.trajectories)})`);
    }
    const read = new Set<number>();
    return this.pool.place(request, this.held).map(({ slot, keep, copyFrom, path }) => {
      const sequence = this.sequences[slot];
      if (!sequence) throw new RangeError(`slot ${String(slot)} has no context sequence`);
      if (context.length + path.length > this.context.contextSize) {
        throw new ContextOverflowError(
          `${String(context.length + path.length)} tokens do not fit the context of ${String(this.context.contextSize)} tokens`,
        );
      }
      const outputs = path.length + 1;
      return {
        request: index,
        slot,
        sequence,
        copyFrom,
        keep,
        input: [...context.slice(keep), ...path.map((node) => draft.tokens[node] ?? 0)],
        outputFrom: context.length - 1 - keep,
        outputs,
        nodes: [0, ...path].map((node) => (read.has(node) ? undefined : (read.add(node), node))),
        sampled: outputs,
        generateNext,
      };
    });
  }

  /** Gives a branch's sequence the kept prefix of the sequence that held most, if the plan says so (see SequencePool). */
  private async copyPrefix(plan: Plan): Promise<void> {
    const from = plan.copyFrom;
    if (from === undefined) return;
    const source = this.sequences[from];
    if (!source) throw new RangeError(`slot ${String(from)} has no context sequence`);
    if (!(await copySequencePrefix(source, plan.sequence, plan.keep)))
      throw new Error(
        `copying ${String(plan.keep)} tokens between context sequences did not leave exactly them (the internal copy changed?)`,
      );
    this.held[plan.slot] = (this.held[from] ?? []).slice(0, plan.keep);
  }

  /**
   * Lengthens the shorter inputs to the longest with copies of their last token, whose outputs
   * nobody reads and which the next step erases. Not past MAX_PADDING (a trajectory reading a
   * new prompt would make every other one pad to its length) nor past the context.
   */
  private pad(plans: Plan[]): void {
    const longest = Math.max(...plans.map((plan) => plan.input.length));
    for (const plan of plans) {
      const padding = longest - plan.input.length;
      if (padding > 0 && padding <= MAX_PADDING) this.lengthen(plan, longest);
    }
  }

  /**
   * Lengthens every input that starts at its context's last token (each step's but the first) to
   * the step width with copies of its last token, sampled like the draft so that the step's
   * output count is fixed too. Their outputs are dropped and the next step erases them.
   */
  private padToStepWidth(plans: Plan[], width: number): void {
    for (const plan of plans) {
      if (plan.outputFrom === 0 && plan.input.length <= width && this.lengthen(plan, width)) plan.sampled = width;
    }
  }

  /** Appends copies of the input's last token up to `length`, if the sequence has room; says whether it did. */
  private lengthen(plan: Plan, length: number): boolean {
    const filler = plan.input[plan.input.length - 1];
    if (filler === undefined || plan.keep + length > this.context.contextSize) return false;
    while (plan.input.length < length) plan.input.push(filler);
    return true;
  }

  /** Each request's distributions by draft node, from the plans of its tree's branches (outputs indexed like plans). */
  private gather(requests: readonly TargetRequest[], plans: readonly Plan[], outputs: readonly ControlledOutput[]): SparseDistribution[][] {
    const gathered = requests.map((request) => new Array<SparseDistribution | undefined>(request.draft.size));
    plans.forEach((plan, i) => {
      const distributions = gathered[plan.request] ?? [];
      this.recordHeld(plan);
      plan.nodes?.forEach((node, output) => {
        if (node !== undefined) distributions[node] = distributionAt(plan, outputs[i] ?? [], output);
      });
    });
    return gathered.map((distributions) =>
      Array.from(distributions, (distribution) => {
        if (!distribution) throw new Error("the model returned no next-token distribution");
        return distribution;
      }),
    );
  }

  /** A chain's distributions at the plan's outputs (its first maybe another plan's: see shareContextEnds); afterwards the sequence holds the plan's input. */
  private distributionsOf(plans: readonly Plan[], outputs: readonly ControlledOutput[], index: number): SparseDistribution[] {
    const plan = plans[index];
    if (!plan) throw new RangeError(`no plan ${String(index)}`);
    this.recordHeld(plan);
    return Array.from({ length: plan.outputs }, (_, output) => {
      const lead = output === 0 ? plan.firstOutputOf : undefined;
      const leadPlan = lead === undefined ? undefined : plans[lead];
      if (lead === undefined || !leadPlan) return distributionAt(plan, outputs[index] ?? [], output);
      // A copy: a decoder may work on a trajectory's distribution in place.
      const shared = distributionAt(leadPlan, outputs[lead] ?? [], 0);
      return { tokens: shared.tokens.slice(), probs: shared.probs.slice() };
    });
  }

  /** The sequence now holds what it kept and the plan's input. */
  private recordHeld(plan: Plan): void {
    const held = this.held[plan.slot] ?? [];
    held.length = plan.keep;
    for (const token of plan.input) held.push(token);
  }

  /** Whether the plan keeps less than the sequence holds, so that its tail must be erased (or replaced by a copy) first. */
  private erases(plan: Plan): boolean {
    return plan.keep < (this.held[plan.slot]?.length ?? 0);
  }

  private async truncate(slot: number, sequence: LlamaContextSequence, keep: number): Promise<void> {
    const held = this.held[slot];
    if (!held || keep >= held.length) return;
    await sequence.eraseContextTokenRanges([{ start: keep, end: held.length }]);
    held.length = keep;
  }
}

/** samplerOutput's answer per sampling object: a decode passes one at every step (BatchSampling keys its readings by object). */
const samplerOutputs = new WeakMap<SamplingOptions, GenerateNext>();

/** What evaluate computes at a position: the sampler's probabilities, or its token when greedy. */
function samplerOutput(sampling: SamplingOptions): GenerateNext {
  let output = samplerOutputs.get(sampling);
  if (!output) {
    output = newSamplerOutput(sampling);
    samplerOutputs.set(sampling, output);
  }
  return output;
}

function newSamplerOutput(sampling: SamplingOptions): GenerateNext {
  return isGreedy(sampling)
    ? { token: true, options: { temperature: 0 } }
    : {
        probabilities: true,
        options: { temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP, minP: sampling.minP, seed: 0 },
      };
}

/** A plan's slot, by which a call's plans start (see startInSlotOrder). */
const slotOf = (plan: Plan): number => plan.slot;

/**
 * Evaluates a plan's input in its sequence, sampling at its outputs: all at once where they are
 * read alike (see BatchSampling), otherwise through controlledEvaluate.
 */
function evaluatePlan(
  { sequence, input, outputFrom, sampled, nodes, generateNext, firstOutputOf }: Plan,
  batchSampling: BatchSampling | undefined,
): Promise<ControlledOutput> {
  const outputs: number[] = [];
  const readings: GenerateNext[] = [];
  for (let output = 0; output < sampled; output++) {
    // A node another branch reads is evaluated here but not sampled again (padding is sampled).
    if (nodes && output < nodes.length && nodes[output] === undefined) continue;
    if (output === 0 && firstOutputOf !== undefined) continue;
    if (input[outputFrom + output] === undefined) continue;
    outputs.push(outputFrom + output);
    readings.push(generateNext(output));
  }
  const [reading] = readings;
  const readAlike = reading !== undefined && readings.every((other) => other === reading);
  const atOnce =
    reading === undefined
      ? batchSampling?.evaluateUnread(sequence, input as Token[])
      : readAlike
        ? batchSampling?.evaluate(sequence, input as Token[], outputs, reading)
        : undefined;
  if (atOnce) return atOnce;
  const items: ControlledInput = input.slice() as Token[];
  // Outputs read alike (all of them, outside token healing) share one item options object: this runs every step.
  let shared: { generateNext: GenerateNext } | undefined;
  outputs.forEach((index, i) => {
    const next = readings[i];
    if (next === undefined) return;
    if (shared?.generateNext !== next) shared = { generateNext: next };
    items[index] = [(input[index] ?? 0) as Token, shared];
  });
  return sequence.controlledEvaluate(items);
}

/**
 * Marks each chain whose request has the context of an earlier one, read alike at its end (the
 * candidates of a solve or an inline request at their first step, and token healing's readings
 * at the prompt's end): it takes that plan's first distribution instead of computing it again.
 * Each such output is a product with the whole output matrix (a 152k-token vocabulary makes it
 * most of an inline request's first call on a CPU). Contexts are compared from their end, so
 * trajectories that went apart cost a comparison of a token or two.
 */
function shareContextEnds(plans: Plan[], requests: readonly TargetRequest[]): void {
  // Asked once per plan, not once per pair: this runs on every step.
  const readings = plans.map((plan) => plan.generateNext(0));
  const contexts = plans.map((plan) => requests[plan.request]?.context);
  for (let i = 1; i < plans.length; i++) {
    const plan = plans[i];
    const context = contexts[i];
    if (!plan || !context) continue;
    for (let j = 0; j < i; j++) {
      const leadContext = contexts[j];
      if (plans[j]?.firstOutputOf !== undefined || !leadContext || readings[j] !== readings[i]) continue;
      if (sameTokens(context, leadContext)) {
        plan.firstOutputOf = j;
        break;
      }
    }
  }
}

/** The sampler's distribution at one of the plan's outputs. */
function distributionAt(plan: Plan, outputs: ControlledOutput, output: number): SparseDistribution {
  return distributionOf(outputs[plan.outputFrom + output]?.next);
}

/** What a position read (controlledEvaluate's or BatchSampling's output): its probabilities, or its token when greedy. */
function distributionOf(
  next: { readonly probabilities?: Map<Token, number>; readonly token?: Token | null } | undefined,
): SparseDistribution {
  if (next?.probabilities) return toDistribution(next.probabilities);
  if (next?.token != null) return pointMass(next.token);
  throw new Error("the model returned no next-token distribution");
}

function toDistribution(probabilities: Map<Token, number>): SparseDistribution {
  const tokens = new Int32Array(probabilities.size);
  const probs = new Float64Array(probabilities.size);
  let i = 0;
  let total = 0;
  for (const [token, probability] of probabilities) {
    tokens[i] = token;
    probs[i++] = probability;
    total += probability;
  }
  return { tokens, probs: probs.map((probability) => probability / total) };
}

/** A distribution restricted to some tokens (those the bias raised; anything else is dropped) and renormalised. */
function restrict(distribution: SparseDistribution | undefined, among: readonly number[]): SparseDistribution {
  const wanted = new Set(among);
  const tokens: number[] = [];
  const probs: number[] = [];
  let total = 0;
  for (let i = 0; i < (distribution?.tokens.length ?? 0); i++) {
    const token = distribution?.tokens[i] ?? -1;
    const probability = distribution?.probs[i] ?? 0;
    if (!wanted.has(token)) continue;
    tokens.push(token);
    probs.push(probability);
    total += probability;
  }
  return { tokens: Int32Array.from(tokens), probs: Float64Array.from(probs, (probability) => (total > 0 ? probability / total : 0)) };
}

/** What an aborted signal rejects with (as AbortSignal.throwIfAborted throws it). */
function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException("This operation was aborted", "AbortError");
}

import type { DraftBudget } from "./draftBudget";
import type { DraftShape } from "./draftShape";
import { NO_DRAFT, type Drafter } from "./drafters/drafter";
import type { SparseDistribution } from "./distribution";
import { DraftTree } from "./draftTree";
import { Random } from "./random";
import type { SamplingOptions } from "./sampling";
import { DecodeStatistics } from "./statistics";
import type { TargetModel, TargetRequest } from "./target";
import { verifyDraft, type Verification, type Verifier } from "./verifier";

export type FinishReason = "stop" | "length" | "cancelled";

export interface DecodeRequest {
  /** One prompt per trajectory (repeat a prompt to sample several candidates for it). */
  readonly prompts: readonly (readonly number[])[];
  /** Most tokens each trajectory may generate. */
  readonly maxTokens: number;
  readonly sampling: SamplingOptions;
  /** Seeds every random choice: drafts, acceptance tests, sampled tokens. */
  readonly seed: number;
  /** Tokens that end a trajectory (end of sequence); they are not part of the output. */
  readonly stopTokens?: Iterable<number>;
  /**
   * Called after each step with a trajectory's generated tokens; returns how many of them to keep
   * when it should stop there (a stop string completed, a block closed), else undefined.
   */
  readonly stopAt?: (trajectory: number, generated: readonly number[]) => number | undefined;
  /** Aborting stops every trajectory after the step in flight; results so far are returned. */
  readonly signal?: AbortSignal;
  /** Streams each step's newly committed tokens. */
  readonly onStep?: (step: StepUpdate) => void;
}

export interface StepUpdate {
  readonly trajectory: number;
  /** Tokens committed this step. */
  readonly tokens: readonly number[];
  /** How many of them (from the start) were accepted drafts; the rest were sampled by the target. */
  readonly fromDraft: number;
  readonly statistics: DecodeStatistics;
}

export interface TrajectoryResult {
  readonly tokens: number[];
  readonly finishReason: FinishReason;
  readonly statistics: DecodeStatistics;
}

export interface DecodeResult {
  readonly trajectories: TrajectoryResult[];
  /** Aggregate counters; targetCalls counts batched calls, so tokensPerCall is per batch. */
  readonly statistics: DecodeStatistics;
}

export interface DecoderOptions {
  readonly target: TargetModel;
  readonly drafter: Drafter;
  /** The largest draft per step; drafters may send less. */
  readonly shape: DraftShape;
  /**
   * Plans each step's draft depth per trajectory so that drafting pays for its verification
   * (adaptive draft length). Without one, the whole shape is drafted every step.
   */
  readonly budget?: DraftBudget;
  /** Replaceable for tests only (the negative control uses a deliberately wrong one). */
  readonly verifier?: Verifier;
}

/** One trajectory's draft and the target's distributions at its nodes, for the drafter to learn from. */
interface Lesson {
  readonly draft: DraftTree;
  readonly distributions: readonly SparseDistribution[];
}

/**
 * Resolves once a target call just started has been handed to the model's own thread: after the
 * microtasks that queue it, and after a batch that waits for the next turn of the event loop.
 */
function targetDispatched(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface Trajectory {
  readonly index: number;
  readonly context: number[];
  readonly promptLength: number;
  readonly statistics: DecodeStatistics;
  finishReason?: FinishReason;
}

/**
 * The STAND loop for N trajectories that share one drafter (and so one n-gram table): each step
 * drafts for every live trajectory, verifies all drafts in one target call, commits what the
 * verifier accepts, and lets the drafter learn from every distribution the target computed.
 */
export class Decoder {
  private readonly verifier: Verifier;

  constructor(private readonly options: DecoderOptions) {
    this.verifier = options.verifier ?? verifyDraft;
  }

  async decode(request: DecodeRequest): Promise<DecodeResult> {
    const { target, drafter, shape, budget } = this.options;
    const { sampling, signal } = request;
    const random = new Random(request.seed);
    const stopTokens = new Set(request.stopTokens ?? []);
    const total = new DecodeStatistics();
    const trajectories: Trajectory[] = request.prompts.map((prompt, index) => ({
      index,
      context: [...prompt],
      promptLength: prompt.length,
      statistics: new DecodeStatistics(),
    }));
    if (request.maxTokens <= 0) for (const trajectory of trajectories) trajectory.finishReason = "length";
    /** What the last step's target call taught, not yet learned (see the evaluation below). */
    let learning: Lesson[] = [];
    const learnPending = (): void => {
      for (const { draft, distributions } of learning) drafter.learn(draft, distributions, sampling.temperature);
      learning = [];
    };

    for (let step = 0; ; step++) {
      const live = trajectories.filter((trajectory) => trajectory.finishReason === undefined);
      if (live.length === 0) break;
      if (signal?.aborted) {
        for (const trajectory of live) trajectory.finishReason = "cancelled";
        break;
      }

      const draftStart = performance.now();
      const assessing = budget ? budget.needsEvidence(live.length, shape) : false;
      const evidence = assessing
        ? live.map((trajectory) => drafter.assess(trajectory.context, sampling.temperature))
        : live.map(() => NO_DRAFT);
      const depths = assessing ? budget!.plan(evidence, shape) : undefined;
      // Under a budget, a trajectory without a planned depth gets the empty draft, at no drafter cost.
      const drafts: DraftTree[] = live.map((trajectory, i) =>
        budget && !((depths?.[i] ?? 0) > 0)
          ? new DraftTree(trajectory.context)
          : drafter.draft({ context: trajectory.context, shape, temperature: sampling.temperature, random, maxDraftDepth: depths?.[i] }),
      );
      const requests: TargetRequest[] = live.map((trajectory, i) => ({
        trajectory: trajectory.index,
        context: trajectory.context,
        draft: drafts[i]!,
      }));
      const targetStart = performance.now();
      let distributions;
      try {
        const evaluation = target.evaluate(requests, sampling, signal);
        if (learning.length > 0) {
          // The last step's lessons are learned while the target computes this one, on another
          // core: only the next draft needs them, and on a CPU they cost a few percent of a step.
          // (A failure is handled where the evaluation is awaited, not reported as unhandled meanwhile.)
          evaluation.catch(() => undefined);
          await targetDispatched();
          learnPending();
        }
        distributions = await evaluation;
      } catch (error) {
        if (!signal?.aborted) throw error;
        for (const trajectory of live) trajectory.finishReason = "cancelled";
        break;
      }
      const targetEnd = performance.now();

      const verifications: Verification[] = [];
      for (let i = 0; i < live.length; i++) {
        const trajectory = live[i]!;
        const draft = drafts[i]!;
        const verification = this.verifier(draft, distributions[i]!, random);
        verifications.push(verification);
        // Before the drafter learns this very distribution, which would flatter the estimate.
        if (draft.draftedCount === 0 && evidence[i] !== NO_DRAFT) {
          const acceptance = drafter.acceptanceIfDrafted(trajectory.context, distributions[i]![0]!, sampling.temperature);
          if (acceptance !== undefined) budget?.recordUndrafted(evidence[i]!, acceptance);
        }
        learning.push({ draft, distributions: distributions[i]! });
        const committed = this.commit(trajectory, verification.tokens, request, stopTokens);
        trajectory.statistics.targetCalls++;
        trajectory.statistics.tokens += committed;
        trajectory.statistics.recordStep(draft.draftedCount, verification.acceptedCount);
        total.recordStep(draft.draftedCount, verification.acceptedCount);
        total.tokens += committed;
        request.onStep?.({
          trajectory: trajectory.index,
          tokens: trajectory.context.slice(trajectory.context.length - committed),
          fromDraft: Math.min(committed, verification.acceptedCount),
          statistics: trajectory.statistics,
        });
      }
      total.targetCalls++;
      // The first call of a decode also evaluates the prompts, so it says nothing about draft cost.
      budget?.record(evidence, drafts, verifications, step === 0 ? undefined : targetEnd - targetStart);
      const stepEnd = performance.now();
      const drafterMs = targetStart - draftStart + (stepEnd - targetEnd);
      total.drafterMs += drafterMs;
      total.targetMs += targetEnd - targetStart;
      for (const trajectory of live) {
        trajectory.statistics.drafterMs += drafterMs / live.length;
        trajectory.statistics.targetMs += (targetEnd - targetStart) / live.length;
      }
    }

    // The table outlives this decode (the server keeps it across requests).
    learnPending();
    return {
      trajectories: trajectories.map((trajectory) => ({
        tokens: trajectory.context.slice(trajectory.promptLength),
        finishReason: trajectory.finishReason!,
        statistics: trajectory.statistics,
      })),
      statistics: total,
    };
  }

  /** Appends verified tokens up to the first stop condition; returns how many were kept. */
  private commit(trajectory: Trajectory, tokens: readonly number[], request: DecodeRequest, stopTokens: ReadonlySet<number>): number {
    const before = trajectory.context.length;
    const generated = (): number => trajectory.context.length - trajectory.promptLength;
    for (const token of tokens) {
      if (stopTokens.has(token)) {
        trajectory.finishReason = "stop";
        break;
      }
      trajectory.context.push(token);
      if (generated() >= request.maxTokens) {
        trajectory.finishReason = "length";
        break;
      }
    }
    const keep = request.stopAt?.(trajectory.index, trajectory.context.slice(trajectory.promptLength));
    if (keep !== undefined) {
      // Tokens streamed in earlier steps stay; callers trim text-level stop strings themselves.
      trajectory.context.length = Math.max(trajectory.promptLength + Math.min(keep, generated()), before);
      trajectory.finishReason = "stop";
    }
    return trajectory.context.length - before;
  }
}

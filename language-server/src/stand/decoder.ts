import { leadersOf } from "./alikeContexts";
import type { DraftBudget } from "./draftBudget";
import type { ShapeArm, ShapeChoice } from "./shapeChoice";
import type { DraftShape } from "./draftShape";
import type { Drafter } from "./drafters/drafter";
import { sampleToken, type SparseDistribution } from "./distribution";
import { DraftTree } from "./draftTree";
import type { Evidence } from "./evidence";
import { PlainCallReference } from "./plainCallReference";
import { Random } from "./random";
import { isGreedy, type SamplingOptions } from "./sampling";
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
  /**
   * Per trajectory, the target's distribution after its prompt (what evaluate would return there
   * with this sampling) when the caller has it already (token healing's call read it): that
   * trajectory's first token is sampled from it before the first step, without a target call.
   */
  readonly primed?: readonly (SparseDistribution | undefined)[];
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
  /** The largest draft per step; drafters may send less. A tree needs a target that verifies trees. */
  readonly shape: DraftShape;
  /**
   * Plans each step's draft depth per trajectory so that drafting pays for its verification
   * (adaptive draft length). Without one, the whole shape is drafted every step. It must be made
   * for this target (DraftBudget.for), whose costs it learns.
   */
  readonly budget?: DraftBudget;
  /**
   * Chooses step by step between plain steps and shapes with their budgets, from what each
   * measured on this machine (see ShapeChoice); replaces shape and budget, which are then ignored.
   */
  readonly choice?: ShapeChoice;
  /** Replaceable for tests only (the negative control uses a deliberately wrong one). */
  readonly verifier?: Verifier;
  /** Milliseconds now; replaceable for tests only, which price steps by a clock they control. */
  readonly clock?: () => number;
}

/** One trajectory's draft and the target's distributions at its nodes, for the drafter to learn from. */
interface Lesson {
  readonly draft: DraftTree;
  readonly distributions: readonly SparseDistribution[];
}

interface Trajectory {
  readonly index: number;
  readonly context: number[];
  readonly promptLength: number;
  readonly statistics: DecodeStatistics;
  finishReason?: FinishReason;
  /**
   * At temperature 0, an earlier live trajectory with this one's context: this one commits what
   * that one's step commits, and the target evaluates only that one (see leadersOf).
   */
  leader?: Trajectory;
}

/** One live trajectory's part of a step: what it drafted and why. */
interface StepDraft {
  readonly trajectory: Trajectory;
  /** What the drafter knew before drawing (undefined when it was not asked or had nothing). */
  readonly evidence: Evidence | undefined;
  readonly draft: DraftTree;
}

/**
 * The STAND loop for N trajectories that share one drafter (and so one n-gram table): each step
 * drafts for every live trajectory, verifies all drafts in one target call, commits what the
 * verifier accepts, and lets the drafter learn from every distribution the target computed.
 */
export class Decoder {
  private readonly verifier: Verifier;
  private readonly clock: () => number;

  constructor(private readonly options: DecoderOptions) {
    const { target } = options;
    for (const { shape, budget } of options.choice?.arms ?? [options]) Decoder.check(target, shape, budget);
    this.verifier = options.verifier ?? verifyDraft;
    this.clock = options.clock ?? (() => performance.now());
  }

  private static check(target: TargetModel, shape: DraftShape, budget: DraftBudget | undefined): void {
    if (!target.capabilities.trees && !shape.isChain) {
      throw new RangeError("this target verifies draft chains only, and the shape is a tree");
    }
    const { treeBranches } = target.capabilities;
    if (treeBranches !== undefined && shape.leaves > treeBranches) {
      throw new RangeError(`the shape has ${String(shape.leaves)} branches; this target verifies at most ${String(treeBranches)}`);
    }
    if (budget && budget.sharedDepth !== target.capabilities.padsToLongestDraft) {
      throw new RangeError("the draft budget was made for another kind of target (see DraftBudget.for)");
    }
  }

  async decode(request: DecodeRequest): Promise<DecodeResult> {
    const { target, choice } = this.options;
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
    this.commitPrimed(trajectories, request, stopTokens, random, total);
    // At T = 0, N candidates of one prompt are one decode (the setting says so: every candidate is
    // the same), and the target evaluates one of them instead of all N.
    const alike = isGreedy(sampling);
    let regroup = alike;
    /** What the last step's target call taught, not yet learned (see the evaluation below). */
    let lessons: Lesson[] = [];
    const { drafter } = this.options;
    const plainCalls = new PlainCallReference();
    const learnLessons = (): void => {
      const learning = lessons;
      lessons = [];
      for (const { draft, distributions } of learning) drafter.learn?.(draft, distributions, sampling.temperature);
    };

    for (let step = 0; ; step++) {
      const live = trajectories.filter((trajectory) => trajectory.finishReason === undefined);
      if (live.length === 0) break;
      if (signal?.aborted) {
        for (const trajectory of live) trajectory.finishReason = "cancelled";
        break;
      }

      if (regroup) {
        const leaders = leadersOf(live.map((trajectory) => trajectory.context));
        live.forEach((trajectory, i) => (trajectory.leader = live[leaders[i] ?? -1]));
        regroup = false;
      }
      const leading = alike ? live.filter((trajectory) => trajectory.leader === undefined) : live;

      const draftStart = this.clock();
      const arm: ShapeArm | undefined = choice?.next();
      const { shape, budget } = arm ?? this.options;
      const drafts = this.draftStep(leading, request, random, shape, budget);
      const requests: TargetRequest[] = drafts.map(({ trajectory, draft }) => ({
        trajectory: trajectory.index,
        context: trajectory.context,
        draft,
      }));
      const targetStart = this.clock();
      let distributions: SparseDistribution[][];
      try {
        // The last step's lessons are learned while the target computes this one: only the next
        // draft needs them, and on a CPU they cost a few percent of a step. (A target that did not
        // run them leaves them for the line after.)
        distributions = await target.evaluate(requests, sampling, { signal, meanwhile: lessons.length > 0 ? learnLessons : undefined });
        learnLessons();
      } catch (error) {
        if (!signal?.aborted) throw error;
        for (const trajectory of live) trajectory.finishReason = "cancelled";
        break;
      }
      const targetEnd = this.clock();

      const tokensBefore = total.tokens;
      const verifications = drafts.map((stepDraft, i) => {
        const nodeDistributions = distributions[i];
        if (!nodeDistributions) throw new Error(`the target returned ${distributions.length} results for ${drafts.length} requests`);
        if (drafter.learn) lessons.push({ draft: stepDraft.draft, distributions: nodeDistributions });
        return this.commitStep(stepDraft, nodeDistributions, request, stopTokens, random, total, budget);
      });
      if (leading.length < live.length) regroup = this.commitFollowers(live, drafts, verifications, request, stopTokens, total);
      total.targetCalls++;
      const stepEnd = this.clock();
      // The budget prices the whole step, not the target call alone: a draft also costs its
      // drawing, its verification and what the drafter learns from each verified position, which
      // at T > 0 (sampled drafts, residuals, a distribution per position) made drafts that paid
      // for their call lose overall. The first call of a decode also evaluates the prompts, so it
      // says nothing about draft cost.
      budget?.record(
        drafts.map(({ evidence }) => evidence),
        drafts.map(({ draft }) => draft),
        verifications,
        step === 0 ? undefined : stepEnd - draftStart,
      );
      const drafterMs = targetStart - draftStart + (stepEnd - targetEnd);
      if (arm) {
        // Each trajectory's progress for the step's cost in plain calls: the arms are measured
        // hundreds of steps apart, while the load and the number of live trajectories move a
        // step's milliseconds by more than the arms differ (see PlainCallReference). Like the
        // budget, the choice learns nothing from the first call, which evaluates the prompts.
        const drafted = drafts.reduce((sum, { draft }) => sum + draft.draftedCount, 0);
        const cost = plainCalls.price(requests.length, step > 0 && drafted === 0, stepEnd - draftStart, targetEnd - targetStart);
        if (step > 0 && cost !== undefined) choice?.record(arm, (total.tokens - tokensBefore) / live.length, cost, drafted);
      }
      total.drafterMs += drafterMs;
      total.targetMs += targetEnd - targetStart;
      for (const trajectory of live) {
        trajectory.statistics.drafterMs += drafterMs / live.length;
        trajectory.statistics.targetMs += (targetEnd - targetStart) / live.length;
      }
    }

    // The table outlives this decode (the server keeps it across requests).
    learnLessons();
    return {
      trajectories: trajectories.map((trajectory) => ({
        tokens: trajectory.context.slice(trajectory.promptLength),
        finishReason: trajectory.finishReason ?? "cancelled",
        statistics: trajectory.statistics,
      })),
      statistics: total,
    };
  }

  /**
   * Each live trajectory's draft for this step. Under a budget the drafters assess first (only
   * when a draft could pay at all), the budget plans a depth for each, and a trajectory without
   * one gets the empty draft at no drafter cost; so does every trajectory of a plain step.
   */
  private draftStep(
    live: readonly Trajectory[],
    request: DecodeRequest,
    random: Random,
    shape: DraftShape,
    budget: DraftBudget | undefined,
  ): StepDraft[] {
    const { drafter } = this.options;
    const { temperature } = request.sampling;
    // No draft this step when the shape has none (a plain step) or the budget sees none that could
    // pay: then the drafter is not asked (a fallback drafter would assess the context to choose its source).
    const mayDraft = budget ? budget.needsEvidence(live.length, shape) : shape.maxDepth > 0;
    if (!mayDraft) return live.map((trajectory) => ({ trajectory, evidence: undefined, draft: new DraftTree(trajectory.context) }));
    if (!budget) {
      return live.map((trajectory) => ({
        trajectory,
        evidence: undefined,
        draft: drafter.draft({ context: trajectory.context, shape, temperature, random }),
      }));
    }
    const evidence = live.map((trajectory) => drafter.assess(trajectory.context, temperature));
    const depths = budget.plan(evidence, shape);
    return live.map((trajectory, i) => {
      const depth = depths[i] ?? 0;
      const draft =
        depth > 0
          ? drafter.draft({ context: trajectory.context, shape, temperature, random, maxDraftDepth: depth })
          : new DraftTree(trajectory.context);
      return { trajectory, evidence: evidence[i], draft };
    });
  }

  /** Commits each primed trajectory's first token, sampled from its primed distribution as an undrafted step would. */
  private commitPrimed(
    trajectories: readonly Trajectory[],
    request: DecodeRequest,
    stopTokens: ReadonlySet<number>,
    random: Random,
    total: DecodeStatistics,
  ): void {
    for (const trajectory of trajectories) {
      const primed = request.primed?.[trajectory.index];
      if (!primed || trajectory.finishReason !== undefined) continue;
      const committed = this.commit(trajectory, [sampleToken(primed, random)], request, stopTokens);
      trajectory.statistics.tokens += committed;
      total.tokens += committed;
      request.onStep?.({
        trajectory: trajectory.index,
        tokens: trajectory.context.slice(trajectory.context.length - committed),
        fromDraft: 0,
        statistics: trajectory.statistics,
      });
    }
  }

  /** Verifies one trajectory's draft, commits the tokens and counts them; the verification is the budget's lesson. */
  private commitStep(
    { trajectory, evidence, draft }: StepDraft,
    distributions: readonly SparseDistribution[],
    request: DecodeRequest,
    stopTokens: ReadonlySet<number>,
    random: Random,
    total: DecodeStatistics,
    budget: DraftBudget | undefined,
  ): Verification {
    const verification = this.verifier(draft, distributions, random);
    const { drafter } = this.options;
    // Before the drafter learns this very distribution, which would flatter the estimate.
    const next = distributions[0];
    if (budget && evidence && next && draft.draftedCount === 0) {
      const acceptance = drafter.acceptanceIfDrafted(trajectory.context, next, request.sampling.temperature);
      if (acceptance !== undefined) budget.recordUndrafted(evidence, acceptance);
    }
    this.commitVerified(trajectory, draft, verification, request, stopTokens, total);
    return verification;
  }

  /**
   * Commits to each follower (see Trajectory.leader) what its leader's step committed, counted as
   * its own. Returns whether any of them ended up unlike its leader (a stopAt that tells
   * trajectories apart), so the groups are worked out again.
   */
  private commitFollowers(
    live: readonly Trajectory[],
    drafts: readonly StepDraft[],
    verifications: readonly Verification[],
    request: DecodeRequest,
    stopTokens: ReadonlySet<number>,
    total: DecodeStatistics,
  ): boolean {
    const steps = new Map(drafts.map(({ trajectory, draft }, i) => [trajectory, { draft, verification: verifications[i] }]));
    let diverged = false;
    for (const follower of live) {
      const { leader } = follower;
      const step = leader && steps.get(leader);
      if (!leader || !step?.verification) continue;
      this.commitVerified(follower, step.draft, step.verification, request, stopTokens, total);
      if (follower.context.length !== leader.context.length || follower.finishReason !== leader.finishReason) diverged = true;
    }
    return diverged;
  }

  /** Commits a verified draft's tokens to a trajectory, counts them and streams them. */
  private commitVerified(
    trajectory: Trajectory,
    draft: DraftTree,
    verification: Verification,
    request: DecodeRequest,
    stopTokens: ReadonlySet<number>,
    total: DecodeStatistics,
  ): void {
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

  /** Appends verified tokens up to the first stop condition; returns how many were kept. */
  private commit(trajectory: Trajectory, tokens: readonly number[], request: DecodeRequest, stopTokens: ReadonlySet<number>): number {
    const { context, promptLength } = trajectory;
    const before = context.length;
    for (const token of tokens) {
      if (stopTokens.has(token)) {
        trajectory.finishReason = "stop";
        break;
      }
      context.push(token);
      if (context.length - promptLength >= request.maxTokens) {
        trajectory.finishReason = "length";
        break;
      }
    }
    const keep = request.stopAt?.(trajectory.index, context.slice(promptLength));
    if (keep !== undefined) {
      // Tokens streamed in earlier steps stay; callers trim text-level stop strings themselves.
      context.length = Math.max(promptLength + Math.min(keep, context.length - promptLength), before);
      trajectory.finishReason = "stop";
    }
    return context.length - before;
  }
}

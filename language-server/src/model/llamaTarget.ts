import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { SamplingOptions, SparseDistribution, TargetModel, TargetRequest } from "../stand";
import { isGreedy, pointMass } from "../stand";

type ControlledInput = Parameters<LlamaContextSequence["controlledEvaluate"]>[0];

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
}

/**
 * The engine's TargetModel on a real model: one llama.cpp context with one sequence per
 * trajectory. Each step erases the rejected tail of every sequence, then evaluates every
 * trajectory's new tokens and draft chain and reads the sampler's probabilities at each drafted
 * position. Sequences without a draft are submitted in one tick so node-llama-cpp merges them
 * into one batched decode; each sequence with a draft goes on its own after them (see evaluate).
 *
 * Drafts must be chains: llama.cpp's batch puts each token in one sequence, so a tree cannot be
 * verified in one sequence.
 */
export class LlamaTarget implements TargetModel {
  /** Tokens held in each sequence's KV cache, as far as we put them there. */
  private readonly held: number[][];

  private constructor(
    readonly context: LlamaContext,
    private readonly sequences: LlamaContextSequence[],
  ) {
    this.held = sequences.map(() => []);
  }

  static async create(model: LlamaModel, options: LlamaTargetOptions): Promise<LlamaTarget> {
    const context = await model.createContext({
      sequences: options.trajectories,
      contextSize: options.contextSize,
      batchSize: options.batchSize ?? Math.max(512, options.trajectories * 64),
      threads: options.threads,
    });
    // plan() refuses anything that would overflow, so llama.cpp never shifts a sequence under us.
    const sequences = Array.from({ length: options.trajectories }, () => context.getSequence());
    return new LlamaTarget(context, sequences);
  }

  get trajectories(): number {
    return this.sequences.length;
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  async evaluate(requests: readonly TargetRequest[], sampling: SamplingOptions, signal?: AbortSignal): Promise<SparseDistribution[][]> {
    signal?.throwIfAborted();
    const plans = requests.map((request) => this.plan(request));
    // Erase every rejected tail first, then queue all evaluations in one tick so they share a batch.
    await Promise.all(plans.map(({ sequence, keep, trajectory }) => this.truncate(trajectory, sequence, keep)));
    signal?.throwIfAborted();
    const generateNext = isGreedy(sampling)
      ? { token: true, options: { temperature: 0 } }
      : {
          probabilities: true,
          options: { temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP, minP: sampling.minP, seed: 0 },
        };
    const evaluatePlan = ({ sequence, input, outputFrom }: (typeof plans)[number]) => {
      const items: ControlledInput = input.map((token, i) => (i >= outputFrom ? [token as Token, { generateNext }] : (token as Token)));
      return sequence.controlledEvaluate(items);
    };
    // Batching several sequences is only safe while each asks for one distribution: with several
    // outputs per sequence in one merged batch, node-llama-cpp 3.21.1 returned distributions that
    // did not belong to the position (greedy output diverged from plain decoding at N = 4; see
    // test/model/standOnModel.test.ts). So the sequences without a draft share one batch, and each
    // sequence with a draft is evaluated on its own after it.
    const drafts = (plan: (typeof plans)[number]): boolean => plan.input.length - plan.outputFrom > 1;
    const results = new Map<(typeof plans)[number], Awaited<ReturnType<typeof evaluatePlan>>>();
    const undrafted = plans.filter((plan) => !drafts(plan));
    const outputs = await Promise.all(undrafted.map(evaluatePlan));
    undrafted.forEach((plan, i) => results.set(plan, outputs[i]!));
    for (const plan of plans.filter(drafts)) results.set(plan, await evaluatePlan(plan));
    return plans.map((plan) => {
      const outputs = results.get(plan)!;
      this.held[plan.trajectory] = plan.held;
      return Array.from({ length: plan.input.length - plan.outputFrom }, (_, node) => {
        const next = outputs[plan.outputFrom + node]?.next;
        if (next?.probabilities) return toDistribution(next.probabilities);
        if (next?.token != null) return pointMass(next.token);
        throw new Error("the model returned no next-token distribution");
      });
    });
  }

  /** Forgets everything a trajectory's sequence holds (a new prompt will be evaluated from scratch). */
  async reset(trajectory: number): Promise<void> {
    await this.truncate(trajectory, this.sequences[trajectory]!, 0);
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
  }

  private plan({ trajectory, context, draft }: TargetRequest) {
    const sequence = this.sequences[trajectory];
    if (!sequence) throw new RangeError(`trajectory ${trajectory} has no context sequence (this target has ${this.sequences.length})`);
    const chain: number[] = [];
    for (let node = 0; draft.children(node).length > 0; ) {
      if (draft.children(node).length > 1) throw new Error("llama.cpp verifies draft chains only, not trees");
      node = draft.children(node)[0]!;
      chain.push(draft.tokens[node]!);
    }
    if (context.length + chain.length > this.context.contextSize) {
      throw new ContextOverflowError(`${context.length + chain.length} tokens do not fit the context of ${this.context.contextSize} tokens`);
    }
    const held = this.held[trajectory]!;
    let keep = 0;
    while (keep < held.length && keep < context.length && held[keep] === context[keep]) keep++;
    // The distribution after the context needs its last token evaluated in this call.
    if (keep === context.length) keep--;
    const input = [...context.slice(keep), ...chain];
    return { trajectory, sequence, keep, input, outputFrom: context.length - 1 - keep, held: [...context, ...chain] };
  }

  private async truncate(trajectory: number, sequence: LlamaContextSequence, keep: number): Promise<void> {
    const held = this.held[trajectory]!;
    if (keep >= held.length) return;
    await sequence.eraseContextTokenRanges([{ start: keep, end: held.length }]);
    held.length = keep;
  }
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
  for (let j = 0; j < probs.length; j++) probs[j]! /= total;
  return { tokens, probs };
}

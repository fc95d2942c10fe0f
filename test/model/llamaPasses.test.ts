// A step of N trajectories is one pass over the model's weights: what batching them is for. llama.cpp
// splits a decode into micro-batches, one pass each, wherever its sequences come out of order or
// with unequal numbers of tokens (see language-server/src/model/llamaPasses.ts); the order
// (startInSlotOrder), the packing of live trajectories into consecutive sequences
// (TrajectoryPacking) and the padding of drafts to one length (padsToLongestDraft) keep every step
// of ours to one. Counted, not timed: node-llama-cpp's own loop on N sequences made 2–3 passes a step.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LlamaContext, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { LlamaPassCounter, reportLlamaPasses } from "../../language-server/src/model/llamaPasses";
import { LlamaTarget } from "../../language-server/src/model/llamaTarget";
import { loadRuntime, type Runtime } from "../../language-server/src/model/runtime";
import {
  Decoder,
  DraftBudget,
  DraftShape,
  NgramTable,
  NoDrafter,
  standDrafter,
  type DecodeRequest,
  type DecodeResult,
  type SamplingOptions,
} from "../../language-server/src/stand";
import { defined } from "../support/defined";
import { MODEL_PATH, PROMPTS } from "../support/greedyReference";

const TRAJECTORIES = 4;
const MAX_TOKENS = 40;
const SAMPLED: SamplingOptions = { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05 };

describe("llama.cpp passes over the weights", () => {
  const passes = new LlamaPassCounter();
  let runtime: Runtime;
  let model: LlamaModel;
  let prompts: Token[][];

  before(async () => {
    runtime = await loadRuntime(false, passes.logTo());
    await reportLlamaPasses(runtime.llama);
    model = await runtime.llama.loadModel({ modelPath: MODEL_PATH });
    prompts = PROMPTS.map((text) => model.tokenize(text));
  });

  after(async () => {
    await model.dispose();
    await runtime.llama.dispose();
  });

  /** Passes while `evaluate` runs. */
  async function passesOf(evaluate: () => Promise<unknown>): Promise<number> {
    const before = passes.count;
    await evaluate();
    return passes.count - before;
  }

  test("one token in each of 4 sequences is one pass queued in their order, and 4 in reverse (the counter sees the split)", async () => {
    const context: LlamaContext = await model.createContext({ sequences: TRAJECTORIES, contextSize: 128, threads: 1 });
    try {
      const sequences = Array.from({ length: TRAJECTORIES }, () => context.getSequence());
      const [token] = prompts[0] ?? [];
      assert.ok(token !== undefined);
      const stepInOrder = async (order: readonly number[]): Promise<number> => {
        await Promise.all(sequences.map((sequence) => sequence.clearHistory()));
        return passesOf(() =>
          Promise.all(
            order.map((index) =>
              defined(sequences[index], `sequence ${index}`).controlledEvaluate([[token, { generateNext: { token: true } }]]),
            ),
          ),
        );
      };
      assert.equal(await stepInOrder([0, 1, 2, 3]), 1);
      assert.equal(await stepInOrder([3, 2, 1, 0]), TRAJECTORIES);
      assert.equal(await stepInOrder([0, 2]), 2, "a gap between sequence ids splits the batch too");
    } finally {
      await context.dispose();
    }
  });

  /**
   * Decodes `request` and returns the result with the passes of its steps after the first: that one
   * evaluates the prompts, whose unequal lengths llama.cpp splits into several passes.
   */
  async function decodeCountingSteps(decoder: Decoder, request: DecodeRequest): Promise<{ result: DecodeResult; passes: number }> {
    let afterFirstStep: number | undefined;
    const result = await decoder.decode({ ...request, onStep: () => (afterFirstStep ??= passes.count) });
    assert.ok(afterFirstStep !== undefined, "the decode took a step");
    return { result, passes: passes.count - afterFirstStep };
  }

  test("batched AR at T = 0.7: one pass a step, while trajectories end at different steps", async () => {
    const target = await LlamaTarget.create(model, { trajectories: TRAJECTORIES, contextSize: 256, threads: 1 });
    try {
      const [prompt = []] = prompts;
      // Trajectories 1 and 2 end early, leaving gaps among the live ones' sequences.
      const endsAt = [undefined, 7, 19, undefined];
      const { result, passes: stepPasses } = await decodeCountingSteps(
        new Decoder({ target, drafter: new NoDrafter(), shape: DraftShape.chain(0) }),
        {
          prompts: Array.from({ length: TRAJECTORIES }, () => prompt),
          maxTokens: MAX_TOKENS,
          sampling: SAMPLED,
          seed: 3,
          stopAt: (trajectory, generated) => {
            const end = endsAt[trajectory];
            return end !== undefined && generated.length >= end ? end : undefined;
          },
        },
      );
      assert.deepEqual(
        result.trajectories.map((trajectory) => trajectory.tokens.length),
        [MAX_TOKENS, 7, 19, MAX_TOKENS],
      );
      assert.equal(stepPasses, result.statistics.targetCalls - 1);
    } finally {
      await target.dispose();
    }
  });

  test("STAND at T = 0 on different prompts: one pass a step, drafts of different depths included", async () => {
    const target = await LlamaTarget.create(model, { trajectories: TRAJECTORIES, contextSize: 256, threads: 1 });
    try {
      assert.ok(target.capabilities.padsToLongestDraft, "a process started with MODEL_PROCESS_ENV batches drafts");
      // The depths each call drafted, one list a call.
      const depthsByCall: number[][] = [];
      const evaluate = target.evaluate.bind(target);
      target.evaluate = (requests, ...rest) => {
        depthsByCall.push(requests.map((request) => request.draft.size - 1));
        return evaluate(requests, ...rest);
      };
      const decoder = new Decoder({
        target,
        drafter: standDrafter(new NgramTable()),
        shape: DraftShape.chain(8),
        budget: DraftBudget.for(target),
      });
      const { result, passes: stepPasses } = await decodeCountingSteps(decoder, {
        prompts: prompts.slice(0, TRAJECTORIES),
        maxTokens: MAX_TOKENS,
        sampling: { ...SAMPLED, temperature: 0 },
        seed: 3,
      });
      const unequal = depthsByCall.filter((depths) => depths.some((depth) => depth !== depths[0]));
      assert.ok(unequal.length > 0, `no call drafted different depths: ${JSON.stringify(depthsByCall)}`);
      assert.equal(stepPasses, result.statistics.targetCalls - 1);
    } finally {
      await target.dispose();
    }
  });
});

// STAND through the node-llama-cpp adapter on the embedded model: exact at temperature 0 against
// node-llama-cpp's own greedy generation, consistent at temperature > 0.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { LlamaTarget } from "../../language-server/src/model/llamaTarget";
import {
  Decoder,
  DraftBudget,
  DraftShape,
  DraftTree,
  NgramTable,
  PromptLookupDrafter,
  greedySampling,
  ngramDrafter,
  standDrafter,
  standThenLookupDrafter,
  type Drafter,
  type TargetModel,
} from "../../language-server/src/stand";
import { assertLeftPacked, decodingWithEarlyStops, stoppedEarly } from "../support/earlyStops";
import { loadGreedyReference, MAX_TOKENS, type GreedyReference } from "../support/greedyReference";

describe("STAND on the embedded model", () => {
  let reference: GreedyReference;
  let model: LlamaModel;
  let prompts: Token[][];
  let stopTokens: Token[];
  let greedy: Token[][];

  before(async () => {
    reference = await loadGreedyReference();
    ({ model, prompts, stopTokens, greedy } = reference);
  });

  after(async () => {
    await reference.dispose();
  });

  /** Decodes each batch greedily with a new decoder: every trajectory's tokens in order, and the draft tokens accepted. */
  async function decodeGreedily(batches: Token[][][], decoder: () => Decoder): Promise<{ outputs: Token[][]; accepted: number }> {
    const outputs: Token[][] = [];
    let accepted = 0;
    for (const batch of batches) {
      const result = await decoder().decode({ prompts: batch, maxTokens: MAX_TOKENS, sampling: greedySampling, seed: 3, stopTokens });
      outputs.push(...result.trajectories.map((trajectory) => trajectory.tokens as Token[]));
      accepted += result.statistics.accepted;
    }
    return { outputs, accepted };
  }

  const drafters: [string, () => Drafter, DraftShape, boolean][] = [
    ["STAND chain", () => standDrafter(new NgramTable()), DraftShape.chain(4), false],
    ["STAND chain with the adaptive budget", () => standDrafter(new NgramTable()), DraftShape.chain(8), true],
    ["n-gram chain", () => ngramDrafter(new NgramTable()), DraftShape.chain(4), false],
    ["prompt lookup", () => new PromptLookupDrafter(), DraftShape.chain(4), false],
    ["STAND, then prompt lookup, with the adaptive budget", () => standThenLookupDrafter(new NgramTable()), DraftShape.chain(8), true],
  ];

  test("the test processes batch every trajectory's draft in one decode (they start with MODEL_PROCESS_ENV)", async () => {
    const target = await LlamaTarget.create(model, { trajectories: 4, contextSize: 256, threads: 1 });
    try {
      assert.ok(
        target.capabilities.padsToLongestDraft,
        "scripts/test.mjs must start the tests with UV_THREADPOOL_SIZE=1, or the N = 4 test below checks only the slow path",
      );
    } finally {
      await target.dispose();
    }
  });

  test("the adapter runs the caller's work once per call, before the call's result, and never after a failed call", async () => {
    for (const trajectories of [1, 4]) {
      const target = await LlamaTarget.create(model, { trajectories, contextSize: 256, threads: 1 });
      try {
        const requests = prompts
          .slice(0, trajectories)
          .map((prompt, trajectory) => ({ trajectory, context: prompt, draft: new DraftTree(prompt) }));
        let runs = 0;
        const meanwhile = (): void => {
          runs++;
        };
        for (let call = 1; call <= 3; call++) {
          await target.evaluate(requests, greedySampling, { meanwhile });
          assert.equal(runs, call, `N = ${trajectories}, call ${call}`);
        }
        const controller = new AbortController();
        controller.abort();
        await assert.rejects(target.evaluate(requests, greedySampling, { signal: controller.signal, meanwhile }));
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(runs, 3, "an aborted call runs nothing");
        // Each context one token past what its sequence holds: a plain step, through the streams.
        const plainSteps = requests.map((request) => {
          const context = [...request.context, request.context[0] ?? 0];
          return { ...request, context, draft: new DraftTree(context) };
        });
        await assert.rejects(target.evaluate(plainSteps, greedySampling, { signal: controller.signal, meanwhile }));
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(runs, 3, "an aborted plain step runs nothing");
        const distributions = await target.evaluate(plainSteps, greedySampling, { meanwhile });
        assert.equal(runs, 4, `N = ${trajectories}, a plain step`);
        assert.equal(distributions.length, trajectories);
      } finally {
        await target.dispose();
      }
    }
  });

  for (const trajectories of [1, 4]) {
    test(`at T = 0 every drafter reproduces plain greedy decoding token for token (N = ${trajectories})`, async () => {
      const target = await LlamaTarget.create(model, { trajectories, contextSize: 256, threads: 1 });
      try {
        for (const [name, drafter, shape, budget] of drafters) {
          // N = 4 decodes the four prompts side by side in one batch; N = 1 decodes each alone.
          // N = 4 repeats the batch three times: the batching fault this guards against was intermittent.
          const batches = trajectories === 1 ? prompts.map((prompt) => [prompt]) : [prompts, prompts, prompts];
          const { outputs, accepted } = await decodeGreedily(
            batches,
            () =>
              new Decoder({
                target,
                drafter: drafter(),
                shape,
                budget: budget ? DraftBudget.for(target) : undefined,
              }),
          );
          assert.deepEqual(outputs, trajectories === 1 ? greedy : [...greedy, ...greedy, ...greedy], name);
          if (!budget) assert.ok(accepted > 0, `${name} never had a draft accepted, so the test proved little`);
        }
      } finally {
        await target.dispose();
      }
    });
  }

  test("at T = 0 alike prompts are decoded once, and followers whose leader stops early decode on alone, as greedy", async () => {
    const target = await LlamaTarget.create(model, { trajectories: 4, contextSize: 256, threads: 1 });
    try {
      const [a, b] = prompts;
      const [greedyA, greedyB] = greedy;
      assert.ok(a && b && greedyA && greedyB && greedyA.length > 3);
      const evaluated: number[][] = [];
      const recording: TargetModel = {
        capabilities: target.capabilities,
        evaluate: (requests, sampling, options) => {
          evaluated.push(requests.map((request) => request.trajectory));
          return target.evaluate(requests, sampling, options);
        },
      };
      const decoder = new Decoder({
        target: recording,
        drafter: standDrafter(new NgramTable()),
        shape: DraftShape.chain(4),
        budget: DraftBudget.for(target),
      });
      const result = await decoder.decode({
        prompts: [a, a, b, a],
        maxTokens: MAX_TOKENS,
        sampling: greedySampling,
        seed: 3,
        stopTokens,
        // The first trajectory, the leader of prompt a's three, stops after three tokens.
        stopAt: (trajectory, generated) => (trajectory === 0 && generated.length >= 3 ? 3 : undefined),
      });
      assert.deepEqual(
        result.trajectories.map((trajectory) => trajectory.tokens),
        [greedyA.slice(0, 3), greedyA, greedyB, greedyA],
      );
      assert.deepEqual(evaluated[0], [0, 2], "one sequence per prompt");
      assert.ok(evaluated.every((call) => call.length <= 2));
      assert.ok(
        evaluated.some((call) => call.includes(1)),
        "trajectory 1 took over from trajectory 0",
      );
    } finally {
      await target.dispose();
    }
  });

  test("when candidates finish early, the others move to consecutive sequences and decode as before, and so do the moved-out ones next time", async () => {
    const target = await LlamaTarget.create(model, { trajectories: 4, contextSize: 256, threads: 1 });
    try {
      const decoder = new Decoder({
        target,
        drafter: standDrafter(new NgramTable()),
        shape: DraftShape.chain(4),
        budget: DraftBudget.for(target),
      });
      const early = await decoder.decode(decodingWithEarlyStops(reference));
      assert.deepEqual(
        early.trajectories.map((trajectory) => trajectory.tokens),
        stoppedEarly(greedy),
      );
      assertLeftPacked(target);
      // The displaced trajectories' sequences now hold another context: the next decode must not read it as theirs.
      const again = await decoder.decode({ prompts, maxTokens: MAX_TOKENS, sampling: greedySampling, seed: 3, stopTokens });
      assert.deepEqual(
        again.trajectories.map((trajectory) => trajectory.tokens),
        greedy,
      );
    } finally {
      await target.dispose();
    }
  });

  test("at T = 0 with every step padded to one width, STAND reproduces plain greedy decoding (N = 1 and 4)", async () => {
    for (const trajectories of [1, 4]) {
      const target = await LlamaTarget.create(model, { trajectories, contextSize: 256, threads: 1, stepWidth: 5 });
      try {
        const batches = trajectories === 1 ? prompts.map((prompt) => [prompt]) : [prompts];
        const { outputs, accepted } = await decodeGreedily(
          batches,
          () =>
            new Decoder({
              target,
              drafter: standDrafter(new NgramTable()),
              shape: DraftShape.chain(4),
              budget: DraftBudget.for(target),
            }),
        );
        assert.deepEqual(outputs, greedy, `N = ${trajectories}`);
        assert.ok(accepted > 0, `N = ${trajectories}: no draft was accepted, so the padding was never read past a draft`);
      } finally {
        await target.dispose();
      }
    }
  });

  test("at T > 0 with fixed seeds, runs complete with consistent statistics and are reproducible", async () => {
    const target = await LlamaTarget.create(model, { trajectories: 4, contextSize: 256, threads: 1 });
    try {
      const run = () =>
        new Decoder({ target, drafter: standDrafter(new NgramTable()), shape: DraftShape.chain(4) }).decode({
          prompts: Array.from({ length: 4 }, () => prompts[0] ?? []),
          maxTokens: MAX_TOKENS,
          sampling: { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05 },
          seed: 11,
          stopTokens,
        });
      const first = await run();
      for (const trajectory of first.trajectories) {
        const { statistics } = trajectory;
        assert.ok(statistics.accepted <= statistics.drafted);
        // Every call commits at least one token; a stop token ends the output and is not in it.
        const stoppedByToken = trajectory.finishReason === "stop" ? 1 : 0;
        assert.ok((statistics.tokens + stoppedByToken) / statistics.targetCalls >= 1);
        assert.equal(statistics.tokens, trajectory.tokens.length);
        assert.ok(["stop", "length"].includes(trajectory.finishReason));
      }
      assert.ok(first.statistics.drafted > 0);
      const second = await run();
      assert.deepEqual(
        second.trajectories.map((t) => t.tokens),
        first.trajectories.map((t) => t.tokens),
        "the same seed gives the same candidates",
      );
    } finally {
      await target.dispose();
    }
  });
});

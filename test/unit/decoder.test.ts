import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Decoder,
  DraftBudget,
  DraftShape,
  NgramTable,
  NoDrafter,
  PromptLookupDrafter,
  ShapeChoice,
  greedySampling,
  ngramDrafter,
  standDrafter,
  standThenLookupDrafter,
  type DecodeResult,
  type Drafter,
  type SamplingOptions,
  type SparseDistribution,
  type TargetModel,
  type TrajectoryResult,
} from "../../language-server/src/stand";
import { MarkovTarget } from "../../fixtures/markovTarget";

const target = new MarkovTarget({ vocabularySize: 16, order: 2, support: 4, logitScale: 3, seed: 3 });
const sampling: SamplingOptions = { temperature: 1, topK: 0, topP: 1, minP: 0 };

/** The one trajectory of a single-prompt decode. */
function only(result: DecodeResult): TrajectoryResult {
  const [trajectory] = result.trajectories;
  assert.ok(trajectory && result.trajectories.length === 1, `expected one trajectory, got ${result.trajectories.length}`);
  return trajectory;
}

function prompt(seed: number, length = 24): number[] {
  return target.sample([seed % 16, (seed * 7) % 16], length, sampling, seed);
}

const drafters: [string, () => Drafter, DraftShape][] = [
  ["STAND chain", () => standDrafter(new NgramTable()), DraftShape.chain(6)],
  ["STAND tree", () => standDrafter(new NgramTable()), DraftShape.paperTree()],
  ["deterministic n-gram tree", () => ngramDrafter(new NgramTable()), DraftShape.paperTree()],
  ["prompt lookup", () => new PromptLookupDrafter(), DraftShape.chain(6)],
  ["STAND, then prompt lookup", () => standThenLookupDrafter(new NgramTable()), DraftShape.chain(6)],
];

describe("decoder", () => {
  for (const trajectories of [1, 4]) {
    test(`greedy identity: at T = 0 every drafter yields plain greedy output (N = ${trajectories})`, async () => {
      const prompts = Array.from({ length: trajectories }, (_, i) => prompt(11 + i));
      const request = { prompts, maxTokens: 120, sampling: greedySampling, seed: 5 };
      const plain = await new Decoder({ target, drafter: new NoDrafter(), shape: DraftShape.chain(0) }).decode(request);
      for (const [name, drafter, shape] of drafters) {
        const result = await new Decoder({ target, drafter: drafter(), shape }).decode({ ...request, seed: 99 });
        assert.deepEqual(
          result.trajectories.map((t) => t.tokens),
          plain.trajectories.map((t) => t.tokens),
          name,
        );
        assert.ok(result.statistics.accepted > 0, `${name} accepted no draft`);
        assert.ok(result.statistics.targetCalls < plain.statistics.targetCalls, `${name} saved no target call`);
      }
    });
  }

  test("acceptance length on the synthetic target: STAND > deterministic n-gram > prompt lookup at T = 1", async () => {
    const shape = DraftShape.paperTree();
    const meanAccepted = async (drafter: Drafter, drafterShape: DraftShape): Promise<number> => {
      const decoder = new Decoder({ target, drafter, shape: drafterShape });
      const result = await decoder.decode({
        prompts: Array.from({ length: 8 }, (_, i) => prompt(40 + i)),
        maxTokens: 300,
        sampling,
        seed: 17,
      });
      return result.statistics.meanAcceptedLength;
    };
    const stand = await meanAccepted(standDrafter(new NgramTable()), shape);
    const ngram = await meanAccepted(ngramDrafter(new NgramTable()), shape);
    const lookup = await meanAccepted(new PromptLookupDrafter(), DraftShape.chain(13));
    console.log(
      `  mean accepted length per step: STAND ${stand.toFixed(2)}, n-gram ${ngram.toFixed(2)}, prompt lookup ${lookup.toFixed(2)}`,
    );
    assert.ok(stand > ngram, `STAND ${stand} ≤ n-gram ${ngram}`);
    assert.ok(ngram > lookup, `n-gram ${ngram} ≤ prompt lookup ${lookup}`);
  });

  test("statistics are consistent", async () => {
    const result = await new Decoder({ target, drafter: standDrafter(new NgramTable()), shape: DraftShape.chain(5) }).decode({
      prompts: [prompt(1), prompt(2), prompt(3)],
      maxTokens: 80,
      sampling,
      seed: 8,
    });
    const { statistics } = result;
    assert.ok(statistics.accepted <= statistics.drafted);
    assert.equal(
      statistics.tokens,
      result.trajectories.reduce((sum, t) => sum + t.tokens.length, 0),
    );
    for (const trajectory of result.trajectories) {
      const own = trajectory.statistics;
      assert.equal(own.tokens, trajectory.tokens.length);
      assert.ok(own.tokensPerCall >= 1);
      assert.ok(own.accepted <= own.drafted);
      assert.equal(
        own.acceptedLengths.reduce((a, b) => a + b, 0),
        own.targetCalls,
      );
    }
    assert.ok(statistics.tokensPerCall >= result.trajectories.length, "one batched call serves every live trajectory");
    assert.ok(statistics.drafterOverhead > 0 && statistics.drafterOverhead < 1);
  });

  test("stops at stop tokens (excluded), at maxTokens, and where stopAt says", async () => {
    const decoder = new Decoder({ target, drafter: standDrafter(new NgramTable()), shape: DraftShape.chain(4) });
    const base = { prompts: [prompt(5)], sampling: greedySampling, seed: 1 };
    const free = only(await decoder.decode({ ...base, maxTokens: 40 }));
    assert.equal(free.tokens.length, 40);
    assert.equal(free.finishReason, "length");

    const stopToken = free.tokens[10] ?? -1;
    const firstStop = free.tokens.indexOf(stopToken);
    const stopped = only(await decoder.decode({ ...base, maxTokens: 40, stopTokens: [stopToken] }));
    assert.deepEqual(stopped.tokens, free.tokens.slice(0, firstStop));
    assert.equal(stopped.finishReason, "stop");

    const cut = only(await decoder.decode({ ...base, maxTokens: 40, stopAt: (_, generated) => (generated.length >= 7 ? 7 : undefined) }));
    assert.ok(cut.tokens.length >= 7 && cut.tokens.length <= 7 + 4);
    assert.deepEqual(cut.tokens.slice(0, 7), free.tokens.slice(0, 7));
    assert.equal(cut.finishReason, "stop");
  });

  test("streamed steps add up to the final tokens, with provenance", async () => {
    const streamed: number[][] = [[], []];
    let fromDraft = 0;
    const result = await new Decoder({ target, drafter: standDrafter(new NgramTable()), shape: DraftShape.chain(4) }).decode({
      prompts: [prompt(21), prompt(22)],
      maxTokens: 60,
      sampling,
      seed: 4,
      onStep: (step) => {
        streamed[step.trajectory]?.push(...step.tokens);
        assert.ok(step.fromDraft <= step.tokens.length);
        fromDraft += step.fromDraft;
      },
    });
    assert.deepEqual(
      streamed,
      result.trajectories.map((t) => t.tokens),
    );
    assert.ok(fromDraft <= result.statistics.accepted, "only accepted drafts are marked as drafts");
    assert.ok(fromDraft > 0);
  });

  test("cancellation through an AbortSignal stops between steps and keeps what was generated", async () => {
    const controller = new AbortController();
    let steps = 0;
    const result = await new Decoder({ target, drafter: standDrafter(new NgramTable()), shape: DraftShape.chain(4) }).decode({
      prompts: [prompt(9)],
      maxTokens: 10_000,
      sampling,
      seed: 2,
      signal: controller.signal,
      onStep: () => {
        if (++steps === 3) controller.abort();
      },
    });
    assert.equal(steps, 3);
    assert.equal(only(result).finishReason, "cancelled");
    assert.ok(only(result).tokens.length >= 3);
  });

  test("the drafter learns each call's distributions while the next call runs, and all of them before the decode ends", async () => {
    const drafter = standDrafter(new NgramTable());
    let learned = 0;
    const learn = drafter.learn.bind(drafter);
    drafter.learn = (...lesson) => {
      learned++;
      learn(...lesson);
    };
    // A target that computes on "another thread": it runs the caller's work once its call is under
    // way, and answers a turn of the event loop later.
    const learnedDuringCall: number[] = [];
    const slow: TargetModel = {
      capabilities: target.capabilities,
      evaluate: async (requests, options, { meanwhile } = {}) => {
        const before = learned;
        await new Promise((resolve) => setImmediate(resolve));
        meanwhile?.();
        await new Promise((resolve) => setImmediate(resolve));
        learnedDuringCall.push(learned - before);
        return target.evaluate(requests, options);
      },
    };
    const result = await new Decoder({ target: slow, drafter, shape: DraftShape.chain(4) }).decode({
      prompts: [prompt(3), prompt(4)],
      maxTokens: 30,
      sampling,
      seed: 5,
    });
    const calls = result.trajectories.reduce((sum, trajectory) => sum + trajectory.statistics.targetCalls, 0);
    assert.equal(learned, calls, "every trajectory's distributions of every call, the last included");
    assert.equal(learnedDuringCall[0], 0);
    assert.ok(
      learnedDuringCall.slice(1, 5).every((count) => count === 2),
      `learned during calls: ${learnedDuringCall.join(" ")}`,
    );
  });

  test("a plain step of a shape choice asks the drafter nothing, learns from the call, and decodes what plain decoding does", async () => {
    const drafter = standThenLookupDrafter(new NgramTable());
    const asked = { assess: 0, draft: 0, learn: 0 };
    const counting: Drafter = {
      name: drafter.name,
      assess: (context, temperature) => {
        asked.assess++;
        return drafter.assess(context, temperature);
      },
      draft: (request) => {
        asked.draft++;
        return drafter.draft(request);
      },
      acceptanceIfDrafted: (context, next, temperature) => drafter.acceptanceIfDrafted(context, next, temperature),
      learn: (draft, distributions, temperature) => {
        asked.learn++;
        drafter.learn?.(draft, distributions, temperature);
      },
    };
    const request = { prompts: [prompt(8), prompt(9)], maxTokens: 24, sampling, seed: 12 };
    const plainOnly = new ShapeChoice([{ shape: DraftShape.chain(0) }]);
    const chosen = await new Decoder({ target, drafter: counting, shape: DraftShape.chain(6), choice: plainOnly }).decode(request);
    const plain = await new Decoder({ target, drafter: new NoDrafter(), shape: DraftShape.chain(0) }).decode(request);
    assert.equal(asked.assess + asked.draft, 0, "no assessing, no drafting");
    assert.equal(asked.learn, chosen.statistics.targetCalls * 2, "the table learns from every call");
    assert.deepEqual(
      chosen.trajectories.map((trajectory) => trajectory.tokens),
      plain.trajectories.map((trajectory) => trajectory.tokens),
    );
  });

  test("a drafter that learns nothing gives the target no work to run meanwhile (plain decoding pays nothing for learning)", async () => {
    const meanwhileOf = async (drafter: Drafter, shape: DraftShape): Promise<boolean[]> => {
      const given: boolean[] = [];
      const recording: TargetModel = {
        capabilities: target.capabilities,
        evaluate: (requests, options, evaluation) => {
          given.push(evaluation?.meanwhile !== undefined);
          return target.evaluate(requests, options, evaluation);
        },
      };
      await new Decoder({ target: recording, drafter, shape }).decode({
        prompts: [prompt(8), prompt(9)],
        maxTokens: 30,
        sampling,
        seed: 5,
      });
      return given;
    };
    for (const [drafter, shape] of [
      [new NoDrafter(), DraftShape.chain(0)],
      [new PromptLookupDrafter(), DraftShape.chain(4)],
    ] as const) {
      const given = await meanwhileOf(drafter, shape);
      assert.ok(given.length > 5 && given.every((work) => !work), `${drafter.name}: ${given.join(" ")}`);
    }
    // The control: a drafter that learns hands its lessons over on every call after the first.
    const learning = await meanwhileOf(standDrafter(new NgramTable()), DraftShape.chain(4));
    assert.deepEqual(learning, [false, ...learning.slice(1).map(() => true)]);
  });

  test("a target that never runs the caller's work still has every lesson learned, each once, in order", async () => {
    const learnedWith = async (evaluate: TargetModel["evaluate"]): Promise<string[]> => {
      const drafter = standDrafter(new NgramTable());
      const lessons: string[] = [];
      const learn = drafter.learn.bind(drafter);
      drafter.learn = (draft, distributions, temperature) => {
        lessons.push(draft.tokens.join(","));
        learn(draft, distributions, temperature);
      };
      await new Decoder({ target: { capabilities: target.capabilities, evaluate }, drafter, shape: DraftShape.chain(4) }).decode({
        prompts: [prompt(6)],
        maxTokens: 40,
        sampling,
        seed: 5,
      });
      return lessons;
    };
    const ignoring = await learnedWith((requests, options) => target.evaluate(requests, options));
    const running = await learnedWith((requests, options, evaluation) => target.evaluate(requests, options, evaluation));
    assert.ok(ignoring.length > 5);
    assert.deepEqual(ignoring, running);
  });

  test("a target that fails while the last call's lessons are being learned rejects the decode, reported once", async () => {
    let calls = 0;
    const failing: TargetModel = {
      capabilities: target.capabilities,
      evaluate: async (requests, options, evaluation) => {
        if (++calls === 3) throw new Error("model crashed");
        return target.evaluate(requests, options, evaluation);
      },
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      await assert.rejects(
        new Decoder({ target: failing, drafter: standDrafter(new NgramTable()), shape: DraftShape.chain(4) }).decode({
          prompts: [prompt(5)],
          maxTokens: 50,
          sampling,
          seed: 1,
        }),
        /model crashed/,
      );
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    assert.equal(calls, 3);
    assert.deepEqual(unhandled, []);
  });

  test("a target that rejects because the request was aborted ends the decode as cancelled; other errors propagate", async () => {
    const controller = new AbortController();
    const aborting: TargetModel = {
      capabilities: target.capabilities,
      evaluate: () => {
        controller.abort();
        return Promise.reject(new Error("aborted"));
      },
    };
    const result = await new Decoder({ target: aborting, drafter: new NoDrafter(), shape: DraftShape.chain(0) }).decode({
      prompts: [[1, 2]],
      maxTokens: 5,
      sampling,
      seed: 1,
      signal: controller.signal,
    });
    assert.equal(only(result).finishReason, "cancelled");

    const failing: TargetModel = {
      capabilities: target.capabilities,
      evaluate: async (): Promise<SparseDistribution[][]> => Promise.reject(new Error("model crashed")),
    };
    await assert.rejects(
      new Decoder({ target: failing, drafter: new NoDrafter(), shape: DraftShape.chain(0) }).decode({
        prompts: [[1]],
        maxTokens: 5,
        sampling,
        seed: 1,
      }),
      /model crashed/,
    );
  });

  test("a shape choice learns each step's tokens per trajectory for its cost in plain calls, whatever the machine's speed", async () => {
    // A fake clock: the machine runs five times slower after 100 calls; drafting and verifying take no time.
    let now = 0;
    let calls = 0;
    const timed: TargetModel = {
      capabilities: target.capabilities,
      evaluate: (requests, options, evaluation) => {
        now += calls++ < 100 ? 1 : 5;
        return target.evaluate(requests, options, evaluation);
      },
    };
    const plainOnly = new ShapeChoice([{ shape: DraftShape.chain(0) }]);
    const decoder = new Decoder({
      target: timed,
      drafter: new NoDrafter(),
      shape: DraftShape.chain(0),
      choice: plainOnly,
      clock: () => now,
    });
    await decoder.decode({ prompts: [prompt(4), prompt(5), prompt(6)], maxTokens: 300, sampling, seed: 2 });
    // Three trajectories a step, each a token: in milliseconds, 3 tokens a millisecond and then 0.6.
    assert.equal(plainOnly.throughputs()[0], 1);
  });

  test("the budget prices a draft by its whole step: drafts whose drawing, verification and learning cost more than the call saves stop", async () => {
    // A fake clock: each target call takes 1 ms plus 0.05 ms per draft token (drafts nearly free
    // in the call), and drawing a draft takes msPerDrawnToken per token it holds (the work a
    // draft adds around the call: at T > 0 on a CPU, a real cost).
    const draftedPerCall = async (msPerDrawnToken: number): Promise<number> => {
      let now = 0;
      const drafter = standDrafter(new NgramTable());
      const draw = drafter.draft.bind(drafter);
      drafter.draft = (request) => {
        const draft = draw(request);
        now += msPerDrawnToken * draft.draftedCount;
        return draft;
      };
      const timed: TargetModel = {
        capabilities: target.capabilities,
        evaluate: (requests, options, evaluation) => {
          now += 1 + 0.05 * requests.reduce((sum, { draft }) => sum + draft.draftedCount, 0);
          return target.evaluate(requests, options, evaluation);
        },
      };
      const budget = DraftBudget.for(timed);
      const decoder = new Decoder({ target: timed, drafter, shape: DraftShape.chain(4), budget, clock: () => now });
      const result = await decoder.decode({ prompts: [prompt(3)], maxTokens: 600, sampling: greedySampling, seed: 5 });
      return result.statistics.drafted / result.statistics.targetCalls;
    };
    const free = await draftedPerCall(0);
    const costly = await draftedPerCall(2);
    assert.ok(free > 1, `drafts that cost nothing around the call: ${free.toFixed(2)} draft tokens per call`);
    assert.ok(costly < 0.25, `drafts that cost 2 calls a token around the call: ${costly.toFixed(2)} draft tokens per call`);
  });

  test("a target's capabilities are checked: no tree for a chain-only target, no budget made for another kind of target", () => {
    const chainsOnly: TargetModel = {
      capabilities: { trees: false, padsToLongestDraft: true },
      evaluate: (requests, options) => target.evaluate(requests, options),
    };
    const drafter = standDrafter(new NgramTable());
    assert.throws(() => new Decoder({ target: chainsOnly, drafter, shape: DraftShape.paperTree() }), /chains only/);
    assert.doesNotThrow(
      () => new Decoder({ target: chainsOnly, drafter, shape: DraftShape.chain(8), budget: DraftBudget.for(chainsOnly) }),
    );
    assert.throws(
      () => new Decoder({ target: chainsOnly, drafter, shape: DraftShape.chain(8), budget: DraftBudget.for(target) }),
      /another kind of target/,
    );
  });
});

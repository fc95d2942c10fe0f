import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Decoder,
  DraftBudget,
  DraftShape,
  NgramTable,
  NoDrafter,
  greedySampling,
  leadersOf,
  sameTokens,
  standDrafter,
  type DecodeRequest,
  type StepUpdate,
  type TargetModel,
  type TargetRequest,
} from "../../language-server/src/stand";
import { MarkovTarget } from "../../fixtures/markovTarget";

const markov = new MarkovTarget({ vocabularySize: 16, order: 2, support: 4, logitScale: 3, seed: 3 });
const sampled = { temperature: 1, topK: 0, topP: 1, minP: 0 };

function prompt(seed: number): number[] {
  return markov.sample([seed % 16, (seed * 7) % 16], 24, sampled, seed);
}

/** The Markov target, recording which trajectories each call evaluated. */
function recording(): { target: TargetModel; calls: number[][] } {
  const calls: number[][] = [];
  const target: TargetModel = {
    capabilities: markov.capabilities,
    evaluate: (requests: readonly TargetRequest[], sampling, options) => {
      calls.push(requests.map((request) => request.trajectory));
      return markov.evaluate(requests, sampling, options);
    },
  };
  return { target, calls };
}

const decoders = [
  { name: "plain", make: (target: TargetModel) => new Decoder({ target, drafter: new NoDrafter(), shape: DraftShape.chain(0) }) },
  {
    name: "STAND, drafting every step",
    make: (target: TargetModel) => new Decoder({ target, drafter: standDrafter(new NgramTable()), shape: DraftShape.chain(6) }),
  },
  {
    name: "STAND adaptive",
    make: (target: TargetModel) =>
      new Decoder({ target, drafter: standDrafter(new NgramTable()), shape: DraftShape.chain(6), budget: DraftBudget.for(target) }),
  },
];

/** What each trajectory of a request decodes alone: one decode per prompt, N = 1. */
async function alone(make: (target: TargetModel) => Decoder, request: DecodeRequest): Promise<number[][]> {
  const tokens: number[][] = [];
  for (const [index, prompt] of request.prompts.entries()) {
    const stopAt = request.stopAt;
    const result = await make(markov).decode({
      ...request,
      prompts: [prompt],
      ...(stopAt ? { stopAt: (_: number, generated: readonly number[]) => stopAt(index, generated) } : {}),
    });
    tokens.push(result.trajectories[0]?.tokens ?? []);
  }
  return tokens;
}

describe("alike contexts", () => {
  test("each context's leader is the first earlier one with the same tokens", () => {
    assert.deepEqual(leadersOf([[1, 2], [1, 2], [3], [1, 2], [3], [1], []]), [undefined, 0, undefined, 0, 2, undefined, undefined]);
    assert.deepEqual(
      leadersOf([
        [1, 2, 3],
        [1, 2],
        [0, 2, 3],
      ]),
      [undefined, undefined, undefined],
    );
    assert.ok(sameTokens([4, 5], [4, 5]) && !sameTokens([4, 5], [4, 6]) && !sameTokens([4], [4, 4]));
  });

  for (const { name, make } of decoders) {
    test(`${name}: at T = 0 alike prompts are evaluated once and decode as each would alone`, async () => {
      const [a, b] = [prompt(11), prompt(12)];
      const request: DecodeRequest = { prompts: [a, a, b, a, b], maxTokens: 60, sampling: greedySampling, seed: 5 };
      const { target, calls } = recording();
      const streamed: StepUpdate[] = [];
      const result = await make(target).decode({ ...request, onStep: (update) => streamed.push(update) });
      assert.deepEqual(
        result.trajectories.map((t) => t.tokens),
        await alone(make, request),
      );
      assert.ok(calls.length > 0);
      for (const call of calls) assert.deepEqual(call, [0, 2], "only the first trajectory of each prompt is evaluated");
      // Every trajectory is streamed and counted as its own.
      for (const [index, trajectory] of result.trajectories.entries()) {
        const tokens = streamed.filter((update) => update.trajectory === index).flatMap((update) => update.tokens);
        assert.deepEqual(tokens, trajectory.tokens, `trajectory ${index}'s stream`);
        assert.equal(trajectory.statistics.tokens, trajectory.tokens.length);
        assert.equal(trajectory.statistics.targetCalls, calls.length);
      }
      assert.equal(
        result.statistics.tokens,
        result.trajectories.reduce((sum, t) => sum + t.tokens.length, 0),
      );
      if (name === "STAND, drafting every step") {
        // Followers take their leader's accepted drafts too.
        const accepted = result.trajectories.map((t) => t.statistics.accepted);
        assert.ok((accepted[0] ?? 0) > 0, "drafts were accepted");
        assert.deepEqual(accepted, [accepted[0], accepted[0], accepted[2], accepted[0], accepted[2]]);
      }
    });

    test(`${name}: trajectories a stopAt tells apart decode on alone, each as it would alone`, async () => {
      const a = prompt(13);
      // Trajectory 0 (the leader) stops after 5 tokens, 2 after 17; 1 and 3 run to the end.
      const limits = [5, undefined, 17, undefined];
      const request: DecodeRequest = {
        prompts: [a, a, a, a],
        maxTokens: 40,
        sampling: greedySampling,
        seed: 5,
        stopAt: (trajectory, generated) => {
          const limit = limits[trajectory];
          return limit !== undefined && generated.length >= limit ? limit : undefined;
        },
      };
      const { target, calls } = recording();
      const result = await make(target).decode(request);
      const expected = await alone(make, request);
      assert.deepEqual(
        result.trajectories.map((t) => t.tokens),
        expected,
      );
      assert.deepEqual(
        expected.map((tokens) => tokens.length),
        [5, 40, 17, 40],
      );
      // One trajectory evaluated at a time: 0 until it stops, then 1 for the others.
      for (const call of calls) assert.equal(call.length, 1);
      assert.deepEqual(calls[0], [0]);
      assert.deepEqual(calls.at(-1), [1]);
    });
  }

  test("at T > 0 every trajectory is evaluated: alike prompts are independent samples", async () => {
    const a = prompt(14);
    const { target, calls } = recording();
    const result = await decoders[0]?.make(target).decode({ prompts: [a, a, a], maxTokens: 30, sampling: sampled, seed: 5 });
    assert.ok(result);
    assert.deepEqual(calls[0], [0, 1, 2]);
    assert.notDeepEqual(result.trajectories[0]?.tokens, result.trajectories[1]?.tokens);
  });
});

// Prefix sharing on the embedded model (language-server/src/model/sharedPrefix.ts): a prompt that
// several trajectories need is evaluated once and copied, and what they decode does not change;
// its end, read alike, is read once (LlamaTarget's shareContextEnds).
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { LlamaTarget } from "../../language-server/src/model/llamaTarget";
import { loadRuntime, type Runtime } from "../../language-server/src/model/runtime";
import { copySequencePrefix } from "../../language-server/src/model/sequenceCopy";
import { MIN_SHARED_TOKENS } from "../../language-server/src/model/sharedPrefix";
import {
  Decoder,
  DraftShape,
  DraftTree,
  NgramTable,
  greedySampling,
  standDrafter,
  type SamplingOptions,
} from "../../language-server/src/stand";
import { countEvaluatedTokens, type EvaluatedTokens } from "../support/evaluatedTokens";

const MODEL_PATH = join(__dirname, "..", "..", "models", "stand-code-mini.gguf");

const PROMPT = `import { readFile } from "node:fs/promises";

export interface Config {
  name: string;
  port: number;
}

export async function loadConfig(path: string): Promise<Config> {
  const text = await readFile(path, "utf8");
`;
const OTHER = `export class Stack<T> {
  private readonly items: T[] = [];

  push(item: T): void {
    this.items.push(item);
  }

  pop(): T | undefined {
`;

describe("prefix sharing on the embedded model", () => {
  let runtime: Runtime;
  let model: LlamaModel;
  let prompt: Token[];
  let other: Token[];
  /** Tokens the context sequences have been given to evaluate, counted at node-llama-cpp's own method. */
  let counter: EvaluatedTokens | undefined;
  /** Tokens node-llama-cpp evaluated since the counter was installed. */
  const evaluated = (): number => counter?.count ?? 0;

  before(async () => {
    runtime = await loadRuntime(false);
    model = await runtime.llama.loadModel({ modelPath: MODEL_PATH });
    prompt = model.tokenize(PROMPT);
    other = model.tokenize(OTHER);
    assert.ok(prompt.length > MIN_SHARED_TOKENS && other.length > MIN_SHARED_TOKENS, "the prompts are long enough to be shared");
    counter = await countEvaluatedTokens();
  });

  after(async () => {
    counter?.restore();
    await model.dispose();
    await runtime.llama.dispose();
  });

  const create = (trajectories: number, sharePrefixes: boolean): Promise<LlamaTarget> =>
    LlamaTarget.create(model, { trajectories, contextSize: 256, threads: 1, sharePrefixes });

  /** Tokens evaluated by one call of the target on these contexts (no drafts). */
  async function tokensEvaluatedBy(target: LlamaTarget, contexts: readonly (readonly number[] | undefined)[]): Promise<number> {
    const requests = contexts.flatMap((context, trajectory) => (context ? [{ trajectory, context, draft: new DraftTree(context) }] : []));
    const before = evaluated();
    await target.evaluate(requests, greedySampling);
    return evaluated() - before;
  }

  test("node-llama-cpp has the sequence copy that sharing uses, and it copies what the sequence holds", async () => {
    const context = await model.createContext({ sequences: 2, contextSize: 128, threads: 1 });
    try {
      const from = context.getSequence();
      const to = context.getSequence();
      await from.controlledEvaluate(prompt.slice(0, 40));
      assert.equal(await copySequencePrefix(from, to, 30), true);
      assert.deepEqual(to.contextTokens, prompt.slice(0, 30));
      await assert.rejects(copySequencePrefix(from, to, 41), RangeError);
    } finally {
      await context.dispose();
    }
  });

  test("one prompt for three trajectories is evaluated once: the others copy it and evaluate its last token", async () => {
    for (const sharePrefixes of [true, false]) {
      const target = await create(3, sharePrefixes);
      try {
        const tokens = await tokensEvaluatedBy(target, [prompt, prompt, prompt]);
        assert.equal(tokens, sharePrefixes ? prompt.length - 1 + 3 : 3 * prompt.length, `sharePrefixes: ${String(sharePrefixes)}`);
        // Every step after the first finds its prefix held: nothing to share, nothing evaluated twice.
        const next = [...prompt, 11];
        assert.equal(await tokensEvaluatedBy(target, [next, next, next]), 3);
      } finally {
        await target.dispose();
      }
    }
  });

  test("one context's end read alike by three trajectories is read once: one output, three equal distributions, and each sequence holds it", async () => {
    for (const sharePrefixes of [true, false]) {
      const target = await create(3, sharePrefixes);
      const lone = await create(1, sharePrefixes);
      try {
        const sampling: SamplingOptions = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 };
        const requests = (context: readonly number[], trajectories: number) =>
          Array.from({ length: trajectories }, (_, trajectory) => ({ trajectory, context, draft: new DraftTree(context) }));
        const outputsBefore = counter?.outputs ?? 0;
        const shared = await target.evaluate(requests(prompt, 3), sampling);
        assert.equal((counter?.outputs ?? 0) - outputsBefore, 1, `sharePrefixes: ${String(sharePrefixes)}: outputs computed`);
        const [alone] = await lone.evaluate(requests(prompt, 1), sampling);
        for (const [trajectory, distributions] of shared.entries()) {
          const [first] = distributions;
          const [expected] = alone ?? [];
          assert.ok(first && expected, `trajectory ${String(trajectory)} has a distribution`);
          assert.deepEqual([...first.tokens], [...expected.tokens]);
          first.probs.forEach((probability, i) => {
            assert.ok(Math.abs(probability - (expected.probs[i] ?? 0)) < 1e-5, `trajectory ${String(trajectory)}, token ${String(i)}`);
          });
        }
        // Each sequence evaluated the context's end: the next step evaluates one token in each and reads each.
        const before = { tokens: evaluated(), outputs: counter?.outputs ?? 0 };
        const next = (token: number) => [...prompt, token];
        const after = await target.evaluate(
          [11, 12, 13].map((token, trajectory) => ({ trajectory, context: next(token), draft: new DraftTree(next(token)) })),
          sampling,
        );
        assert.equal(evaluated() - before.tokens, 3);
        assert.equal((counter?.outputs ?? 0) - before.outputs, 3, "contexts apart are read apart");
        assert.notDeepEqual(after[0]?.[0]?.probs, after[1]?.[0]?.probs);
      } finally {
        await target.dispose();
        await lone.dispose();
      }
    }
  });

  test("what one sequence holds from an earlier call is copied to the others, and the new part is evaluated once", async () => {
    const target = await create(3, true);
    try {
      await tokensEvaluatedBy(target, [prompt]);
      const longer = [...prompt, ...other];
      assert.equal(await tokensEvaluatedBy(target, [longer, longer, longer]), other.length - 1 + 3);
    } finally {
      await target.dispose();
    }
  });

  test("two prompts for two trajectories each: each prompt is evaluated once, and the distributions are those without sharing", async () => {
    const contexts = [prompt, other, prompt, other];
    const distributions = [];
    for (const sharePrefixes of [true, false]) {
      const target = await create(4, sharePrefixes);
      try {
        const requests = contexts.map((context, trajectory) => ({ trajectory, context, draft: new DraftTree(context) }));
        const before = evaluated();
        distributions.push(await target.evaluate(requests, { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05 }));
        if (sharePrefixes) assert.equal(evaluated() - before, prompt.length - 1 + other.length - 1 + 4);
      } finally {
        await target.dispose();
      }
    }
    const [shared = [], unshared = []] = distributions;
    assert.equal(shared.length, 4);
    shared.forEach((distribution, i) => {
      const [next] = distribution;
      const [expected] = unshared[i] ?? [];
      assert.ok(next && expected);
      assert.deepEqual([...next.tokens], [...expected.tokens], `trajectory ${i}: the same tokens`);
      next.probs.forEach((probability, j) => {
        assert.ok(Math.abs(probability - (expected.probs[j] ?? NaN)) < 1e-4, `trajectory ${i}, token ${j}`);
      });
    });
  });

  const decode = async (sharePrefixes: boolean, sampling: SamplingOptions, seed: number): Promise<number[][]> => {
    const target = await create(3, sharePrefixes);
    try {
      const decoder = new Decoder({ target, drafter: standDrafter(new NgramTable()), shape: DraftShape.chain(4) });
      const result = await decoder.decode({ prompts: [prompt, prompt, prompt], maxTokens: 32, sampling, seed });
      return result.trajectories.map((trajectory) => trajectory.tokens);
    } finally {
      await target.dispose();
    }
  };

  test("greedy decoding of three candidates from one prompt gives the same tokens with sharing as without", async () => {
    const shared = await decode(true, greedySampling, 3);
    assert.deepEqual(shared, await decode(false, greedySampling, 3));
    assert.ok(shared.every((tokens) => tokens.length > 0));
  });

  test("at T > 0 the same seed gives the same samples with sharing as without", async () => {
    const sampling = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 };
    for (const seed of [5, 6]) {
      const shared = await decode(true, sampling, seed);
      assert.deepEqual(shared, await decode(false, sampling, seed), `seed ${seed}`);
      assert.ok(
        new Set(shared.map((tokens) => tokens.join(","))).size > 1,
        `seed ${seed}: the candidates differ, so sampling was exercised`,
      );
    }
  });
});

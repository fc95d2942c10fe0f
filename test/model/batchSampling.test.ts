// BatchSampling reads a call's outputs through node-llama-cpp's internals, all at once: it must
// return exactly what controlledEvaluate returns for the same tokens, and leave the sequence as
// controlledEvaluate would.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { BatchSampling } from "../../language-server/src/model/batchSampling";
import type { GenerateNext } from "../../language-server/src/model/llamaTarget";
import { loadRuntime, type Runtime } from "../../language-server/src/model/runtime";
import { MODEL_PATH, PROMPTS } from "../support/greedyReference";

type ControlledInput = Parameters<LlamaContextSequence["controlledEvaluate"]>[0];
type ControlledOutput = Awaited<ReturnType<LlamaContextSequence["controlledEvaluate"]>>;

const GREEDY: GenerateNext = { token: true, options: { temperature: 0 } };
const SAMPLED: GenerateNext = { probabilities: true, options: { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05, seed: 0 } };

describe("BatchSampling: every output of a call at once", () => {
  let runtime: Runtime;
  let model: LlamaModel;
  let context: LlamaContext;
  let prompts: Token[][];

  before(async () => {
    runtime = await loadRuntime(false);
    model = await runtime.llama.loadModel({ modelPath: MODEL_PATH });
    context = await model.createContext({ sequences: 2, contextSize: 256, threads: 1 });
    prompts = PROMPTS.map((text) => model.tokenize(text));
  });

  after(async () => {
    await context.dispose();
    await model.dispose();
    await runtime.llama.dispose();
  });

  /** What controlledEvaluate reads at `outputs` of `input` after `prefix`, in a sequence cleared first. */
  async function controlled(sequence: LlamaContextSequence, prefix: Token[], input: Token[], outputs: number[], reading: GenerateNext) {
    await sequence.clearHistory();
    await sequence.evaluateWithoutGeneratingNewTokens(prefix);
    const items: ControlledInput = input.slice();
    for (const index of outputs) items[index] = [input[index] ?? (0 as Token), { generateNext: reading }];
    return sequence.controlledEvaluate(items);
  }

  function sampling(sequence: LlamaContextSequence): BatchSampling {
    const created = BatchSampling.for(model, sequence);
    assert.ok(created, "the tests run with one native worker thread (scripts/test.mjs), where outputs can be read at once");
    return created;
  }

  function assertSameOutputs(actual: ControlledOutput, expected: ControlledOutput, outputs: number[], where: string): void {
    for (const index of outputs) {
      assert.deepEqual(actual[index]?.next, expected[index]?.next, `${where}: output ${String(index)}`);
    }
    assert.equal(actual.filter((output) => output !== undefined).length, outputs.length, `${where}: only the outputs asked for`);
  }

  for (const [name, reading] of [
    ["the greedy token", GREEDY],
    ["the sampler's probabilities", SAMPLED],
  ] as const) {
    test(`reads ${name} at every output exactly as controlledEvaluate does, and leaves the sequence holding the input`, async () => {
      const sequence = context.getSequence();
      const batch = sampling(sequence);
      try {
        for (const prompt of prompts) {
          const prefix = prompt.slice(0, -6);
          const input = prompt.slice(-6);
          // Every position, then a draft's: the last context token and three after it, with a gap.
          for (const outputs of [
            [0, 1, 2, 3, 4, 5],
            [2, 3, 5],
          ]) {
            const expected = await controlled(sequence, prefix, input, outputs, reading);
            await sequence.clearHistory();
            await sequence.evaluateWithoutGeneratingNewTokens(prefix);
            const actual = await batch.evaluate(sequence, input, outputs, reading);
            assert.ok(actual, "the reading is one BatchSampling reads");
            assertSameOutputs(actual, expected, outputs, `prompt ${JSON.stringify(prompt.length)}`);
            assert.deepEqual(sequence.contextTokens, [...prefix, ...input], "the sequence holds what it held and the input");
          }
        }
      } finally {
        await sequence.dispose();
        batch.dispose();
      }
    });
  }

  test("queues every output's sampling before any is read (controlledEvaluate reads them one after another)", async () => {
    const sequence = context.getSequence();
    const batch = sampling(sequence);
    // The native context's methods are read-only: the test counts through a proxy in its place.
    const holder = context as unknown as { _ctx: object };
    const native = holder._ctx;
    let pending = 0;
    let mostPending = 0;
    holder._ctx = new Proxy(native, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property);
        if (typeof value !== "function") return value;
        if (property !== "sampleToken") return (value as (...args: unknown[]) => unknown).bind(target);
        return (...args: unknown[]) => {
          mostPending = Math.max(mostPending, ++pending);
          return (value.apply(target, args) as Promise<unknown>).finally(() => pending--);
        };
      },
    });
    try {
      const prompt = prompts[0] ?? [];
      const outputs = [0, 1, 2, 3, 4];
      await controlled(sequence, prompt.slice(0, -5), prompt.slice(-5), outputs, GREEDY);
      assert.equal(mostPending, 1, "the control: controlledEvaluate samples one output at a time");
      mostPending = 0;
      await sequence.clearHistory();
      await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -5));
      await batch.evaluate(sequence, prompt.slice(-5), outputs, GREEDY);
      assert.equal(mostPending, outputs.length, "every output was queued before the first came back");
    } finally {
      holder._ctx = native;
      await sequence.dispose();
      batch.dispose();
    }
  });

  test("evaluates an input nobody reads without building a native sampler (controlledEvaluate builds one)", async () => {
    const sequence = context.getSequence();
    const batch = sampling(sequence);
    // Counts the native samplers built, through a proxy in the constructor's place.
    const bindings = (model as unknown as { _llama: { _bindings: { AddonSampler: new (...args: unknown[]) => object } } })._llama._bindings;
    const AddonSampler = bindings.AddonSampler;
    let built = 0;
    bindings.AddonSampler = new Proxy(AddonSampler, {
      construct(target, args, newTarget) {
        built++;
        return Reflect.construct(target, args, newTarget) as object;
      },
    });
    try {
      const prompt = prompts[2] ?? [];
      const [prefix, input, last] = [prompt.slice(0, -4), prompt.slice(-4, -1), prompt.slice(-1)];
      const expected = await controlled(sequence, [...prefix, ...input], last, [0], GREEDY);
      await sequence.clearHistory();
      await sequence.evaluateWithoutGeneratingNewTokens(prefix);
      built = 0;
      await sequence.controlledEvaluate(input.slice());
      assert.equal(built, 1, "the control: controlledEvaluate builds a sampler for a call that reads nothing");
      await sequence.eraseContextTokenRanges([{ start: prefix.length, end: prefix.length + input.length }]);
      built = 0;
      const unread = await batch.evaluateUnread(sequence, input);
      assert.equal(built, 0, "no sampler built");
      assert.deepEqual(unread, [], "no output");
      assert.deepEqual(sequence.contextTokens, [...prefix, ...input], "the sequence holds what it held and the input");
      const actual = await batch.evaluate(sequence, last, [0], GREEDY);
      assert.ok(actual);
      assertSameOutputs(actual, expected, [0], "the read after it");
    } finally {
      bindings.AddonSampler = AddonSampler;
      await sequence.dispose();
      batch.dispose();
    }
  });

  test("two sequences in one batch each read their own outputs", async () => {
    const [first, second] = [context.getSequence(), context.getSequence()];
    const batch = sampling(first);
    try {
      const [a = [], b = []] = prompts;
      const outputs = [2, 3, 4, 5];
      const expected = [
        await controlled(first, a.slice(0, -6), a.slice(-6), outputs, SAMPLED),
        await controlled(second, b.slice(0, -6), b.slice(-6), outputs, SAMPLED),
      ];
      for (const [sequence, prompt] of [
        [first, a],
        [second, b],
      ] as const) {
        await sequence.clearHistory();
        await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -6));
      }
      // Queued in the same turn, node-llama-cpp decodes them in one batch.
      const actual = await Promise.all([
        batch.evaluate(first, a.slice(-6), outputs, SAMPLED),
        batch.evaluate(second, b.slice(-6), outputs, SAMPLED),
      ]);
      actual.forEach((output, i) => {
        assert.ok(output);
        assertSameOutputs(output, expected[i] ?? [], outputs, `sequence ${String(i)}`);
      });
    } finally {
      await first.dispose();
      await second.dispose();
      batch.dispose();
    }
  });

  test("leaves any other reading to controlledEvaluate, and keeps reading right past its sampler cache", async () => {
    const sequence = context.getSequence();
    const batch = sampling(sequence);
    try {
      for (const other of [
        { token: true, options: { temperature: 0, tokenBias: undefined } },
        { token: true, confidence: true, options: { temperature: 0 } },
        { logits: true },
        { totalLogitWeight: true, probabilities: true },
      ] as GenerateNext[]) {
        assert.equal(batch.evaluate(sequence, [1 as Token], [0], other), undefined, JSON.stringify(other));
      }
      assert.equal(sequence.contextTokens.length, 0, "a reading it cannot read evaluates nothing");
      const prompt = prompts[1] ?? [];
      // More sets of options than it keeps samplers for: the oldest go, and each reading still reads its own.
      for (const topK of [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 5]) {
        const reading: GenerateNext = { probabilities: true, options: { temperature: 0.9, topK, seed: 0 } };
        const expected = await controlled(sequence, prompt.slice(0, -3), prompt.slice(-3), [1, 2], reading);
        await sequence.clearHistory();
        await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -3));
        const actual = await batch.evaluate(sequence, prompt.slice(-3), [1, 2], reading);
        assert.ok(actual);
        assertSameOutputs(actual, expected, [1, 2], `top-k ${String(topK)}`);
        assert.ok((actual[2]?.next.probabilities?.size ?? Infinity) <= topK, `top-k ${String(topK)} was applied`);
      }
    } finally {
      await sequence.dispose();
      batch.dispose();
    }
  });
});

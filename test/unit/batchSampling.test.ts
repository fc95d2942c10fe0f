// BatchSampling's native samplers, against a fake of the node-llama-cpp internals it uses: a
// sampler is never disposed while a call that took it still samples with it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { BatchSampling } from "../../language-server/src/model/batchSampling";
import type { GenerateNext } from "../../language-server/src/model/llamaTarget";

class FakeSampler {
  static created: FakeSampler[] = [];
  disposed = false;
  constructor() {
    FakeSampler.created.push(this);
  }
  applyConfig(): void {}
  dispose(): void {
    this.disposed = true;
  }
}

/** A sequence whose batches are decoded when the test says so; each output samples a token once its sampler may still be used. */
function fakeSequence(): { sequence: LlamaContextSequence; decodeAll(): void } {
  const pending: (() => void)[] = [];
  const internal = {
    _tokenMeter: {},
    _contextShift: { size: 0, strategy: "eraseBeginning" },
    _resolveSamplerConfig: (options: unknown) => options,
    _decodeTokens: (
      _tokens: Token[],
      logits: boolean[],
      _priority: number,
      _meter: unknown,
      _shift: unknown,
      mapper: (index: number, token: number) => unknown,
    ) =>
      new Promise<void>((resolve) =>
        pending.push(() => {
          logits.forEach((read, index) => {
            if (read) mapper(index, index);
          });
          resolve();
        }),
      ),
    _context: {
      _ctx: {
        sampleToken: (_index: number, sampler: FakeSampler) =>
          Promise.resolve().then(() => {
            assert.equal(sampler.disposed, false, "a disposed sampler was asked to sample");
            return 7;
          }),
      },
    },
  };
  const decodeAll = (): void => {
    for (const decode of pending.splice(0)) decode();
  };
  return { sequence: internal as unknown as LlamaContextSequence, decodeAll };
}

const model = { _model: {}, _llama: { _bindings: { AddonSampler: FakeSampler } } } as unknown as LlamaModel;

describe("BatchSampling's samplers", () => {
  test("keeps a sampler a call took until the call ends, though later calls of other options push it out of the cache", async () => {
    assert.equal(process.env.UV_THREADPOOL_SIZE, "1", "the tests run with one native worker thread (scripts/test.mjs)");
    FakeSampler.created = [];
    const fake = fakeSequence();
    const { sequence } = fake;
    const batch = BatchSampling.for(model, sequence);
    assert.ok(batch, "the fake has every internal BatchSampling uses");
    // Twelve sets of options in one turn, more than the cache keeps: the first ones are dropped
    // from it before their batch is decoded.
    const calls = Array.from({ length: 12 }, (_, topK) => {
      const reading: GenerateNext = { token: true, options: { temperature: 0.5, topK: topK + 1 } };
      const call = batch.evaluate(sequence, [1 as Token, 2 as Token], [0, 1], reading);
      assert.ok(call);
      return call;
    });
    assert.equal(FakeSampler.created.length, 12);
    assert.ok(
      FakeSampler.created.every((sampler) => !sampler.disposed),
      "no sampler is disposed while its call is under way",
    );
    fake.decodeAll();
    const outputs = await Promise.all(calls);
    assert.deepEqual(
      outputs.map((output) => output.map((read) => read?.next.token)),
      calls.map(() => [7, 7]),
    );
    // Once the calls ended, the samplers beyond the cache's size are disposed, the most recent kept.
    assert.deepEqual(
      FakeSampler.created.map((sampler) => sampler.disposed),
      [true, true, true, true, false, false, false, false, false, false, false, false],
    );
    batch.dispose();
    assert.ok(FakeSampler.created.every((sampler) => sampler.disposed));
  });
});

// ModelSession on the embedded model: what it keeps between requests.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { LlamaTarget } from "../../language-server/src/model/llamaTarget";
import { SNIPPET_HEADER } from "../../language-server/src/model/prompt";
import { ModelSession } from "../../language-server/src/model/session";
import { decoderFor } from "../../language-server/src/decoding";
import { TREE_SHAPE } from "../../language-server/src/draftShapes";
import { Decoder, DraftShape, greedySampling, NoDrafter } from "../../language-server/src/stand";
import { defaultSettings } from "../../common/protocol";
import { threadStat } from "../support/threadStat";

const EMBEDDED = join(__dirname, "..", "..", "models", "stand-code-mini.gguf");

/** The state letters (R runnable, S asleep, …) of this process's threads in Linux's idle scheduling class (policy 5): the idle-core spinner's. */
function idleClassThreadStates(): string[] {
  return readdirSync("/proc/self/task").flatMap((task) => {
    try {
      const { state, policy } = threadStat(task);
      return policy === 5 ? [state] : [];
    } catch {
      return []; // a thread that ended meanwhile
    }
  });
}

describe("model session", () => {
  let session: ModelSession | undefined;
  const opened = (): ModelSession => session ?? assert.fail("the session did not open");
  before(async () => {
    session = await ModelSession.open({ path: EMBEDDED, gpu: false });
  });
  after(async () => {
    await session?.dispose();
  });

  test("a context that cannot be made leaves no disposed one cached: the next request makes a new one (issue 16, case 5)", async () => {
    const first = await opened().solveTargetFor(2);
    const create = LlamaTarget.create.bind(LlamaTarget);
    LlamaTarget.create = () => Promise.reject(new Error("not enough memory for this context"));
    try {
      await assert.rejects(opened().solveTargetFor(64), /not enough memory/);
    } finally {
      LlamaTarget.create = create;
    }
    assert.ok(first.context.disposed, "the context for N = 2 was given up for N = 64");
    const again = await opened().solveTargetFor(2);
    assert.notEqual(again, first);
    assert.equal(again.context.disposed, false);
    assert.equal(again.trajectories, 2);
  });

  test("a context made for more trajectories than asked is released, and made again when needed", async () => {
    const large = await opened().solveTargetFor(8);
    await opened().releaseContextOver("solve", 4);
    assert.ok(large.context.disposed);
    const small = await opened().solveTargetFor(4);
    await opened().releaseContextOver("solve", 4);
    assert.equal(small.context.disposed, false, "a context within the setting stays");
  });

  test("on the CPU a context verifies trees only when stand.draftShape forces them, and a forced tree decodes on it", async () => {
    const auto = await opened().solveTargetFor(2);
    assert.equal(auto.capabilities.trees, false, "a CPU measures chains faster: no sequences for trees");
    const forced = await opened().solveTargetFor(2, "tree");
    assert.notEqual(forced, auto);
    assert.equal(forced.capabilities.trees, true);
    assert.equal(forced.capabilities.treeBranches, TREE_SHAPE.leaves);
    const settings = { ...defaultSettings, draftShape: "tree" as const };
    const result = await decoderFor(opened(), forced, settings, greedySampling, 2).decode({
      prompts: [
        [1, 2, 3],
        [1, 2, 3],
      ],
      maxTokens: 4,
      sampling: greedySampling,
      seed: 1,
    });
    assert.equal(result.trajectories.length, 2);
    assert.equal(await opened().solveTargetFor(2, "tree"), forced, "the same setting keeps its context");
  });

  test("greedy decodes, sampled ones of one trajectory and sampled ones of several choose their shapes apart, on each context, and a new context chooses afresh", async () => {
    const session = opened();
    const solve = await session.solveTargetFor(2);
    const inline = await session.inlineTargetFor(2);
    const sampled = { ...greedySampling, temperature: 0.7 };
    const greedyChoice = session.shapeChoiceFor(solve, greedySampling, 2);
    assert.equal(session.shapeChoiceFor(solve, greedySampling, 1), greedyChoice, "one choice serves a context's greedy decodes");
    assert.equal(session.shapeChoiceFor(solve, { ...sampled, temperature: 1.2 }, 2), session.shapeChoiceFor(solve, sampled, 3));
    const batchChoice = session.shapeChoiceFor(solve, sampled, 2);
    assert.notEqual(batchChoice, greedyChoice, "sampled decodes have their own");
    const singleChoice = session.shapeChoiceFor(solve, sampled, 1);
    assert.notEqual(singleChoice, batchChoice, "a sampled decode of one trajectory has its own, without plain steps");
    assert.equal(singleChoice.arms.length, 1);
    assert.equal(batchChoice.arms.length, 2);
    assert.notEqual(session.shapeChoiceFor(inline, greedySampling, 2), greedyChoice, "the inline context has its own");
    const [chainArm] = greedyChoice.arms;
    for (const choice of [batchChoice, singleChoice])
      assert.equal(chainArm?.budget, choice.arms[0]?.budget, "all learn the context's costs in one budget");
    await session.releaseContextOver("solve", 1);
    const remade = await session.solveTargetFor(2);
    assert.notEqual(session.shapeChoiceFor(remade, greedySampling, 2), greedyChoice, "a new context measures again");
  });

  test("stand.busyWait: an idle core is kept awake through a decode of one trajectory, not of several, and not when it is off", async (t) => {
    const session = opened();
    if (!session.busyWait) {
      t.skip("this machine leaves the model no core to spare, or is not Linux");
      return;
    }
    const awakeShare = async (trajectories: number, busyWait: boolean): Promise<number> => {
      session.busyWait = busyWait;
      const target = await session.solveTargetFor(trajectories);
      // Past the spinner's linger after any earlier call, so that it starts asleep.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const states: string[] = [];
      const sampler = setInterval(() => states.push(...idleClassThreadStates()), 1);
      try {
        // Plain decoding: every trajectory commits one token a step, so N of them end together. Under
        // the server's shape choice a trajectory whose drafts were accepted can end first, and the
        // other then decodes alone, as one trajectory does (with the spinner awake, as it should be).
        await new Decoder({ target, drafter: new NoDrafter(), shape: DraftShape.chain(0) }).decode({
          prompts: Array.from({ length: trajectories }, () => session.model.tokenize("function add(a, b) {")),
          maxTokens: 64,
          sampling: { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05 },
          seed: 3,
        });
      } finally {
        clearInterval(sampler);
      }
      assert.ok(states.length > 0, "the spinner thread is there, in the idle class");
      return states.filter((state) => state === "R").length / states.length;
    };
    try {
      assert.ok((await awakeShare(1, true)) > 0.8, "awake through a decode of one trajectory");
      assert.ok((await awakeShare(2, true)) < 0.2, "asleep through a decode of two");
      assert.ok((await awakeShare(1, false)) < 0.2, "asleep with stand.busyWait off");
    } finally {
      session.busyWait = true;
    }
  });

  test("context chunks come before the FIM prompt, each after llama.cpp's snippet header (this model has no file separator token)", async () => {
    const session = opened();
    const first = { path: "src/a.ts", text: "export const a = 1;\n" };
    const chunks = [first, { path: "src/b.ts", text: "export const b = 2;\n" }];
    const plain = await session.tokenize({ text: "const c = ", kind: "code", suffix: ";\n" });
    const withContext = await session.tokenize({ text: "const c = ", kind: "code", suffix: ";\n", context: chunks, path: "src/c.ts" });
    const context = chunks.flatMap((chunk) => [...session.model.tokenize(SNIPPET_HEADER), ...session.model.tokenize(chunk.text)]);
    assert.deepEqual(withContext, [...context, ...plain]);
    assert.equal(
      session.countChunkTokens(first),
      session.model.tokenize(SNIPPET_HEADER).length + session.model.tokenize(first.text).length,
    );
  });
});

// ModelSession on the embedded model: what it keeps between requests.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { LlamaTarget } from "../../language-server/src/model/llamaTarget";
import { SNIPPET_HEADER } from "../../language-server/src/model/prompt";
import { ModelSession } from "../../language-server/src/model/session";
import { decoderFor } from "../../language-server/src/decoding";
import { TREE_SHAPE } from "../../language-server/src/draftShapes";
import { greedySampling } from "../../language-server/src/stand";
import { defaultSettings } from "../../common/protocol";

const EMBEDDED = join(__dirname, "..", "..", "models", "stand-code-mini.gguf");

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
    const result = await decoderFor(opened(), forced, settings).decode({
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

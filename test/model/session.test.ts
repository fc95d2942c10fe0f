// ModelSession on the embedded model: what it keeps between requests.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { LlamaTarget } from "../../language-server/src/model/llamaTarget";
import { ModelSession } from "../../language-server/src/model/session";

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
});

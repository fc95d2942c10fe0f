// Inline completions on real tokenizers: a model with FIM tokens gets its own FIM prompt (Qwen's
// <|fim_prefix|>…, DeepSeek's <｜fim▁begin｜>…), one without gets the prefix to continue; token
// healing finds the word the cursor is in; decoding ends at the model's end-of-generation token
// (a Qwen instruct model ends a FIM middle with <|endoftext|>, not its eos <|im_end|>).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { defaultSettings } from "../../common/protocol";
import { completeInline } from "../../language-server/src/inlineCompletion";
import { SNIPPET_HEADER } from "../../language-server/src/model/prompt";
import type { ModelSession } from "../../language-server/src/model/session";
import { decoderFor } from "../../language-server/src/decoding";
import { greedySampling } from "../../language-server/src/stand";
import { CONTINUATION_CASE, FIM_CASE, SCRIPTS } from "../../tools/fixtures/scripts";
import { FAMILIES, referenceTokenizer, type FamilyName } from "../../tools/fixtures/tokenizers";
import { openFixture } from "./fixtureSession";

const settings = { ...defaultSettings, inlineCandidates: 3 };
/** <|file_sep|> in Qwen2.5-Coder's and Qwen3's vocabulary. */
const QWEN_FILE_SEPARATOR = 151664;
const signal = new AbortController().signal;

/** Decodes greedily from a prompt with the product's decoder and stop tokens. */
async function decodeGreedily(session: ModelSession, prompt: number[], maxTokens: number) {
  const target = await session.inlineTargetFor(1);
  const result = await decoderFor(session, target, settings, greedySampling, 1).decode({
    prompts: [prompt],
    maxTokens,
    sampling: greedySampling,
    seed: 1,
    stopTokens: session.stopTokens,
  });
  const trajectory = result.trajectories[0];
  assert.ok(trajectory);
  return trajectory;
}

for (const family of ["qwen3", "deepseek3"] as const satisfies FamilyName[]) {
  describe(`inline completions on the ${family} fixture (FIM tokens)`, () => {
    let session: ModelSession;
    before(async () => {
      session = await openFixture(`${family}-scripted-low`);
    });
    after(async () => {
      await session.dispose();
    });

    test("the prompt is the model's own prefix-suffix-middle", async () => {
      const prompt = (await session.tokenize({ text: FIM_CASE.prefix, kind: "code", suffix: FIM_CASE.suffix }));
      const { prefix, suffix, middle } = session.model.tokens.infill;
      assert.ok(prefix !== null && suffix !== null && middle !== null);
      const reference = referenceTokenizer(FAMILIES[family]);
      assert.deepEqual(prompt, [prefix, ...reference.encode(FIM_CASE.prefix), suffix, ...reference.encode(FIM_CASE.suffix), middle]);
    });

    test("context chunks come first: after Qwen's <|file_sep|> and the file's path, else after llama.cpp's snippet header", async () => {
      const reference = referenceTokenizer(FAMILIES[family]);
      const chunk = { path: "src/util.ts", text: "export const answer = 42;\n" };
      const plain = await session.tokenize({ text: FIM_CASE.prefix, kind: "code", suffix: FIM_CASE.suffix });
      const prompt = await session.tokenize({ text: FIM_CASE.prefix, kind: "code", suffix: FIM_CASE.suffix, context: [chunk], path: "src/main.ts" });
      const context =
        family === "qwen3"
          ? [QWEN_FILE_SEPARATOR, ...reference.encode("src/util.ts\n"), ...reference.encode(chunk.text), QWEN_FILE_SEPARATOR, ...reference.encode("src/main.ts\n")]
          : [...reference.encode(SNIPPET_HEADER), ...reference.encode(chunk.text)];
      assert.deepEqual(prompt, [...context, ...plain]);
    });

    test("decoding a FIM middle ends at the model's end-of-generation token, which is not in the output", async () => {
      const prompt = await session.tokenize({ text: FIM_CASE.prefix, kind: "code", suffix: FIM_CASE.suffix });
      const trajectory = await decodeGreedily(session, prompt, 32);
      assert.equal(trajectory.finishReason, "stop");
      assert.equal(session.detokenize(trajectory.tokens), FIM_CASE.middle);
      assert.equal(trajectory.tokens.length, session.model.tokenize(FIM_CASE.middle).length, "nothing after the middle");
      for (const token of trajectory.tokens) assert.ok(!session.model.isEogToken(token as Token), "no end-of-generation token in the output");
    });

    // (Healing inside a word is checked on the llama3 fixture: the scripted model keys a FIM middle
    // on <|fim_middle|> alone, so it cannot see the prefix a healed FIM prompt ends in.)
    test("completes the middle, from an empty line and (healed) after the indentation", async () => {
      assert.deepEqual(await completeInline(session, { prefix: FIM_CASE.prefix, suffix: FIM_CASE.suffix }, settings, signal), [
        FIM_CASE.middle,
      ]);
      const indentation = FIM_CASE.middle.slice(0, FIM_CASE.middle.length - FIM_CASE.middle.trimStart().length);
      assert.deepEqual(
        await completeInline(session, { prefix: FIM_CASE.prefix + indentation, suffix: FIM_CASE.suffix }, settings, signal),
        [FIM_CASE.middle.trimStart()],
      );
    });
  });
}

describe("inline completions on the llama3 fixture (no FIM tokens)", () => {
  let session: ModelSession;
  before(async () => {
    session = await openFixture("llama3-scripted-low");
  });
  after(async () => {
    await session.dispose();
  });

  const [head = "", body = ""] = CONTINUATION_CASE.code.split("\n");

  test("falls back to continuing the prefix: the prompt is the prefix alone", async () => {
    const prompt = await session.tokenize({ text: `${head}\n`, kind: "code", suffix: "\n}\n" });
    assert.deepEqual(prompt, session.model.tokenize(`${head}\n`));
  });

  test("continues the line the cursor is on, healing the word it stops in", async () => {
    const cut = body.indexOf("return") + "return".length;
    assert.deepEqual(await completeInline(session, { prefix: `${head}\n${body.slice(0, cut)}`, suffix: "\n}\n" }, settings, signal), [
      body.slice(cut),
    ]);
    assert.deepEqual(await completeInline(session, { prefix: `${head}\n${body.slice(0, cut - 3)}`, suffix: "\n}\n" }, settings, signal), [
      body.slice(cut - 3),
    ]);
  });

  test("a continuation ends at <|end_of_text|>, which is not the model's eos (<|eot_id|>)", async () => {
    const prompt = session.model.tokenize(`${head}\n`);
    const trajectory = await decodeGreedily(session, prompt, 32);
    assert.equal(trajectory.finishReason, "stop");
    assert.equal(session.detokenize(trajectory.tokens), CONTINUATION_CASE.code.slice(head.length + 1));
    for (const token of trajectory.tokens) assert.ok(!session.model.isEogToken(token as Token), "no end-of-generation token in the output");
    assert.ok(SCRIPTS.llama3.continuation.endsWith("<|end_of_text|>"));
  });
});

// The fixtures carry real tokenizers as llama.cpp reads them: the GGUF's tokenization equals the
// tokenizer package's own (transformers.js) on the scripts and on code, and llama.cpp finds the
// special tokens real files have (end of turn, end of generation, FIM) where they are.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { supportsFillInTheMiddle } from "../../language-server/src/model/prompt";
import type { ModelSession } from "../../language-server/src/model/session";
import { SCRIPTS } from "../../tools/fixtures/scripts";
import { FAMILIES, referenceTokenizer, type FamilyName } from "../../tools/fixtures/tokenizers";
import { openFixture } from "./fixtureSession";

const CODE = [
  'import { readFile } from "node:fs/promises";\n\nexport async function load(path: string) {\n\treturn JSON.parse(await readFile(path, "utf8"));\n}\n',
  "def fib(n):\n    if n < 2:\n        return n  # base case\n    return fib(n - 1) + fib(n - 2)\n\n\nprint([fib(i) for i in range(10)])\n",
  "größer = 12345 + 0.5e-3; // ünïcødé, 中文, emoji 🎉\r\n",
];

interface Expected {
  readonly endOfTurn: string;
  readonly endOfGeneration: string[];
  readonly fim?: [string, string, string];
}

const EXPECTED: Record<FamilyName, Expected> = {
  qwen3: {
    endOfTurn: "<|im_end|>",
    endOfGeneration: ["<|endoftext|>", "<|im_end|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"],
    fim: ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"],
  },
  // The package ships Llama 3's tokenizer and template (3.1 added <|eom_id|> in place of a reserved token).
  llama3: { endOfTurn: "<|eot_id|>", endOfGeneration: ["<|end_of_text|>", "<|eot_id|>"] },
  deepseek3: {
    endOfTurn: "<｜end▁of▁sentence｜>",
    endOfGeneration: ["<｜end▁of▁sentence｜>"],
    fim: ["<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"],
  },
};

for (const family of Object.keys(FAMILIES) as FamilyName[]) {
  describe(`the ${family} fixture's tokenizer`, () => {
    let session: ModelSession;
    before(async () => {
      session = await openFixture(`${family}-scripted-low`);
    });
    after(async () => {
      await session.dispose();
    });

    test("tokenizes the scripts (special tokens included) and code exactly as the tokenizer package does", () => {
      const reference = referenceTokenizer(FAMILIES[family]);
      const scripts = SCRIPTS[family];
      for (const text of [scripts.chat, scripts.continuation, ...(scripts.fim ? [scripts.fim] : []), ...CODE]) {
        assert.deepEqual(session.model.tokenize(text, true), reference.encode(text), JSON.stringify(text));
      }
      for (const text of CODE) assert.equal(session.detokenize(session.model.tokenize(text)), text, "round trip");
    });

    test("has the end-of-turn, end-of-generation and FIM tokens real files have", () => {
      const { model } = session;
      const text = (token: Token | null) => (token === null ? null : model.detokenize([token], true));
      const expected = EXPECTED[family];
      assert.equal(text(model.tokens.eos), expected.endOfTurn);
      assert.equal(text(model.tokens.eot), expected.endOfTurn);
      const endOfGeneration = session.stopTokens.map((token) => model.detokenize([token as Token], true));
      for (const token of expected.endOfGeneration) assert.ok(endOfGeneration.includes(token), `${token} ends generation`);
      assert.equal(supportsFillInTheMiddle(model), expected.fim !== undefined);
      if (expected.fim) assert.deepEqual([text(model.tokens.infill.prefix), text(model.tokens.infill.suffix), text(model.tokens.infill.middle)], expected.fim);
    });
  });
}

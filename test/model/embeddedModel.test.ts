// Fast check of the committed embedded code model (models/stand-code-mini.gguf):
// loads it with node-llama-cpp on the CPU, checks the special tokens, exact
// tokenizer round trips, and a short greedy generation. No Python, no network.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Llama, LlamaContext, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { EMBEDDED_MODEL_FILE } from "../../common/product";
import { defined } from "../support/defined";

const MODEL_PATH = join(__dirname, "..", "..", EMBEDDED_MODEL_FILE);

describe("embedded code model", () => {
  // Set by before(); undefined where it failed.
  let llama: Llama | undefined;
  let loadedModel: LlamaModel | undefined;
  let loadedContext: LlamaContext | undefined;
  const loaded = (): { model: LlamaModel; context: LlamaContext } => ({
    model: defined(loadedModel, "the model"),
    context: defined(loadedContext, "the model's context"),
  });

  before(async () => {
    assert.ok(existsSync(MODEL_PATH), `missing ${MODEL_PATH}`);
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    loadedModel = await llama.loadModel({ modelPath: MODEL_PATH });
    loadedContext = await loadedModel.createContext({ contextSize: 512, threads: 1 });
  });

  after(async () => {
    await loadedContext?.dispose();
    await loadedModel?.dispose();
    await llama?.dispose();
  });

  test("has EOS and fill-in-the-middle tokens", () => {
    const { model } = loaded();
    const t = model.tokens;
    const eos = defined(t.eos, "EOS");
    const prefix = defined(t.infill.prefix, "the FIM prefix token");
    const suffix = defined(t.infill.suffix, "the FIM suffix token");
    const middle = defined(t.infill.middle, "the FIM middle token");
    assert.equal(new Set([eos, prefix, suffix, middle]).size, 4, "special tokens must be distinct");
    assert.equal(model.detokenize([prefix], true), "<fim_prefix>");
    assert.equal(model.detokenize([suffix], true), "<fim_suffix>");
    assert.equal(model.detokenize([middle], true), "<fim_middle>");
    assert.equal(model.trainContextSize >= 512, true);
  });

  test("tokenize -> detokenize round-trips code exactly", () => {
    const samples = [
      "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
      "const xs = [1, 2, 3].map((n) => n * 2); // doubled?\nif (!xs.length) { throw new Error('empty!'); }\n",
      "\tinterface Foo<T> {\r\n  bar?: T | null;   \n}\n\n\n  // héllo wörld — ünïcode 🚀 日本語\n",
      'import { x } from "./y.js";\nlet s = `a ${x} b`;  ;;  ,  . ? !\n    \n',
    ];
    const { model } = loaded();
    for (const text of samples) {
      const ids = model.tokenize(text);
      assert.ok(ids.length > 0);
      assert.equal(model.detokenize(ids), text);
    }
  });

  test("greedy generation from a code prompt gives 20 or more tokens, not all the same", async () => {
    const { model, context } = loaded();
    const sequence = context.getSequence();
    try {
      const prompt = model.tokenize("export function isEven(n: number): boolean {\n  return");
      const out: Token[] = [];
      for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
        out.push(token);
        if (out.length >= 24) break;
      }
      assert.ok(out.length >= 20, `only ${out.length} tokens generated`);
      const text = model.detokenize(out);
      assert.ok(text.length > 0, "empty output");
      assert.ok(new Set(out).size > 1, "output is a single repeated token");
    } finally {
      await sequence.dispose();
    }
  });
});

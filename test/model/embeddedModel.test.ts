// Fast check of the committed embedded code model (models/stand-code-mini.gguf):
// loads it with node-llama-cpp on the CPU, checks the special tokens, exact
// tokenizer round trips, and a short greedy generation. No Python, no network.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Llama, LlamaContext, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };

const MODEL_PATH = join(__dirname, "..", "..", "models", "stand-code-mini.gguf");

describe("embedded code model", () => {
  let llama: Llama;
  let model: LlamaModel;
  let context: LlamaContext;

  before(async () => {
    assert.ok(existsSync(MODEL_PATH), `missing ${MODEL_PATH}`);
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    model = await llama.loadModel({ modelPath: MODEL_PATH });
    context = await model.createContext({ contextSize: 512, threads: 1 });
  });

  after(async () => {
    await context?.dispose();
    await model?.dispose();
    await llama?.dispose();
  });

  test("has EOS and fill-in-the-middle tokens", () => {
    const t = model.tokens;
    assert.notEqual(t.eos, null);
    assert.notEqual(t.infill.prefix, null);
    assert.notEqual(t.infill.suffix, null);
    assert.notEqual(t.infill.middle, null);
    const ids = new Set([t.eos, t.infill.prefix, t.infill.suffix, t.infill.middle]);
    assert.equal(ids.size, 4, "special tokens must be distinct");
    assert.equal(model.detokenize([t.infill.prefix!], true), "<fim_prefix>");
    assert.equal(model.detokenize([t.infill.suffix!], true), "<fim_suffix>");
    assert.equal(model.detokenize([t.infill.middle!], true), "<fim_middle>");
    assert.equal(model.trainContextSize >= 512, true);
  });

  test("tokenize -> detokenize round-trips code exactly", () => {
    const samples = [
      "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
      "const xs = [1, 2, 3].map((n) => n * 2); // doubled?\nif (!xs.length) { throw new Error('empty!'); }\n",
      "\tinterface Foo<T> {\r\n  bar?: T | null;   \n}\n\n\n  // héllo wörld — ünïcode 🚀 日本語\n",
      'import { x } from "./y.js";\nlet s = `a ${x} b`;  ;;  ,  . ? !\n    \n',
    ];
    for (const text of samples) {
      const ids = model.tokenize(text);
      assert.ok(ids.length > 0);
      assert.equal(model.detokenize(ids), text);
    }
  });

  test("greedy generation from a code prompt", async () => {
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
      sequence.dispose();
    }
  });
});

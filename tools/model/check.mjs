#!/usr/bin/env node
// Developer check for models/source/stand-code-mini-f16.gguf and the shipped Q8_0 copy of it,
// models/stand-code-mini.gguf (no Python needed):
//  (a) export parity: node-llama-cpp log-probabilities vs the PyTorch reference in
//      tools/model/parity-reference.json (centred by their mean over the vocabulary), within
//      F16 rounding for the F16 file and within Q8_0 rounding for the shipped one,
//  (b) tokenizer round trip (tokenize -> detokenize, exact text) over the held-out files
//      (tools/model/.work/corpus/val.jsonl when the corpus has been built, else a few
//      built-in samples), and agreement with the Python encoder's ids when present.
// Usage: node tools/model/check.mjs [--json out.json]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama } from "node-llama-cpp";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const modelPath = path.join(root, "models", "source", "stand-code-mini-f16.gguf");
const shippedPath = path.join(root, "models", "stand-code-mini.gguf");
const ref = JSON.parse(fs.readFileSync(path.join(here, "parity-reference.json"), "utf8"));
const jsonOut = process.argv.includes("--json") ? process.argv[process.argv.indexOf("--json") + 1] : null;
const TOL = 1e-2;
const Q8_0_TOL = 0.5;

const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath });
const result = { ok: true };
const fail = (msg) => {
  result.ok = false;
  console.error("FAIL: " + msg);
};

// --- special tokens ---
const t = model.tokens;
result.tokens = { bos: t.bos, eos: t.eos, eot: t.eot, prefix: t.infill.prefix, suffix: t.infill.suffix, middle: t.infill.middle };
console.log("tokens:", JSON.stringify(result.tokens));
if (t.infill.prefix == null || t.infill.suffix == null || t.infill.middle == null) fail("FIM tokens missing");
if (t.eos == null) fail("EOS missing");

// --- (a) parity ---
const nVocab = ref.vocabSize ?? 4096;
/** Max |Δ centred log-prob| against the reference and the argmax agreement, for one model file. */
async function parityOf(model) {
  const context = await model.createContext({ contextSize: 512, threads: 1, batchSize: 512 });
  const seq = context.getSequence();
  const items = ref.tokens.map((tok) => [tok, { generateNext: { probabilities: true, options: { temperature: 0 } } }]);
  const out = await seq.controlledEvaluate(items);
  let maxDiff = 0;
  let argmaxAgree = 0;
  const centredAt = (probs) => {
    if (probs.size !== nVocab) throw new Error(`expected ${nVocab} probabilities, got ${probs.size}`);
    let sum = 0;
    const lp = new Map();
    for (const [id, p] of probs) {
      const l = Math.log(p);
      lp.set(id, l);
      sum += l;
    }
    const mean = sum / probs.size;
    return { lp, mean };
  };
  for (let i = 0; i < ref.tokens.length; i++) {
    const probs = out[i]?.next?.probabilities;
    if (!probs) {
      fail(`no probabilities at position ${i}`);
      break;
    }
    const top = probs.keys().next().value;
    if (top === ref.argmax[i]) argmaxAgree++;
  }
  for (const e of ref.positions) {
    const { lp, mean } = centredAt(out[e.position].next.probabilities);
    e.ids.forEach((id, k) => {
      const d = Math.abs(lp.get(id) - mean - e.centredLogProbs[k]);
      if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
    });
  }
  await context.dispose();
  return { maxDiff, argmaxAgree };
}
const { maxDiff, argmaxAgree } = await parityOf(model);
result.parity = {
  positions: ref.positions.length,
  idsPerPosition: ref.positions[0].ids.length,
  maxAbsDiff: maxDiff,
  argmaxAgree,
  argmaxTotal: ref.tokens.length,
  tolerance: TOL,
};
console.log(
  `parity: max |Δ centred log-prob| = ${maxDiff.toExponential(3)} (tol ${TOL}), argmax agreement ${argmaxAgree}/${ref.tokens.length}`,
);
if (!(maxDiff <= TOL)) fail("parity above tolerance");
// Q8_0 rounds each weight to 1/254 of its block's largest: more than F16 (test/slow/twin.test.ts
// holds a Q8_0 copy to the same bounds).
const shipped = await parityOf(await llama.loadModel({ modelPath: shippedPath }));
result.shippedParity = { ...shipped, argmaxTotal: ref.tokens.length, tolerance: Q8_0_TOL };
console.log(
  `shipped Q8_0: max |Δ centred log-prob| = ${shipped.maxDiff.toExponential(3)} (tol ${Q8_0_TOL}), argmax agreement ${shipped.argmaxAgree}/${ref.tokens.length}`,
);
if (!(shipped.maxDiff <= Q8_0_TOL)) fail("the shipped Q8_0 model's parity is above tolerance");
if (shipped.argmaxAgree < 0.95 * ref.tokens.length) fail("the shipped Q8_0 model's argmax differs at more than 5 % of positions");

// --- (b) tokenizer round trip ---
const valPath = path.join(here, ".work", "corpus", "val.jsonl");
let texts;
if (fs.existsSync(valPath)) {
  texts = fs
    .readFileSync(valPath, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
} else {
  console.log("round trip: corpus not built, using built-in samples");
  texts = [
    { path: "a.ts", text: "export function add(a: number, b: number): number {\n  return a + b;\n}\n" },
    { path: "b.js", text: "const x = [1, 2, 3].map((n) => n * 2); // doubled?\nif (!x) { throw new Error('no!'); }\n" },
    { path: "c.ts", text: "\tinterface Foo<T> {\r\n  bar?: T | null;   \n}\n\n\n  // héllo wörld — ünïcode 🚀 日本語\n" },
  ];
}
let rtFail = 0;
let nTok = 0;
let nChars = 0;
for (const d of texts) {
  const ids = model.tokenize(d.text);
  nTok += ids.length;
  nChars += d.text.length;
  const back = model.detokenize(ids);
  if (back !== d.text) {
    rtFail++;
    if (rtFail <= 3) console.error(`round trip mismatch: ${d.path}`);
  }
}
result.roundTrip = { files: texts.length, failures: rtFail, tokens: nTok, charsPerToken: nChars / Math.max(1, nTok) };
console.log(`round trip: ${texts.length - rtFail}/${texts.length} files exact (${nTok} tokens, ${(nChars / nTok).toFixed(2)} chars/token)`);
if (rtFail) fail("round trip failures");

const idsPath = path.join(here, ".work", "val_ids.jsonl");
if (fs.existsSync(idsPath)) {
  const rows = fs
    .readFileSync(idsPath, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  let same = 0;
  for (const r of rows) {
    const ids = model.tokenize(r.text);
    if (ids.length === r.ids.length && ids.every((x, i) => x === r.ids[i])) same++;
  }
  result.pythonEncoderAgreement = { files: rows.length, identical: same };
  console.log(`python encoder vs llama.cpp: ${same}/${rows.length} files give identical ids`);
}

await model.dispose();
await llama.dispose();
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(result, null, 2));
console.log(result.ok ? "check: OK" : "check: FAILED");
process.exit(result.ok ? 0 : 1);

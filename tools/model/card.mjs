#!/usr/bin/env node
// Writes models/MODEL_CARD.md from the build's records (tools/model/.work/*.json),
// measuring decode speed and generating the samples with node-llama-cpp (threads: 1).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { getLlama } from "node-llama-cpp";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const work = path.join(here, ".work");
const modelPath = path.join(root, "models", "stand-code-mini.gguf");
const readJson = (p) => JSON.parse(fs.readFileSync(path.join(work, p), "utf8"));
const pkgs = readJson("corpus/packages.json");
const prep = readJson("prepare.json");
const log = readJson("train_log.json");
if (log.tokens_trained == null) {
  // card of an unfinished run (from the last evaluation checkpoint)
  const last = log.evals.at(-1);
  Object.assign(log, {
    tokens_trained: last.tokens,
    steps_done: last.step,
    seconds: last.seconds,
    threads: 2,
    torch: "?",
    final_val_loss_512: last.val_loss,
    final_val_ppl_512: last.val_ppl,
    final_val_loss_1024: NaN,
    final_val_ppl_1024: NaN,
    stopped_early: false,
  });
}
const check = readJson("check.json");

const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: 1024, threads: 1 });
const eos = model.tokens.eos;

async function greedy(tokens, max) {
  const seq = context.getSequence();
  const out = [];
  let first = 0;
  const t0 = performance.now();
  for await (const tok of seq.evaluate(tokens, { temperature: 0 })) {
    if (out.length === 0) first = performance.now();
    if (tok === eos) break;
    out.push(tok);
    if (out.length >= max) break;
  }
  const t1 = performance.now();
  seq.dispose();
  return { out, text: model.detokenize(out), decodeTokPerS: (out.length - 1) / ((t1 - first) / 1000), promptMs: first - t0 };
}

// Decode speed: 256 greedy tokens after a short prompt, median of 3 runs (the first token,
// which includes the prompt evaluation, is not counted).
const speedPrompt = model.tokenize('import { EventEmitter } from "node:events";\n\nexport class Queue<T> {\n');
const speeds = [];
for (let i = 0; i < 3; i++) {
  const seq = context.getSequence();
  let n = 0;
  let first = 0;
  for await (const tok of seq.evaluate(speedPrompt, { temperature: 0 })) {
    void tok;
    if (n === 0) first = performance.now();
    if (++n >= 256) break;
  }
  speeds.push((n - 1) / ((performance.now() - first) / 1000));
  seq.dispose();
}
speeds.sort((a, b) => a - b);
const tokPerS = speeds[1];

const prompts = [
  "export function debounce<T extends (...args: any[]) => void>(fn: T, ms: number) {\n",
  'import * as fs from "node:fs";\n\n/** Reads a JSON file and returns the parsed value. */\nexport function readJson(path: string): unknown {\n',
  "class Stack<T> {\n  private items: T[] = [];\n\n  push(item: T): void {\n",
];
const samples = [];
for (const p of prompts) samples.push({ prompt: p, ...(await greedy(model.tokenize(p), 80)) });
const fimPre = "function clamp(x: number, lo: number, hi: number): number {\n  ";
const fimSuf = "\n}\n";
const fim = await greedy(
  [
    model.tokens.infill.prefix,
    ...model.tokenize(fimPre),
    model.tokens.infill.suffix,
    ...model.tokenize(fimSuf),
    model.tokens.infill.middle,
  ],
  40,
);

await context.dispose();
await model.dispose();
await llama.dispose();

const fence = (s) => "```ts\n" + s.replace(/```/g, "`\u200b``") + (s.endsWith("\n") ? "" : "\n") + "```";
const kept = pkgs.filter((p) => p.kept);
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const c = log.config;
const mb = (fs.statSync(modelPath).size / 1e6).toFixed(2);
const sourceMb = (fs.statSync(path.join(root, "models", "source", "stand-code-mini-f16.gguf")).size / 1e6).toFixed(2);
const evals = log.evals;
const pick = evals.filter((_, i) => i === 0 || i === evals.length - 1 || i % Math.max(1, Math.round(evals.length / 8)) === 0);

const card = `# stand-code-mini — model card

A tiny TypeScript/JavaScript code model with fill-in-the-middle, trained from scratch on this
repository's build machine for STAND's tests, demos and benchmarks. It writes code-shaped text,
not correct programs.

- **File**: \`models/stand-code-mini.gguf\` (GGUF v3, ${mb} MB; Q8_0 matrices, F32 norms; no chat template), the
  Q8_0 copy of the F16 export \`models/source/stand-code-mini-f16.gguf\` (${sourceMb} MB; not shipped: the original for
  the parity check and the source of cost twins), made by \`npm run model:twin -- --shape source --type q8_0\`
- **Licence of the model**: MIT. The training data keeps its own licences (all permissive, listed below).
- **Architecture**: llama (RMSNorm, RoPE in ggml NORM layout, SwiGLU, grouped KV heads, tied input/output embeddings
  — \`output.weight\` is written as a copy of \`token_embd.weight\`)
  - embedding ${c.dim}, ${c.n_layers} layers, ${c.n_heads} heads, ${c.n_kv_heads} KV heads (head dim ${c.dim / c.n_heads}),
    feed-forward ${c.ffn_dim}, vocabulary ${c.vocab_size}, RoPE base ${c.rope_base}, RMS eps ${c.norm_eps}
  - **parameters: ${log.params.toLocaleString("en-US")}** (of which ${(c.vocab_size * c.dim).toLocaleString("en-US")} in the tied embedding)
  - \`llama.context_length\` = ${c.ctx}
- **Training**: PyTorch ${log.torch}, seed ${log.seed}, AdamW (β 0.9/0.95, weight decay 0.1, clip 1.0), peak LR ${log.peak_lr},
  ${100} warm-up steps then cosine to 10 %, ${log.tokens_per_step} tokens per step, bf16 autocast (fp32 master weights).
  512-token windows, then the last 12 % of the schedule on 1024-token windows.
  - **tokens trained: ${log.tokens_trained.toLocaleString("en-US")}** (${log.steps_done} steps; the corpus has ${prep.train_tokens.toLocaleString("en-US")} training tokens, so less than one epoch)
  - **wall time: ${(log.seconds / 60).toFixed(1)} min** on ${log.threads} threads of an ${cpu} (2 vCPUs, no GPU), shared with other jobs
    ${log.stopped_early ? `— the run was given a deadline, so its schedule followed wall-clock progress and it stopped after ${log.steps_done} of the ${log.planned_steps} planned steps (\`train.py --deadline\`)` : ""}
  - **validation** (${prep.val_files} held-out files, ${prep.val_tokens.toLocaleString("en-US")} tokens, same FIM mix as training):
    final loss ${log.final_val_loss_512} / perplexity **${log.final_val_ppl_512}** on 512-token windows,
    loss ${log.final_val_loss_1024} / perplexity ${log.final_val_ppl_1024} on 1024-token windows

| step | tokens | val loss | val ppl | minutes |
|---:|---:|---:|---:|---:|
${pick.map((e) => `| ${e.step} | ${(e.tokens / 1e6).toFixed(2)} M | ${e.val_loss} | ${e.val_ppl} | ${(e.seconds / 60).toFixed(1)} |`).join("\n")}

## Speed
Greedy decode with node-llama-cpp 3.21.1, CPU build, \`threads: 1\`, 256 tokens after a short prompt,
median of 3 runs: **${tokPerS.toFixed(0)} tok/s** (runs: ${speeds.map((s) => s.toFixed(0)).join(", ")}) on the same machine, which other jobs were also using.

## Checks (\`npm run model:check\`)
- export parity, PyTorch (weights rounded to F16) vs node-llama-cpp, log-probabilities centred by their mean over the vocabulary,
  ${check.parity.positions} positions × ${check.parity.idsPerPosition} token ids: max |Δ| = **${check.parity.maxAbsDiff.toExponential(2)}** (tolerance 1e-2);
  argmax agreement ${check.parity.argmaxAgree}/${check.parity.argmaxTotal} positions; the shipped Q8_0 file: max |Δ| = ${check.shippedParity.maxDiff.toExponential(2)}
  (tolerance ${check.shippedParity.tolerance}), argmax agreement ${check.shippedParity.argmaxAgree}/${check.shippedParity.argmaxTotal}
- tokenizer round trip (tokenize → detokenize) over the ${check.roundTrip.files} held-out files: **${check.roundTrip.files - check.roundTrip.failures}/${check.roundTrip.files} exact**
  (${check.roundTrip.charsPerToken.toFixed(2)} characters per token)${check.pythonEncoderAgreement ? `; the Python encoder used for training gives the same ids as llama.cpp on ${check.pythonEncoderAgreement.identical}/${check.pythonEncoderAgreement.files} of them` : ""}

## Tokenizer
Byte-level BPE trained for this model (\`tools/model/bpe.py\`) on ${(prep.bpe_sample_bytes / 1e6).toFixed(0)} MB of the training files,
with the Qwen2 pre-tokenizer split regex; ${c.vocab_size} tokens = 256 byte tokens (GPT-2 byte→unicode alphabet) + ${c.vocab_size - 256 - 5} merges + 5 specials.
Exported as \`tokenizer.ggml.model = "gpt2"\`, \`tokenizer.ggml.pre = "qwen2"\` (exact round trips; \`default\` would drop spaces before punctuation),
\`add_bos_token = false\`, \`add_eos_token = false\`.

| token | id | type | GGUF keys |
|---|---:|---|---|
| \`<\\|endoftext\\|>\` | ${check.tokens.eos} | control | \`eos_token_id\`, \`eot_token_id\`, \`bos_token_id\` (BOS is never added) |
| \`<fim_prefix>\` | ${check.tokens.prefix} | control | \`fim_pre_token_id\`, \`prefix_token_id\` |
| \`<fim_middle>\` | ${check.tokens.middle} | control | \`fim_mid_token_id\`, \`middle_token_id\` |
| \`<fim_suffix>\` | ${check.tokens.suffix} | control | \`fim_suf_token_id\`, \`suffix_token_id\` |
| \`<fim_pad>\` | ${prep.specials["<fim_pad>"]} | control | \`fim_pad_token_id\`, \`padding_token_id\` |

(keys are under \`tokenizer.ggml.\`; node-llama-cpp reports them as \`model.tokens.eos\` and \`model.tokens.infill.prefix/suffix/middle\`.)

## Fill-in-the-middle
PSM order: \`<fim_prefix>\`prefix\`<fim_suffix>\`suffix\`<fim_middle>\`middle\`<|endoftext|>\`.
Training files were cut at line boundaries into segments of 800–1600 characters; ${(prep.fim_rate * 100).toFixed(0)} % of the segments
(${prep.fim_segments.toLocaleString("en-US")} of ${prep.segments.toLocaleString("en-US")}) were turned into FIM examples — half with a middle of 1–4 whole lines
(sometimes starting inside a line), half split at two uniform character positions; the rest stay plain text, and each file ends with \`<|endoftext|>\`.

## Samples (greedy, up to 80 tokens, node-llama-cpp)
${samples.map((s, i) => `**${i + 1}.** Prompt:\n\n${fence(s.prompt)}\n\nContinuation:\n\n${fence(s.text)}`).join("\n\n")}

**Fill-in-the-middle** (raw tokens \`<fim_prefix>\`prefix\`<fim_suffix>\`suffix\`<fim_middle>\`, greedy until \`<|endoftext|>\`, at most 40 tokens). Prefix:

${fence(fimPre)}

Suffix:

${fence(fimSuf)}

Generated middle:

${fence(fim.text)}

## Training data
${kept.length} npm packages (fetched with \`npm pack\` at build time; versions pinned in \`tools/model/corpus-packages.txt\`),
licence taken from each package's own \`package.json\`; only MIT, Apache-2.0, BSD, ISC and 0BSD are kept.
Source files (.ts/.tsx/.mts/.cts/.d.ts/.js/.mjs/.cjs/.jsx) without tests, fixtures, locales, minified or duplicate module-format copies,
at most ${0.4} MB per file and 3 MB per package, deduplicated by content hash (whitespace ignored):
${prep.train_files.toLocaleString("en-US")} training + ${prep.val_files} validation files (split by file hash, 2 %), ${(prep.train_chars / 1e6).toFixed(1)} M characters,
${prep.train_tokens.toLocaleString("en-US")} training tokens (${prep.chars_per_token.toFixed(2)} characters per token).

| package | version | licence | files | kB |
|---|---|---|---:|---:|
${pkgs.map((p) => `| ${p.name} | ${p.version} | ${p.license}${p.kept ? "" : " (not used)"} | ${p.files} | ${(p.bytes / 1e3).toFixed(0)} |`).join("\n")}

## Rebuild
\`npm run model:build\` (= \`bash tools/model/build.sh\`): needs Debian's \`python3-torch python3-numpy libopenblas0-openmp\`
(for \`/usr/bin/python3\`) and the npm registry. It runs corpus (\`corpus.mjs\`) → tokenizer, FIM and tokenisation (\`prepare.py\`)
→ training (\`train.py\`) → F16 GGUF export and parity reference (\`export.py\`) → the Q8_0 copy (\`tools/twin\`) → checks (\`check.mjs\`) → this card (\`card.mjs\`).
Intermediate data goes to \`tools/model/.work/\` (not committed). Without \`--deadline\` the schedule depends only on the token budget and seed;
with a deadline (as used for this file) the learning-rate schedule follows wall-clock progress, so a rebuild gives a similar but not bit-identical model.
`;
fs.writeFileSync(path.join(root, "models", "MODEL_CARD.md"), card);
console.log(`card: decode ${tokPerS.toFixed(0)} tok/s (threads 1); wrote models/MODEL_CARD.md`);
for (const s of samples) console.log("---\n" + s.prompt + s.text);
console.log("--- FIM\n" + fimPre + "[" + fim.text + "]" + fimSuf);

// Smoke runs of the benchmark scripts, the model tools (the cost twin writer, the tree optimiser) and
// the GPU kit (npm run test:slow, which CI runs): each run is tiny, and each asserts what the script
// is for, not only its exit status, as test/cli/scripts.test.ts does for the quicker scripts.
// Together they take a few minutes, too long for npm test.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { EMBEDDED_MODEL_FILE } from "../../common/product";
import {
  BASELINE_METHOD,
  FIXED_CHAIN_METHOD,
  NATIVE_LOOKUP_METHOD,
  STAND_METHOD,
  STAND_THEN_LOOKUP_METHOD,
  TREE_ADAPTIVE_METHOD,
  TREE_FIXED_METHOD,
} from "../../common/benchmarkTable";
import { defaultSettings, type BenchmarkRow } from "../../common/protocol";
import { defined } from "../support/defined";
import { ROOT, runScript } from "../support/packageScripts";

describe("the benchmark scripts, the model tools and the GPU kit", () => {
  const folder = mkdtempSync(join(tmpdir(), "stand-benchmark-scripts-"));
  after(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  test("npm run bench: one tiny run times autoregressive decoding against STAND on two prompt sets and writes the JSON", (t) => {
    const prompts = join(folder, "prompts.jsonl");
    const unseen = join(folder, "unseen.jsonl");
    const out = join(folder, "bench.json");
    writeFileSync(prompts, JSON.stringify({ prompt: "function add(a, b) {", kind: "code" }) + "\n");
    writeFileSync(unseen, JSON.stringify({ prompt: "const leven = (left, right) => {\n\tif (left === right) {", kind: "code" }) + "\n");
    const args = [
      "--trajectories",
      "1",
      "--temperature",
      "0",
      "--max-tokens",
      "8",
      "--repetitions",
      "2",
      "--prompts",
      `${prompts},${unseen}`,
      "--json",
      "--out",
      out,
    ];
    const run = runScript(t, "bench", args);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as {
      backend: string;
      command: string;
      settings: { maxTokens: number; promptCount: number; sampler: { topK: number; topP: number; minP: number } };
      rows: BenchmarkRow[];
    };
    assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), result, "--json prints exactly what --out writes");
    assert.equal(result.backend, "cpu", "--gpu defaults to false");
    assert.match(result.command, /^npm run bench -- .*--repetitions 2/, "the file says which command made it");
    assert.deepEqual(result.settings, { ...result.settings, maxTokens: 8, promptCount: 2 });
    const { topK, topP, minP } = defaultSettings;
    assert.deepEqual(result.settings.sampler, { topK, topP, minP }, "T > 0 samples as the product does");
    assert.deepEqual(
      [...new Set(result.rows.map((r) => r.promptSet))],
      ["prompts.jsonl", "unseen.jsonl"],
      "each prompt set has rows of its own",
    );
    const lookup = result.rows.find((candidate) => candidate.method === NATIVE_LOOKUP_METHOD);
    assert.ok(lookup?.predictions, "node-llama-cpp's InputLookup row carries its own prediction counters");
    for (const r of result.rows) {
      assert.equal(r.repetitions, 2);
      assert.ok(r.speedupRange.low <= r.speedup && r.speedup <= r.speedupRange.high, `${r.method}: ${JSON.stringify(r)}`);
    }
    const row = (method: string): BenchmarkRow => {
      const found = result.rows.find((candidate) => candidate.method === method && candidate.promptSet === "prompts.jsonl");
      assert.ok(found, `no "${method}" row in ${result.rows.map((r) => r.method).join(", ")}`);
      return found;
    };
    const autoregressive = row("autoregressive (batched)");
    assert.equal(autoregressive.speedup, 1, "the speedups are against batched autoregressive decoding");
    assert.equal(autoregressive.draftedPerTrajectoryPerCall, 0, "autoregressive decoding drafts nothing");
    assert.ok(autoregressive.tokensPerCall <= 1, `autoregressive: ${autoregressive.tokensPerCall} tokens per call`);
    for (const method of [BASELINE_METHOD, FIXED_CHAIN_METHOD, STAND_METHOD, STAND_THEN_LOOKUP_METHOD]) {
      const { tokensPerSecond, tokensPerCall, speedup, trajectories, temperature } = row(method);
      assert.ok(
        tokensPerSecond > 0 && tokensPerCall > 0 && speedup > 0,
        `${method}: ${tokensPerSecond} tok/s, ${tokensPerCall} tokens per call, ${speedup}×`,
      );
      assert.deepEqual([trajectories, temperature], [1, 0]);
    }
  });

  test("npm run gpu-kit -- --no-node --cpu --fast: the bundled benchmark and twin writer, node-llama-cpp with the CUDA binaries less the backend run.sh builds, that backend's sources; run.sh proves the kit end to end on the CPU", (t) => {
    const kit = join(folder, "gpu-kit");
    const run = runScript(t, "gpu-kit", ["--out", kit, "--no-node", "--cpu", "--fast"], ROOT, 300_000);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!existsSync(join(kit, "node.xz")), "--no-node leaves Node out");
    assert.ok(statSync(join(kit, "run.sh")).mode & 0o100, "run.sh is executable");
    const unpacked = join(folder, "gpu-kit-unpacked");
    mkdirSync(unpacked);
    for (const archive of ["app.tar.xz", "llama.cpp.tar.xz"]) {
      const tar = spawnSync("tar", ["-xJf", join(kit, archive), "-C", unpacked], { encoding: "utf8" });
      assert.equal(tar.status, 0, tar.stderr);
    }
    const binaries = join(unpacked, "app", "node_modules", "@node-llama-cpp", "linux-x64-cuda", "bins", "linux-x64-cuda");
    assert.ok(existsSync(join(binaries, "llama-addon.node")), "the prebuilt CUDA binding is in the kit");
    assert.ok(!existsSync(join(binaries, "libggml-cuda.so")), "the CUDA backend is left to run.sh to build");
    const ggml = join(unpacked, "llama.cpp", "ggml", "src");
    for (const needed of ["ggml-cuda/CMakeLists.txt", "ggml-backend.cpp", "ggml.c"])
      assert.ok(existsSync(join(ggml, needed)), `llama.cpp sources lack ggml/src/${needed}`);
    assert.ok(!existsSync(join(ggml, "ggml-vulkan")), "backends the kit never builds stay behind");
    const help = spawnSync(process.execPath, ["bench.cjs", "--help"], { cwd: join(unpacked, "app"), encoding: "utf8" });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /--gpu MODE/, "the bundled benchmark runs from the kit's own node_modules");

    // The proof as on a GPU machine, with the CPU instead of CUDA, the tiny twin instead of the
    // 1.5b and 7b ones, and one tiny benchmark per model.
    const work = join(folder, "gpu-kit-work");
    const results = join(folder, "gpu-kit-results");
    const proof = (budget: string) =>
      spawnSync(join(kit, "run.sh"), [results], {
        encoding: "utf8",
        timeout: 240_000,
        env: {
          ...process.env,
          STAND_GPU_WORK: work,
          STAND_GPU_KIT_CPU: "1",
          STAND_GPU_KIT_BUDGET: budget,
          STAND_GPU_KIT_TWINS: "tiny",
          STAND_GPU_KIT_TRAJECTORIES: "1",
          STAND_GPU_KIT_TEMPERATURES: "0",
          STAND_GPU_KIT_PROMPTS: "1",
          STAND_GPU_KIT_TOKENS: "8",
          STAND_GPU_KIT_REPETITIONS: "1",
        },
      });
    const proved = proof("300");
    assert.equal(proved.status, 0, proved.stderr);
    const log = readFileSync(join(results, "proof.log"), "utf8");
    assert.match(log, /tiny twin of models\/source\/stand-code-mini-f16\.gguf \(width 384, 8 layers/);
    assert.match(log, /proof done in \d+ s; 0 run\(s\) missing/);
    const twin = join(work, "twins", "tiny.gguf");
    assert.ok(existsSync(twin), "the twin is written in the work folder");
    for (const [model, path] of [
      ["tiny", twin],
      ["stand-code-mini", "models/stand-code-mini.gguf"],
    ] as const) {
      const result = JSON.parse(readFileSync(join(results, `bench-cpu-${model}-n1.json`), "utf8")) as {
        backend: string;
        model: { path: string };
        rows: BenchmarkRow[];
      };
      assert.equal(result.backend, "cpu");
      assert.equal(result.model.path, path);
      const printed = readFileSync(join(results, `bench-cpu-${model}-n1.txt`), "utf8");
      assert.match(
        printed,
        /STAND adaptive against the fastest other row[^\n]*\n\n\| \| STAND adaptive \| fastest other row \|.*\n\|---.*\n\| N = 1, T = 0 \| \d+\.\d\d× /,
        `${model}: the run ends with its summary, as bench:report reads the file`,
      );
      const autoregressive = result.rows.find((row) => row.method === "autoregressive (batched)");
      assert.ok(autoregressive && autoregressive.tokensPerSecond > 0, `${model}: no autoregressive row`);
      // The tree route end to end: each branch on a sequence of its own, the whole tree every step.
      for (const method of [TREE_ADAPTIVE_METHOD, TREE_FIXED_METHOD]) {
        const row = result.rows.find((candidate) => candidate.method === method);
        assert.ok(row && row.tokensPerSecond > 0, `${model}: no "${method}" row`);
      }
      const fixedTree = result.rows.find((row) => row.method === TREE_FIXED_METHOD);
      assert.ok(
        fixedTree && fixedTree.draftedPerTrajectoryPerCall > 0,
        `${model}: the fixed tree drafted ${String(fixedTree?.draftedPerTrajectoryPerCall)} tokens per call`,
      );
    }
    const returned = readdirSync(results).map((name) => statSync(join(results, name)).size);
    assert.ok(returned.reduce((a, b) => a + b, 0) < 16 * 2 ** 20, "what comes back is small: the twins stay in the work folder");
    // The step profile, bundled: where a step's time goes, on the kit's backend, with the passes
    // over the weights that the N = 16 measurement on a GPU counts.
    const profile = spawnSync(
      join(kit, "run.sh"),
      [results, "--profile", "--tokens", "4", "--rounds", "1", "--arms", "plain,target", "--passes"],
      {
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, STAND_GPU_WORK: work, STAND_GPU_KIT_CPU: "1" },
      },
    );
    assert.equal(profile.status, 0, profile.stderr);
    assert.match(profile.stdout, /backend cpu/);
    assert.match(profile.stdout, /^target\s+[\d.]+/m, "the profile prints a row per arm");
    assert.match(profile.stdout, /^plain .* 1\.000 +1\.000$/m, "one decode and one pass a token on one sequence");
    // Run again, it resumes: what an earlier run wrote is kept, not run twice.
    const again = proof("1");
    assert.equal(again.status, 0, again.stderr);
    assert.match(readFileSync(join(results, "proof.log"), "utf8"), /bench-cpu-tiny-n1\.json: written by an earlier run/);
    // Past the budget, runs are skipped and said to be, and run.sh fails.
    rmSync(join(results, "bench-cpu-tiny-n1.json"));
    const late = proof("1");
    assert.equal(late.status, 1);
    assert.match(readFileSync(join(results, "proof.log"), "utf8"), /bench-cpu-tiny-n1\.json: skipped, the budget is spent/);
  });

  test("npm run bench:cost: a call's cost with k drafts against a plain step, per model and N, with its spread", (t) => {
    const out = join(folder, "cost.json");
    const args = ["--trajectories", "1,2", "--drafts", "0,3", "--rounds", "2", "--calls", "1", "--json", "--out", out];
    const run = runScript(t, "bench:cost", args);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as {
      rows: { trajectories: number; plainStepMs: number; curve: { drafts: number; median: number; min: number; max: number }[] }[];
    };
    assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), result, "--json prints exactly what --out writes");
    assert.deepEqual(
      result.rows.map((row) => row.trajectories),
      [1, 2],
    );
    for (const row of result.rows) {
      assert.ok(row.plainStepMs > 0);
      assert.deepEqual(
        row.curve.map((point) => point.drafts),
        [0, 3],
      );
      assert.deepEqual(row.curve[0], { drafts: 0, median: 1, min: 1, max: 1 }, "k = 0 is the plain step itself");
      const drafted = row.curve[1];
      assert.ok(drafted && drafted.min > 0 && drafted.min <= drafted.median && drafted.median <= drafted.max, JSON.stringify(drafted));
    }
  });

  test("npm run bench:budget: fresh budgets decode the prompts in turn, with each decode's drafted tokens a call and the longest run without drafts", (t) => {
    const prompts = join(folder, "budget-prompts.jsonl");
    writeFileSync(
      prompts,
      [
        { prompt: "function add(a, b) {\n  return a + b;\n}\nfunction add(a, b) {", kind: "code" },
        { prompt: "const leven = (left, right) => {", kind: "code" },
      ]
        .map((line) => JSON.stringify(line))
        .join("\n") + "\n",
    );
    const out = join(folder, "budget.json");
    const args = ["--attempts", "2", "--max-tokens", "8", "--stall", "1", "--prompts", prompts, "--json", "--out", out];
    const run = runScript(t, "bench:budget", args, ROOT, 120_000);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { stalled: number; attempts: { draftedPerCall: number[]; longestStall: number }[] };
    assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), result, "--json prints exactly what --out writes");
    assert.equal(result.attempts.length, 2);
    for (const { draftedPerCall, longestStall } of result.attempts) {
      assert.equal(draftedPerCall.length, 2, "one figure per prompt");
      assert.ok(
        draftedPerCall.every((drafted) => drafted >= 0 && drafted <= 8),
        JSON.stringify(draftedPerCall),
      );
      const notDrafting = draftedPerCall.map((drafted) => drafted < 0.2);
      const expected = notDrafting.every(Boolean) ? 2 : notDrafting.some(Boolean) ? 1 : 0;
      assert.equal(longestStall, expected, JSON.stringify(draftedPerCall));
    }
    assert.equal(result.stalled, result.attempts.filter(({ longestStall }) => longestStall >= 1).length);
  });

  test("npm run bench:busy-wait: processes with the busy wait on and off, a ratio per pair and method, per N and T", (t) => {
    const prompts = join(folder, "busy-wait-prompts.jsonl");
    writeFileSync(prompts, JSON.stringify({ prompt: "function add(a, b) {", kind: "code" }) + "\n");
    const out = join(folder, "busy-wait.json");
    const args = [
      "--trajectories",
      "1,2",
      "--temperature",
      "0.7",
      "--pairs",
      "2",
      "--max-tokens",
      "8",
      "--prompts",
      prompts,
      "--json",
      "--out",
      out,
    ];
    const run = runScript(t, "bench:busy-wait", args, ROOT, 120_000);
    assert.equal(run.code, 0, run.stderr);
    type Spread = { median: number; low: number; high: number; ratios: number[] };
    type Throughputs = { autoregressive: number; stand: number };
    const result = JSON.parse(run.stdout) as {
      cells: { trajectories: number; temperature: number; autoregressive: Spread; stand: Spread; on: Throughputs[]; off: Throughputs[] }[];
    };
    assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), result, "--json prints exactly what --out writes");
    assert.deepEqual(
      result.cells.map(({ trajectories, temperature }) => [trajectories, temperature]),
      [
        [1, 0.7],
        [2, 0.7],
      ],
    );
    for (const cell of result.cells) {
      assert.equal(cell.on.length, 2, "one process per side of each pair");
      assert.equal(cell.off.length, 2);
      for (const method of ["autoregressive", "stand"] as const) {
        const { median, low, high, ratios } = cell[method];
        const expected = cell.on.map((side, i) => side[method] / (cell.off[i]?.[method] ?? Number.NaN));
        assert.deepEqual(ratios, expected, "each ratio is one pair's, on over off");
        assert.ok(
          ratios.every((ratio) => Number.isFinite(ratio) && ratio > 0),
          `${method}: ${JSON.stringify(ratios)}`,
        );
        assert.ok(low <= median && median <= high);
      }
    }
  });

  test("npm run bench:profile -- --temperature 0.7 --tokens 16 --rounds 2: a row per arm, each a time per token and a ratio to node-llama-cpp's loop, and STAND's tokens per call; with --trajectories 4 --passes, one decode and one pass over the weights a step", (t) => {
    const arms = ["plain", "controlled", "stream", "target", "decoder", "stand"];
    const options = ["--temperature", "0.7", "--tokens", "16", "--rounds", "2", "--arms", arms.join(",")];
    const run = runScript(t, "bench:profile", options, ROOT, 120_000);
    assert.equal(run.code, 0, run.stderr);
    for (const arm of arms) {
      const row = new RegExp(`^${arm} +(\\d+\\.\\d+) +(\\d+\\.\\d+) \\((\\d+\\.\\d+)–(\\d+\\.\\d+)\\)`, "m").exec(run.stdout);
      assert.ok(row, `no row for ${arm} in:\n${run.stdout}`);
      const [, msPerToken = "", ratio = "", low = "", high = ""] = row;
      assert.ok(Number(msPerToken) > 0, `${arm}: ${msPerToken} ms per token`);
      assert.ok(Number(low) <= Number(ratio) && Number(ratio) <= Number(high), `${arm}: ${ratio} outside ${low}–${high}`);
    }
    assert.match(run.stdout, /^plain +\d+\.\d+ +1\.000 \(1\.000–1\.000\)/m, "the ratios are to the first arm");
    assert.match(run.stdout, /^stand: tokens per call \d+\.\d\d/m);

    // N sequences at once: node-llama-cpp's loop on 4 sequences and our batch of 4 make one decode
    // per step (a quarter a token), its loop on one sequence one a token; our batch makes one pass
    // over the weights a step too, while the loop's sequences, stepping apart, split its decodes.
    const batched = runScript(t, "bench:profile", [
      "--trajectories",
      "4",
      "--tokens",
      "16",
      "--rounds",
      "1",
      "--arms",
      "plain,parallel,target",
      "--passes",
    ]);
    assert.equal(batched.code, 0, batched.stderr);
    /** The decodes and the passes a token of an arm's row: its last two columns. */
    const perToken = (arm: string): { decodes: number; passes: number } => {
      const row = new RegExp(`^${arm} .* (\\d+\\.\\d{3}) +(\\d+\\.\\d{3})$`, "m").exec(batched.stdout);
      assert.ok(row?.[1] && row[2], `no decodes and passes for ${arm} in:\n${batched.stdout}`);
      return { decodes: Number(row[1]), passes: Number(row[2]) };
    };
    assert.deepEqual(perToken("plain"), { decodes: 1, passes: 1 });
    for (const arm of ["parallel", "target"]) {
      const { decodes, passes } = perToken(arm);
      assert.ok(decodes >= 0.25 && decodes < 0.4, `${arm}: ${decodes} decodes a token, not one a step of 4`);
      assert.ok(passes >= decodes, `${arm}: ${passes} passes a token, fewer than its ${decodes} decodes`);
    }
    const target = perToken("target");
    assert.equal(target.passes, target.decodes, "each of our decodes is one pass");
  });

  test("npm run bench:layout -- --trajectories 4 --steps 2 --rounds 2: a time per step, with its spread, for each layout of the sequences", (t) => {
    const run = runScript(t, "bench:layout", ["--trajectories", "4", "--steps", "2", "--rounds", "2"], ROOT, 120_000);
    assert.equal(run.code, 0, run.stderr);
    for (const layout of [
      "all 4",
      "half, together \\(2\\)",
      "half, spread \\(2\\)",
      "LlamaTarget, chain",
      "LlamaTarget, \\d+ per trajectory",
    ]) {
      const row = new RegExp(`^${layout} +(\\d+\\.\\d+) ms per step \\((\\d+\\.\\d+)–(\\d+\\.\\d+)\\)`, "m").exec(run.stdout);
      assert.ok(row, `no row for ${layout} in:\n${run.stdout}`);
      const [, median = "", low = "", high = ""] = row;
      assert.ok(
        Number(low) > 0 && Number(low) <= Number(median) && Number(median) <= Number(high),
        `${layout}: ${median} outside ${low}–${high}`,
      );
    }
  });

  test("npm run bench:latency -- --requests 3 --solve-tokens 32 --session-steps 2: p50/p95 through the real server, idle (small, full-window and 10,000-line file), busy, a visit before each new place warm and cold, a solve's first token with and without prefix sharing, and a replayed editing session per arm", (t) => {
    const help = runScript(t, "bench:latency", ["--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--requests N/);
    assert.match(help.stdout, /--solve-tokens N/);
    assert.match(help.stdout, /--session-steps N/);
    const run = runScript(t, "bench:latency", ["--requests", "3", "--solve-tokens", "32", "--session-steps", "2"], ROOT, 240_000);
    assert.equal(run.code, 0, run.stderr);
    for (const name of [
      "idle, \\d+-line file",
      "idle, 200-line file \\(most windows full\\)",
      "idle, 10000-line file",
      "while a 4-trajectory solve runs, \\d+-line file",
    ]) {
      const match = new RegExp(`${name}: p50 (\\d+) ms, p95 (\\d+) ms \\(3 requests, 3 candidates`).exec(run.stdout);
      assert.ok(match, `no "${name}" line in:\n${run.stdout}`);
      assert.ok(Number(match[1]) > 0 && Number(match[1]) <= Number(match[2]), `${name}: p50 ${match[1]} ms, p95 ${match[2]} ms`);
    }
    assert.match(run.stdout, /10000-line \/ \d+-line file: p50 ratio \d+\.\d\d×, paired ratios p25–p75 \d+\.\d\d–\d+\.\d\d×/);
    assert.match(run.stdout, /10000-line \/ 200-line file: p50 ratio \d+\.\d\d×, paired ratios p25–p75 \d+\.\d\d–\d+\.\d\d×/);
    for (const arm of ["warm", "cold"]) {
      for (const file of ["\\d+", "10000"]) {
        const match = new RegExp(`^  ${arm}, ${file}-line file: p50 (\\d+) ms, p95 (\\d+) ms \\(3 requests, 3 candidates`, "m").exec(
          run.stdout,
        );
        assert.ok(match, `no "${arm}, ${file}-line file" line in:\n${run.stdout}`);
        assert.ok(Number(match[1]) > 0 && Number(match[1]) <= Number(match[2]), `${arm}: p50 ${match[1]} ms, p95 ${match[2]} ms`);
      }
      assert.match(
        run.stdout,
        new RegExp(`^ {4}${arm}: 10000-line / \\d+-line file: p50 ratio \\d+\\.\\d\\d×, paired ratios p25–p75`, "m"),
      );
    }
    assert.match(run.stdout, /^ {4}10000-line file: warm \/ cold: p50 ratio \d+\.\d\d×/m);
    const warmUps = /^ {2}warm-ups (\d+): used by the request (\d+), cancelled (\d+)$/m.exec(run.stdout);
    assert.ok(warmUps, run.stdout);
    assert.equal(Number(warmUps[1]) + Number(warmUps[3]), 6, "every visit of the warm arms (3 per file) started a warm-up");
    for (const arm of ["on", "off"]) {
      assert.match(run.stdout, new RegExp(`^  prefix sharing ${arm}: p50 \\d+ ms, p25–p75 \\d+–\\d+ ms \\(3 solves\\)$`, "m"));
    }
    assert.match(run.stdout, /solve, time to first token at N = 16, prompt \d+ tokens/);
    assert.match(run.stdout, /^ {2}on \/ off: paired ratios p25–p50–p75 \d+\.\d\d–\d+\.\d\d–\d+\.\d\d×$/m);
    const requests = /replayed editing session \(bench\/session\/session\.json, 2 steps\): (\d+) requests per arm/.exec(run.stdout);
    assert.ok(requests && Number(requests[1]) > 0, run.stdout);
    for (const arm of ["none", "cache", "cache \\+ prefetch", "context", "warm-up", "all"]) {
      const line = new RegExp(
        `^  ${arm}: p50 \\d+ ms, p95 \\d+ ms, mean \\d+ ms; where a line is re-typed, the first item has the rest of it \\d+/\\d+ and \\d+\\.\\d characters right on average; cache hits (\\d+)/(\\d+) .*paired ratios p25–p75 \\d+\\.\\d\\d–\\d+\\.\\d\\d×$`,
        "m",
      ).exec(run.stdout);
      assert.ok(line, `no "${arm}" line in:\n${run.stdout}`);
      assert.equal(Number(line[2]), Number(requests[1]), "every request of the session reached the server");
      if (!arm.startsWith("cache") && arm !== "all") assert.equal(line[1], "0", `${arm} has no cache`);
    }
  });

  test("npm run bench:healing -- --seeds 2: per cursor, the candidates whose healed start the healing call drafted; at a word's end the typed token is", (t) => {
    const help = runScript(t, "bench:healing", ["--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--seeds N/);
    const run = runScript(t, "bench:healing", ["--seeds", "2"], ROOT, 120_000);
    assert.equal(run.code, 0, run.stderr);
    const rows = [...run.stdout.matchAll(/^ {2}("[^\n]*")\s+(\d+)\/(\d+) candidates, (\d+)\/(\d+) requests$/gm)].map((match) => ({
      line: JSON.parse(defined(match[1], "the cursor")) as string,
      primed: Number(match[2]),
      candidates: Number(match[3]),
      allPrimed: Number(match[4]),
      requests: Number(match[5]),
    }));
    assert.ok(rows.length >= 4, `no cursor rows in:\n${run.stdout}`);
    for (const row of rows) {
      assert.ok(row.primed <= row.candidates && row.allPrimed <= row.requests && row.requests <= 2, JSON.stringify(row));
    }
    // After "  return" the healed start is the typed " return" nearly always (55-60 of 60 candidates here).
    const wordEnd = rows.find((row) => row.line === "  return");
    assert.ok(wordEnd && wordEnd.primed > 0, `no primed candidate after "  return":\n${run.stdout}`);
  });

  test("npm run bench:checks -- --seeds 1 -n 2: candidates passing, top-ranked against a random pick, and no ranking violation", (t) => {
    const help = runScript(t, "bench:checks", ["--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--seeds N/);
    const run = runScript(
      t,
      "bench:checks",
      ["--seeds", "1", "-n", "2", "--max-tokens", "48", "--problems", "is-string,sum", "--out", "-"],
      ROOT,
      180_000,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /problem +candidates passing +solves with a pass +top-ranked passes +random pick passes +majority vote passes +ranking violations/,
    );
    for (const problem of ["is-string", "sum"])
      assert.match(run.stdout, new RegExp(`^ +${problem} +[0-2]/2 +[01]/1 +\\d+ % +\\d+ % +\\d+ % +0$`, "m"));
    assert.match(run.stdout, /^ +all +[0-4]\/4 +[0-2]\/2 +\d+ % +\d+ % +\d+ % +0$/m);
    assert.match(run.stdout, /In every solve the ranking put every passing candidate first/);
  });

  test("npm run model:twin -- --shape tiny --out FILE: the tiny cost twin's GGUF; a bad shape or type is refused", async (t) => {
    const out = join(folder, "tiny-twin.gguf");
    const run = runScript(t, "model:twin", ["--shape", "tiny", "--out", out, "--sparse"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /tiny twin of models\/source\/stand-code-mini-f16\.gguf \(width 384, 8 layers, 9:3 heads of 128, feed-forward 1024\)/,
    );
    const { readGgufFileInfo } = await import("node-llama-cpp");
    const info = await readGgufFileInfo(out, { readTensorInfo: true });
    assert.equal(info.architectureMetadata.embedding_length, 384);
    assert.equal(info.fullTensorInfo?.length, 3 + 9 * 8);
    // --shape source: the source's own shape in --type, as the build makes the shipped Q8_0 model.
    const copy = join(folder, "q8_0-copy.gguf");
    const copied = runScript(t, "model:twin", ["--shape", "source", "--type", "q8_0", "--out", copy]);
    assert.equal(copied.code, 0, copied.stderr);
    assert.match(
      copied.stdout,
      /a copy at the shape of models\/source\/stand-code-mini-f16\.gguf \(width 256, 6 layers, 4:2 heads of 64, feed-forward 768\).*Q8_0/,
    );
    assert.ok(readFileSync(copy).equals(readFileSync(join(ROOT, EMBEDDED_MODEL_FILE))), "the shipped model, byte for byte");
    for (const [args, message] of [
      [["--shape", "qwen9-1t", "--out", out], /unknown shape "qwen9-1t"; the shapes are qwen2\.5-0\.5b, /],
      [["--shape", "tiny", "--out", out, "--type", "q4_0"], /--type is f16 or q8_0, not "q4_0"/],
    ] as const) {
      const refused = runScript(t, "model:twin", [...args]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, message);
    }
  });

  test("npm run bench:engine: tokens per target call of every drafter at N = 1, 4, 16", (t) => {
    const run = runScript(t, "bench:engine", ["--json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as {
      rows: { method: string; trajectories: number; temperature: number; tokensPerCall: number; drafterMicrosecondsPerToken: number }[];
    };
    for (const temperature of [0, 1]) {
      for (const trajectories of [1, 4, 16]) {
        const rows = result.rows.filter((row) => row.temperature === temperature && row.trajectories === trajectories);
        const autoregressive = rows.find((row) => row.method === "autoregressive");
        const stand = rows.filter((row) => row.method.startsWith("STAND"));
        assert.equal(
          autoregressive?.tokensPerCall,
          1,
          `T = ${temperature}, N = ${trajectories}: autoregressive decoding is one token per call`,
        );
        assert.equal(stand.length, 2, `T = ${temperature}, N = ${trajectories}: a STAND chain and tree`);
        for (const row of stand) {
          assert.ok(
            row.tokensPerCall > 1,
            `${row.method} at T = ${temperature}, N = ${trajectories}: ${row.tokensPerCall} tokens per call`,
          );
          assert.ok(row.drafterMicrosecondsPerToken > 0);
        }
      }
    }
  });

  test("npm run bench:table: n-gram table throughput and bytes per entry", (t) => {
    const run = runScript(t, "bench:table");
    assert.equal(run.code, 0, run.stderr);
    const observations = /observations .*: (\d+) k\/s = ([\d.]+) M entry updates\/s/.exec(run.stdout);
    const lookups = /longest-match lookups: ([\d.]+) M\/s \((\d+) % hits\)/.exec(run.stdout);
    const entries = /entries: (\d+) of (\d+); (\d+) bytes per entry slot/.exec(run.stdout);
    assert.ok(observations && lookups && entries, run.stdout);
    assert.ok(Number(observations[1]) > 0 && Number(lookups[1]) > 0, run.stdout);
    assert.ok(Number(entries[1]) > 0 && Number(entries[1]) <= Number(entries[2]), "the table stays within its size");
    assert.ok(Number(entries[3]) > 0);
  });

  test("npm run tree:optimise -- --nodes 10: a connected 10-node draft tree, saved and compared", (t) => {
    const out = join(folder, "tree.json");
    const run = runScript(t, "tree:optimise", ["--nodes", "10", "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    const tree = JSON.parse(readFileSync(out, "utf8")) as {
      parents: number[];
      widths: number[];
      calibration: { nodes: number; steps: number };
    };
    assert.equal(tree.parents.length, 10, "10 nodes, the root included");
    assert.equal(tree.parents[0], -1);
    for (const [i, parent] of tree.parents.slice(1).entries())
      assert.ok(parent >= 0 && parent <= i, `node ${i + 1}'s parent ${parent} comes before it`);
    assert.equal(
      tree.widths.reduce((a, b) => a + b, 0),
      9,
      "the widths by depth count the draft nodes",
    );
    assert.equal(tree.calibration.nodes, 625);
    assert.ok(tree.calibration.steps > 0);
    assert.match(run.stdout, /kept 10 nodes/);
    assert.match(run.stdout, /held-out tokens per target call, optimised 10-node tree: [\d.]+/);
  });
});

// Smoke runs of the package.json scripts that no other test runs (the README names each of them;
// test/cli/readmeCommands.test.ts checks that every README command is run somewhere). Each run is
// tiny, and each asserts what the script is for, not only its exit status. The command line comes
// from package.json itself (`node F …` and `tsx F …` run in this Node), so a renamed or rewired
// script fails here. scripts/test.mjs has built dist/ before this file runs.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test, type TestContext } from "node:test";
import { defaultSettings, type BenchmarkRow } from "../../common/protocol";
import { TREE_ADAPTIVE_METHOD, TREE_FIXED_METHOD } from "../../common/benchmarkTable";

const ROOT = join(__dirname, "..", "..");
const SCRIPTS = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The Node arguments of `npm run <name>`, read from package.json: `node FILE …` and `tsx FILE …`
 * run in this Node. A leading `npm run build &&` (bench:latency) is dropped: dist/ is built.
 */
function scriptArguments(name: string): string[] {
  const script = SCRIPTS[name];
  assert.ok(script, `package.json has no script "${name}"`);
  const [program, ...rest] = script.replace(/^npm run build && /, "").split(" ");
  if (program === "node") return rest;
  if (program === "tsx") return ["--import", "tsx", ...rest];
  throw new Error(`package.json's "${name}" script (${script}) does not start with node or tsx`);
}

/** Runs `npm run <name> -- ...args` as its script would, in `cwd`, and reports how long it took. */
function runScript(t: TestContext, name: string, args: string[] = [], cwd = ROOT, timeout = 60_000): Run {
  const started = performance.now();
  const result = spawnSync(process.execPath, [...scriptArguments(name), ...args], {
    cwd,
    encoding: "utf8",
    timeout,
    env: { ...process.env, NO_COLOR: "1" },
  });
  t.diagnostic(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(result.error, undefined, `${name}: ${result.error?.message}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `npm run <name>` itself, for the scripts that are not a Node file (tsc, eslint). */
function npmRun(t: TestContext, name: string): Run {
  assert.ok(SCRIPTS[name], `package.json has no script "${name}"`);
  const started = performance.now();
  const result = spawnSync("npm", ["run", "--silent", name], {
    cwd: ROOT,
    encoding: "utf8",
    // Lint is type-aware and slow on a busy 2-core machine.
    timeout: 300_000,
    shell: process.platform === "win32",
  });
  t.diagnostic(`npm run ${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(result.error, undefined, `npm run ${name}: ${result.error?.message}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * A folder that looks like the repository (its sources linked in) but has its own dist/: building
 * here cannot touch the bundles that other test files are running at the same time.
 */
function buildSandbox(): string {
  const folder = mkdtempSync(join(tmpdir(), "stand-build-"));
  for (const entry of ["extension", "language-server", "webview", "common", "scripts", "node_modules"])
    symlinkSync(join(ROOT, entry), join(folder, entry), "junction");
  for (const file of ["package.json", "tsconfig.json"]) copyFileSync(join(ROOT, file), join(folder, file));
  return folder;
}

/** The bundles scripts/build.mjs writes, each present and not empty. */
function assertBundles(folder: string, { sourceMaps }: { sourceMaps: boolean }): void {
  const files = [
    "extension.js",
    "language-server.js",
    "check-harness.js",
    "webview/main.js",
    "webview/main.css",
    "webview/codicons/codicon.css",
    "webview/codicons/codicon.ttf",
  ];
  if (sourceMaps) files.push("extension.js.map", "language-server.js.map", "webview/main.js.map");
  for (const file of files) {
    const path = join(folder, "dist", file);
    assert.ok(existsSync(path) && statSync(path).size > 0, `dist/${file} was not written`);
  }
  assert.match(
    readFileSync(join(folder, "dist", "extension.js"), "utf8"),
    /stand\.solveSelection/,
    "the extension bundle registers the commands",
  );
  assert.match(readFileSync(join(folder, "dist", "language-server.js"), "utf8"), /stand\/solve/, "the server bundle answers stand/solve");
}

describe("package.json scripts no other test runs", () => {
  const folder = mkdtempSync(join(tmpdir(), "stand-scripts-"));
  after(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  test("npm run bench -- --help prints the usage", (t) => {
    const run = runScript(t, "bench", ["--help"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Usage: npm run bench -- \[options\]/);
    for (const option of [
      "--model",
      "--prompts",
      "--trajectories",
      "--temperature",
      "--max-tokens",
      "--repetitions",
      "--gpu",
      "--threads",
      "--json",
      "--out",
    ]) {
      assert.ok(run.stdout.includes(option), `--help does not mention ${option}`);
    }
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
    const lookup = result.rows.find((candidate) => candidate.method === "node-llama-cpp InputLookup");
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
    for (const method of ["autoregressive (batched)", "STAND chain, fixed 4", "STAND chain, adaptive"]) {
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
    assert.match(log, /tiny twin of models\/stand-code-mini\.gguf \(width 384, 8 layers/);
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
    // Past the budget, runs are skipped and said to be, and run.sh fails.
    const late = proof("1");
    assert.equal(late.status, 1);
    assert.match(readFileSync(join(results, "proof.log"), "utf8"), /bench-cpu-tiny-n1\.json: skipped, the budget is spent/);
  });

  test("npm run model:twin -- --shape tiny --out FILE: the tiny cost twin's GGUF; a bad shape or type is refused", async (t) => {
    const out = join(folder, "tiny-twin.gguf");
    const run = runScript(t, "model:twin", ["--shape", "tiny", "--out", out, "--sparse"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /tiny twin of models\/stand-code-mini\.gguf \(width 384, 8 layers, 9:3 heads of 128, feed-forward 1024\)/);
    const { readGgufFileInfo } = await import("node-llama-cpp");
    const info = await readGgufFileInfo(out, { readTensorInfo: true });
    assert.equal(info.architectureMetadata.embedding_length, 384);
    assert.equal(info.fullTensorInfo?.length, 3 + 9 * 8);
    for (const [args, message] of [
      [["--shape", "qwen9-1t", "--out", out], /unknown shape "qwen9-1t"; the shapes are qwen2\.5-0\.5b, /],
      [["--shape", "tiny", "--out", out, "--type", "q4_0"], /--type is f16 or q8_0, not "q4_0"/],
    ] as const) {
      const refused = runScript(t, "model:twin", [...args]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, message);
    }
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

  test("npm run model:check: the embedded model's export parity and tokenizer round trip pass", (t) => {
    const out = join(folder, "check.json");
    const run = runScript(t, "model:check", ["--json", out]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /check: OK/);
    const result = JSON.parse(readFileSync(out, "utf8")) as {
      ok: boolean;
      parity: { maxAbsDiff: number; tolerance: number };
      roundTrip: { files: number; failures: number };
    };
    assert.equal(result.ok, true);
    assert.ok(result.parity.maxAbsDiff <= result.parity.tolerance, `parity ${result.parity.maxAbsDiff}`);
    assert.ok(result.roundTrip.files > 0);
    assert.equal(result.roundTrip.failures, 0);
  });

  test("npm run bench:latency -- --requests 3 --solve-tokens 32 --session-steps 2: p50/p95 through the real server, idle (small, full-window and 10,000-line file), busy, a visit before each new place warm and cold, a solve's first token with and without prefix sharing, and a replayed editing session per arm", (t) => {
    const help = runScript(t, "bench:latency", ["--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--requests N/);
    assert.match(help.stdout, /--solve-tokens N/);
    assert.match(help.stdout, /--session-steps N/);
    const run = runScript(t, "bench:latency", ["--requests", "3", "--solve-tokens", "32", "--session-steps", "2"], ROOT, 120_000);
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

  test("npm run build: the bundles (extension, server, its check harness, panel) with source maps", (t) => {
    const sandbox = buildSandbox();
    try {
      const run = runScript(t, "build", [], sandbox);
      assert.equal(run.code, 0, run.stderr);
      assertBundles(sandbox, { sourceMaps: true });
    } finally {
      rmSync(sandbox, { recursive: true, force: true });
    }
  });

  test("npm run watch: the first build finishes and is written, then it keeps watching until stopped", async (t) => {
    const sandbox = buildSandbox();
    const started = performance.now();
    const child = spawn(process.execPath, scriptArguments("watch"), { cwd: sandbox, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => {
      child.once("exit", resolve);
    });
    let output = "";
    try {
      // esbuild logs one "[watch] build finished" per bundle: the extension, the server, its check harness, the panel's script and CSS.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no finished build in 60 s:\n${output}`));
        }, 60_000);
        const seen = (chunk: Buffer): void => {
          output += chunk.toString("utf8");
          if ((output.match(/\[watch\] build finished, watching for changes/g) ?? []).length >= 5) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on("data", seen);
        child.stderr.on("data", seen);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`watch exited (${code}) before its first build finished:\n${output}`));
        });
      });
      t.diagnostic(`watch: first build in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      assert.equal(child.exitCode, null, "still watching");
      assertBundles(sandbox, { sourceMaps: true });
    } finally {
      child.kill("SIGTERM");
      await exited;
      rmSync(sandbox, { recursive: true, force: true });
    }
  });

  test("npm run check: strict TypeScript (both projects) is clean", (t) => {
    const run = npmRun(t, "check");
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });

  test("npm run lint: eslint (strict, type-aware) and prettier are clean", (t) => {
    const run = npmRun(t, "lint");
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });
});

// Smoke runs of the package.json scripts that no other test runs (the README names each of them;
// test/cli/readmeCommands.test.ts checks that every README command is run somewhere). Each run is
// tiny, and each asserts what the script is for, not only its exit status. The command line comes
// from package.json itself (`node F …` and `tsx F …` run in this Node), so a renamed or rewired
// script fails here. scripts/test.mjs has built dist/ before this file runs. The benchmarks' runs, which take
// minutes together, are in test/slow/benchmarkScripts.test.ts (npm run test:slow).
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ROOT, runScript, scriptArguments } from "../support/packageScripts";

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
});

// Smoke runs of the package.json scripts that no other test runs (the README names each of them;
// test/cli/readmeCommands.test.ts checks that every README command is run somewhere). Each run is
// tiny, and each asserts what the script is for, not only its exit status. The command line comes
// from package.json itself (`node F …` and `tsx F …` run in this Node), so a renamed or rewired
// script fails here. scripts/test.mjs has built dist/ before this file runs. The benchmarks' and
// the model tools' runs (bench, bench:engine, bench:table, tree:optimise, model:twin, the GPU kit),
// which take minutes together, are in test/slow/benchmarkScripts.test.ts (npm run test:slow).
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
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

  test("npm run bench:report: committed results read back as the README's tables, pooled, other JSON skipped", (t) => {
    const results = ["2026-12-05-epyc-q8_0-256-tokens-t0", "2026-12-06-epyc-q8_0-256-tokens-final"].map(
      (run) => `bench/results/stand-code-mini-${run}.json`,
    );
    const other = "bench/results/cost-curve-cpu-twins-2026-12-02.json";
    const run = runScript(t, "bench:report", [...results, other]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /skipped bench\/results\/cost-curve-cpu-twins-2026-12-02\.json: not an `npm run bench` result/);
    // The final run's first line, as the README quotes it.
    assert.ok(
      run.stdout.includes(
        "| N = 1, T = 0 | 1.35× (1.28–1.41) / 1.27× (1.27–1.28) | n-gram 1.40× / 1.34× | 0.96 / 0.95 | 0.98× / 0.99× | 1764 / 1757 | 3.17 / 2.44 |",
      ),
      run.stdout,
    );
    assert.match(run.stdout, /Pooled over 2 runs/);
    assert.match(run.stdout, /\| N = 1, T = 0 \| 2 \| 0\.\d\d \(\d\.\d\d–\d\.\d\d; /);

    const since = runScript(t, "bench:report", ["--since", "2026-12-06", "--pooled", ...results]);
    assert.equal(since.code, 0, since.stderr);
    assert.match(since.stdout, /^Pooled over 1 run:/);
    assert.doesNotMatch(since.stdout, /\| STAND adaptive \|/, "--pooled prints no run's own table");

    // The README's pooled table is this command's output on the committed results.
    const committed = readdirSync(join(ROOT, "bench", "results"))
      .filter((name) => name.endsWith(".json"))
      .map((name) => `bench/results/${name}`);
    const pooled = runScript(t, "bench:report", ["--since", "2026-12-05T07:40", "--pooled", ...committed]);
    assert.equal(pooled.code, 0, pooled.stderr);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    assert.ok(
      readme.includes("npm run bench:report -- --since 2026-12-05T07:40 --pooled\nbench/results/*.json"),
      "the README names the command",
    );
    const lines = pooled.stdout.split("\n").filter((line) => line.startsWith("| N = "));
    assert.equal(lines.length, 6, pooled.stdout);
    for (const line of lines) assert.ok(readme.includes(line), `the README's pooled table lacks ${line}`);

    const none = runScript(t, "bench:report", [other]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /no benchmark results to report/);
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

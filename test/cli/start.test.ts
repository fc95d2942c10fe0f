// `npm start` end to end: scripts/start.mjs runs the CLI, which starts the built language server
// (the bundles are built by scripts/test.mjs before the tests run) on the embedded model.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { BenchmarkRow, Candidate, RunChecksResult, VoteGroup } from "../../common/protocol";
import { defined } from "../support/defined";

const ROOT = join(__dirname, "..", "..");
const START = join(ROOT, "scripts", "start.mjs");

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node scripts/start.mjs ...args` as `npm start -- ...args` would, without colours. */
function start(args: string[], options: { onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, STAND_SKIP_BUILD: "1", NO_COLOR: "1" };
  delete env.FORCE_COLOR;
  delete env.INIT_CWD;
  const child = spawn(process.execPath, [START, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    options.onStdout?.(stdout, child);
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  return new Promise((resolve) => {
    child.on("close", (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/** The process's stderr is exactly one line, the CLI's. */
function assertOneLine(run: Run, pattern: RegExp): void {
  const lines = run.stderr.split("\n").filter((line) => line.length > 0);
  const [line] = lines;
  assert.ok(line !== undefined && lines.length === 1, `expected one line on stderr, got: ${JSON.stringify(run.stderr)}`);
  assert.match(line, /^stand: /);
  assert.match(line, pattern);
}

describe("npm start", () => {
  const folder = mkdtempSync(join(tmpdir(), "stand-cli-"));
  after(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  test("--help exits 0 and documents every option", async () => {
    const run = await start(["--help"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "");
    for (const option of [
      "--model",
      "--trajectories",
      "-n,",
      "--temperature",
      "--max-tokens",
      "--gpu",
      "--seed",
      "--file",
      "--json",
      "--no-benchmark",
      "--no-checks",
      "--kind",
      "--repetitions",
      "--verbose",
      "--help",
    ]) {
      assert.ok(run.stdout.includes(option), `--help does not mention ${option}`);
    }
    assert.match(run.stdout, /auto \| cuda \| vulkan \| metal \| off/);
    assert.match(run.stdout, /hf:/);
  });

  test("bad arguments give one clear line on stderr and exit status 2", async () => {
    const cases: [string[], RegExp][] = [
      [["--frobnicate"], /unknown option --frobnicate/],
      [["-n", "abc"], /--trajectories takes a whole number, not "abc"/],
      [["-n", "0"], /--trajectories must be between 1 and 64, not 0/],
      [["--trajectories", "65"], /between 1 and 64, not 65/],
      [["-t", "2.5"], /--temperature must be between 0 and 2, not 2.5/],
      [["--temperature=-0.1"], /--temperature must be between 0 and 2/],
      [["-t", "warm"], /--temperature takes a number/],
      [["--max-tokens", "0"], /--max-tokens must be between 1/],
      [["--gpu", "tpu"], /--gpu takes auto, cuda, vulkan, metal, off, not "tpu"/],
      [["--seed", "1.5"], /--seed takes a whole number/],
      [["--trajectories"], /--trajectories needs a value/],
      [["--json=yes"], /--json takes no value/],
      [["--file", join(tmpdir(), "stand-no-such-problem.js")], /no problem file at /],
      [["--file", "x.js", "function f() {"], /either as an argument or with --file/],
    ];
    await Promise.all(
      cases.map(async ([args, pattern]) => {
        const run = await start(args);
        assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
        assert.equal(run.stdout, "", `${args.join(" ")} printed to stdout`);
        assertOneLine(run, pattern);
      }),
    );
  });

  test("a model path that does not exist is one clear line and exit status 1, with no fallback", async () => {
    const missing = join(folder, "missing.gguf");
    const run = await start(["--model", missing, "--json"]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, "");
    assertOneLine(run, new RegExp(`^stand: No model file at ${missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.$`));
  });

  test("--json: one JSON object with the candidates, their vote groups, their check results and the benchmark rows", async () => {
    const run = await start(["-n", "2", "--max-tokens", "24", "--repetitions", "1", "--seed", "7", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as {
      settings: { trajectories: number; seed: number };
      model: { backend: string };
      candidates: Candidate[];
      groups: VoteGroup[];
      statistics: { tokens: number; trajectories: number };
      checks: RunChecksResult;
      benchmark: { rows: BenchmarkRow[] };
    };
    assert.equal(result.settings.seed, 7);
    // The bundled problem's two @example lines, run against both candidates and ranked.
    assert.deepEqual(
      result.checks.checks.map((check) => check.code),
      ['isString("abc")', "isString(1)"],
    );
    assert.deepEqual(result.checks.candidates.map((candidate) => candidate.trajectory).sort(), [0, 1]);
    for (const candidate of result.checks.candidates) {
      assert.ok(["passed", "failed", "error", "timeout"].includes(candidate.status));
      assert.equal(candidate.results.length, 2);
    }
    assert.deepEqual([...result.checks.ranking].sort(), [0, 1]);
    assert.ok(result.model.backend.length > 0);
    assert.equal(result.candidates.length, 2);
    for (const candidate of result.candidates) {
      assert.ok(candidate.statistics.tokens > 0 && candidate.statistics.tokens <= 24);
      assert.ok(defined(result.groups[candidate.group], `group ${candidate.group}`).members.includes(candidate.trajectory));
    }
    assert.deepEqual(result.groups.flatMap((group) => group.members).sort(), [0, 1], "the groups cover every trajectory once");
    const methods = result.benchmark.rows.map((row) => row.method);
    assert.ok(methods.includes("autoregressive (batched)"), methods.join(", "));
    assert.ok(methods.includes("STAND chain, adaptive"), methods.join(", "));
    for (const row of result.benchmark.rows) {
      assert.equal(row.trajectories, 2);
      assert.ok(row.tokensPerSecond > 0, `${row.method}: ${row.tokensPerSecond} tok/s`);
    }
  });

  test("the terminal report: progress per candidate, the vote groups and the comparison with plain decoding", async () => {
    const problem = join(folder, "sum.ts");
    writeFileSync(problem, "export function sum(values: number[]): number {\n");
    const run = await start(["--file", problem, "-n", "3", "--max-tokens", "16", "--repetitions", "1"]);
    assert.equal(run.code, 0, run.stderr);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(run.stdout, /\u001b\[/, "NO_COLOR and a pipe: no escape codes");
    assert.match(run.stdout, /problem {2}.*sum\.ts \(code, typescript\)/);
    assert.match(run.stdout, /Decoding 3 candidates/);
    for (const trajectory of ["#1", "#2", "#3"])
      assert.match(run.stdout, new RegExp(`${trajectory} +\\d+/16 tok +\\d+ tok/s +[\\d.]+ tok/call`));
    assert.match(run.stdout, /Candidates by vote/);
    assert.match(run.stdout, /Group 1 {2}(\d of 3 agree|1 candidate)/);
    assert.match(run.stdout, /tokens per target call per candidate/);
    assert.match(run.stdout, /method +tok\/s +speedup/);
    assert.match(run.stdout, /autoregressive \(batched\) +\d+ +1\.00×/);
    assert.match(run.stdout, /STAND chain, adaptive +\d+ +[\d.]+×/);
    assert.match(run.stdout, /STAND is .*tok\/s for plain batched autoregressive decoding/);
    assert.doesNotMatch(run.stdout, /^Checks/m, "a problem without @example lines has nothing to check");
  });

  test("the bundled problem: every candidate run against its @example lines and ranked, the best one shown", async () => {
    const run = await start(["-n", "3", "--max-tokens", "48", "--no-benchmark"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /^Checks \(2 @example lines from the problem's doc comment; each candidate in its own process: Node [\d.]+, Node's permission model/m,
    );
    assert.match(run.stdout, /rank +candidate +same +checks +result/);
    const ranks = [...run.stdout.matchAll(/^ +(?:★ +)?([123]) +#([123]) .*?([012])\/2 +(passed|failed|error|timed out)/gm)];
    assert.deepEqual(
      ranks.map((match) => match[1]),
      ["1", "2", "3"],
      run.stdout,
    );
    assert.match(
      run.stdout,
      /^(The best candidate, #\d, passes every check|No candidate passes every check; the best, #\d, passes [01] of 2)/m,
    );
  });

  test(
    "Ctrl+C during a solve cancels it, shuts the server down and exits with 130",
    { skip: process.platform === "win32" && "POSIX signals" },
    async () => {
      let serverPids: number[] = [];
      let interrupted = false;
      // Prose in a comment rarely ends: the solve runs for seconds (4 × 900 tokens).
      const run = await start(
        [
          "-n",
          "4",
          "--max-tokens",
          "900",
          "--seed",
          "1",
          "--no-benchmark",
          "// A long essay about sorting algorithms, in plain words.\n//",
        ],
        {
          onStdout: (stdout, child) => {
            // The first progress block: the solve is running.
            if (interrupted || !/Decoding 4 candidates/.test(stdout)) return;
            interrupted = true;
            // The relay the CLI started, and the real server it runs.
            serverPids = childPids(defined(child.pid, "the CLI's process id")).flatMap((pid) => [pid, ...childPids(pid)]);
            child.kill("SIGINT");
          },
        },
      );
      assert.ok(interrupted, `the solve never reported progress: ${run.stdout}`);
      assert.doesNotMatch(run.stdout, /Candidates by vote/, "the solve ended before Ctrl+C");
      assert.equal(run.code, 130, run.stderr);
      assert.match(run.stderr, /stand: cancelling the solve/);
      assert.match(run.stderr, /stand: cancelled/);
      if (process.platform === "linux") assert.equal(serverPids.length, 2, "found the server's two processes");
      for (const pid of serverPids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `the language server process ${pid} is gone`);
    },
  );
});

/** Child processes of `pid` (the language server started by the CLI), where `ps` can say. */
function childPids(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((line) => Number(line.trim()))
      .filter((value) => value > 0);
  } catch {
    return [];
  }
}

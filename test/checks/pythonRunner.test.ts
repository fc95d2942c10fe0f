// The Python check runner on fixture candidates: doctest lines from the stub's docstring and `# =>`
// lines from the checks box, each kind of candidate classified right within its limits, nothing
// written, no process started and no connection made. Needs Python 3 (npm run setup:e2e installs
// it; CI sets STAND_TEST_STRICT=1 so that a missing one fails instead of skipping).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { CandidateCheckResult, RunChecksResult } from "../../common/protocol";
import { exampleChecks, userChecks } from "../../language-server/src/checks/checkSources";
import { runChecks } from "../../language-server/src/checks/runChecks";

const python = spawnSync(process.platform === "win32" ? "python" : "python3", ["--version"]).status === 0;
if (!python && process.env.STAND_TEST_STRICT === "1") throw new Error("python3 is missing (npm run setup:e2e installs it)");

const PROBLEM = [
  "def add(a, b):",
  '    """Adds two values.',
  "",
  "    >>> add(1, 2)",
  "    3",
  "    >>> pair = ('a',",
  "    ...         'b')",
  "    >>> add(*pair)",
  "    'ab'",
  '    """',
  "",
].join("\n");

describe("Python checks: sources", () => {
  test("doctest lines in the stub's docstring (setup lines and continuations kept), `# =>` and assertions in the box", () => {
    assert.deepEqual(exampleChecks(PROBLEM, "", "python"), [
      { source: "example", code: "add(1, 2)", expectedOutput: "3", line: 4 },
      { source: "example", code: "add(*pair)", setup: "pair = ('a',\n        'b')", expectedOutput: "'ab'", line: 8 },
    ]);
    assert.deepEqual(userChecks("x = 2\nadd(x, 1)  # => 3\nassert add(1, 1) == 2", "python"), [
      { source: "user", code: "add(x, 1)", setup: "x = 2", expected: "3", line: 2 },
      { source: "user", code: "assert add(1, 1) == 2", setup: "x = 2", line: 3 },
    ]);
  });
});

describe("the Python check runner", { skip: !python && "no python3 on PATH" }, () => {
  const scratchRoot = mkdtempSync(join(tmpdir(), "stand-python-runner-"));
  const outside = join(scratchRoot, "outside");
  const previousTmp = process.env.TMPDIR;
  let result: RunChecksResult;
  const FIXTURES: Record<string, string> = {
    correct: "    return a + b\n",
    wrong: "    return a - b\n",
    throws: "    raise ValueError('no sums today')\n",
    infiniteLoop: "    while True:\n        pass\n",
    writesFile: `    open(${JSON.stringify(join(outside, "written.txt"))}, 'w').write('x')\n    return a + b\n`,
    spawns: `    import subprocess\n    subprocess.run(['touch', ${JSON.stringify(join(outside, "spawned.txt"))}])\n    return a + b\n`,
    connects: "    import socket\n    socket.create_connection(('127.0.0.1', 9))\n",
    readsEnvironment: "    import os\n    return os.environ.get('STAND_TEST_SECRET', a + b)\n",
    doesNotCompile: "    return (a +\n",
    exits: "    import sys\n    sys.exit(0)\n",
  };
  const names = Object.keys(FIXTURES);
  const candidate = (name: string): CandidateCheckResult => {
    const found = result.candidates.find((c) => c.trajectory === names.indexOf(name));
    assert.ok(found, name);
    return found;
  };

  before(async () => {
    mkdirSync(outside);
    process.env.TMPDIR = join(scratchRoot, "tmp");
    mkdirSync(process.env.TMPDIR);
    process.env.STAND_TEST_SECRET = "hunter2";
    result = await runChecks({
      problem: PROBLEM,
      kind: "code",
      languageId: "python",
      candidates: names.map((name, trajectory) => ({ trajectory, code: FIXTURES[name] ?? "" })),
      userChecks: "add(2, 2)  # => 4",
      timeoutMs: 4000,
    });
  });
  after(() => {
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    delete process.env.STAND_TEST_SECRET;
    rmSync(scratchRoot, { recursive: true, force: true });
  });

  test("correct passes with the printed values, wrong fails with the failing example and its value, a raise is an error", () => {
    assert.match(result.sandbox.runtime, /^Python 3\./);
    assert.equal(result.sandbox.permissionModel, false, "Python has none: the report says so");
    assert.equal(candidate("correct").status, "passed");
    assert.deepEqual(
      candidate("correct").results.map((r) => r.actual),
      ["3", "'ab'", "4"],
    );
    assert.equal(candidate("wrong").status, "failed");
    assert.deepEqual(candidate("wrong").results[0], { outcome: "failed", actual: "-1", message: "expected 3" });
    assert.equal(candidate("throws").status, "error");
    assert.equal(candidate("throws").results[0]?.message, "ValueError: no sums today");
    assert.match(candidate("doesNotCompile").message ?? "", /does not compile: '\(' was never closed/);
    assert.equal(candidate("exits").results[0]?.message, "SystemExit: 0");
  });

  test("an endless loop times out; files, processes and connections are refused; the environment is not inherited", () => {
    assert.equal(candidate("infiniteLoop").status, "timeout");
    assert.match(candidate("writesFile").results[0]?.message ?? "", /not allowed here: writing a file/);
    assert.match(candidate("spawns").results[0]?.message ?? "", /not allowed here: starting a process/);
    assert.match(candidate("connects").results[0]?.message ?? "", /not allowed here: a network connection/);
    assert.deepEqual(readdirSync(outside), []);
    assert.deepEqual(readdirSync(process.env.TMPDIR ?? ""), [], "every scratch folder is removed");
    assert.equal(candidate("readsEnvironment").status, "passed", "the secret is not there");
    assert.equal(result.ranking[0], names.indexOf("correct"));
  });

  test("allocating without bound stops at the memory limit", async () => {
    const allocating = await runChecks({
      problem: PROBLEM,
      kind: "code",
      languageId: "python",
      candidates: [{ trajectory: 0, code: "    kept = []\n    while True:\n        kept.append(bytearray(1 << 24))\n" }],
      memoryMb: 128,
      timeoutMs: 30_000,
    });
    assert.equal(allocating.candidates[0]?.status, "error");
    assert.match(allocating.candidates[0].results[0]?.message ?? "", /memory limit/);
  });
});

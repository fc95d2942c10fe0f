// The check runner on fixture candidates: each kind of candidate classified right within its
// limits, nothing written outside its scratch folder, ranked with every passing one first.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ErrorCodes, type CandidateCheckResult, type RunChecksParams, type RunChecksResult } from "../../common/protocol";
import { exampleChecks, userChecks } from "../../language-server/src/checks/checkSources";
import { runChecks } from "../../language-server/src/checks/runChecks";

const PROBLEM = readFileSync(join(__dirname, "..", "..", "cli", "problems", "is-string.js.txt"), "utf8");

describe("check sources", () => {
  test("@example lines in the problem's JSDoc: one-line and next-line values, setup kept for later checks, prose skipped later", () => {
    assert.deepEqual(exampleChecks(PROBLEM, ""), [
      { source: "example", code: 'isString("abc")', expected: "true", line: 8 },
      { source: "example", code: "isString(1)", expected: "false", line: 11 },
    ]);
    const context = [
      "/**",
      " * Sums.",
      " * @param {number[]} values",
      " * @example",
      " * const values = [",
      " *   1, 2,",
      " * ];",
      " * sum(values); // => 3",
      " * sum([])",
      " *   + 1;",
      " * // => 1",
      " * @returns {number}",
      " * @example <caption>Logs</caption>",
      " * sum([2])",
      " * // => Logs 2",
      " */",
      "",
    ].join("\n");
    const setup = "const values = [\n1, 2,\n];";
    assert.deepEqual(exampleChecks("function sum(values) {\n", context), [
      { source: "example", code: "sum(values)", setup, expected: "3" },
      { source: "example", code: "sum([])\n+ 1", setup, expected: "1" },
      { source: "example", code: "sum([2])", expected: "Logs 2" },
    ]);
    assert.deepEqual(
      exampleChecks("function f() {\n", "/** @example f() // => 1 */\nconst unrelated = 1;\n"),
      [],
      "a comment that does not end the context",
    );
  });

  test("the checks box: expressions must hold, `// =>` compares, declarations are setup", () => {
    assert.deepEqual(userChecks('const s = "ab";\nisString(s)\n\n// a note\nisString(1) // => false'), [
      { source: "user", code: "isString(s)", setup: 'const s = "ab";', line: 2 },
      { source: "user", code: "isString(1)", setup: 'const s = "ab";', expected: "false", line: 5 },
    ]);
  });
});

describe("the JavaScript check runner", () => {
  const scratchRoot = mkdtempSync(join(tmpdir(), "stand-runner-test-"));
  const outside = join(scratchRoot, "outside");
  const previousTmp = process.env.TMPDIR;
  let result: RunChecksResult;
  let byName: Map<string, CandidateCheckResult>;

  /** Fixture bodies for the bundled isString stub, by what they do. */
  const FIXTURES: Record<string, string> = {
    correct: "  return typeof value === 'string';\n}",
    wrong: "  return typeof value === 'object';\n}",
    throws: "  throw new TypeError('no strings today');\n}",
    infiniteLoop: "  while (true) {}\n}",
    allocates: "  const kept = [];\n  while (true) kept.push(new Array(1e6).fill(value));\n}",
    allocatesBuffers: "  const kept = [];\n  while (true) kept.push(Buffer.alloc(1 << 24, 1));\n}",
    writesFile: `  require('fs').writeFileSync(${JSON.stringify(join(outside, "written.txt"))}, 'x');\n  require('fs').writeFileSync('here.txt', 'x');\n  return typeof value === 'string';\n}`,
    spawns: `  require('child_process').execSync('touch ${join(outside, "spawned.txt")}');\n  return typeof value === 'string';\n}`,
    readsEnvironment: "  return process.env.STAND_TEST_SECRET ?? typeof value === 'string';\n}",
    doesNotCompile: "  return typeof value === 'string'\n",
    printsForever: "  for (;;) console.log('x'.repeat(1000));\n}",
    exits: "  process.exit(0);\n}",
    typescript: "  const kind: string = typeof (value as unknown);\n  return kind === 'string';\n}",
    correctToo: "  return typeof value == 'string' // the same behaviour, other code\n}",
  };

  before(async () => {
    mkdirSync(outside);
    // Scratch folders go under os.tmpdir(): a folder of this test's own, checked empty afterwards.
    process.env.TMPDIR = join(scratchRoot, "tmp");
    mkdirSync(process.env.TMPDIR);
    process.env.STAND_TEST_SECRET = "hunter2";
    const names = Object.keys(FIXTURES);
    const params: RunChecksParams = {
      problem: PROBLEM,
      kind: "code",
      languageId: "javascript",
      candidates: names.map((name, trajectory) => ({ trajectory, code: FIXTURES[name] ?? "" })),
      userChecks: "isString('')",
      timeoutMs: 4000,
      memoryMb: 160,
    };
    result = await runChecks(params);
    byName = new Map(
      names.map((name, trajectory) => [name, result.candidates.find((c) => c.trajectory === trajectory) as CandidateCheckResult]),
    );
  });
  after(() => {
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    delete process.env.STAND_TEST_SECRET;
    rmSync(scratchRoot, { recursive: true, force: true });
  });

  const candidate = (name: string): CandidateCheckResult => {
    const found = byName.get(name);
    assert.ok(found, name);
    return found;
  };

  test("the sandbox is Node's permission model on this runtime", () => {
    assert.equal(result.sandbox.permissionModel, true, "Node 20 has --experimental-permission");
    assert.deepEqual(
      result.checks.map((check) => check.source),
      ["example", "example", "user"],
    );
  });

  test("a correct candidate passes every check with its values; a wrong one fails with the failing example and the actual value", () => {
    assert.equal(candidate("correct").status, "passed");
    assert.equal(candidate("correct").passed, 3);
    assert.deepEqual(
      candidate("correct").results.map((r) => r.actual),
      ["true", "false", "true"],
    );
    const wrong = candidate("wrong");
    assert.equal(wrong.status, "failed");
    assert.equal(wrong.passed, 1);
    assert.deepEqual(wrong.results[0], { outcome: "failed", actual: "false", message: "expected true" });
    assert.equal(wrong.results[2]?.outcome, "failed", "the box's check must hold");
  });

  test("a throwing candidate errs with its message; one that does not compile says where", () => {
    assert.equal(candidate("throws").status, "error");
    assert.equal(candidate("throws").results[0]?.message, "TypeError: no strings today");
    assert.equal(candidate("doesNotCompile").status, "error");
    assert.match(candidate("doesNotCompile").message ?? "", /does not compile: Unexpected end of file \(line 16/);
  });

  test("an infinite loop times out at the limit; the rest of its checks are not run", () => {
    const looping = candidate("infiniteLoop");
    assert.equal(looping.status, "timeout");
    assert.equal(looping.results[0]?.outcome, "timeout");
    assert.match(looping.results[1]?.message ?? "", /^not run: the candidate ran past the 4000 ms limit/);
  });

  test("allocating without bound stops at the memory limit, for the heap and for buffers", () => {
    for (const name of ["allocates", "allocatesBuffers"]) {
      assert.equal(candidate(name).status, "error", name);
      assert.match(candidate(name).results[0]?.message ?? "", /used more than the 160 MB memory limit/, name);
    }
  });

  test("writing a file and starting a process are refused, and nothing is written anywhere", () => {
    assert.equal(candidate("writesFile").status, "error");
    assert.match(candidate("writesFile").results[0]?.message ?? "", /not allowed here: FileSystemWrite/);
    assert.equal(candidate("spawns").status, "error");
    assert.match(candidate("spawns").results[0]?.message ?? "", /not allowed here: ChildProcess/);
    assert.deepEqual(readdirSync(outside), [], "nothing outside the scratch folders");
    assert.deepEqual(readdirSync(process.env.TMPDIR ?? ""), [], "every scratch folder is removed");
  });

  test("the environment is not inherited: the server's secret is not there", () => {
    const reader = candidate("readsEnvironment");
    assert.equal(reader.status, "passed");
    assert.equal(reader.results[0]?.actual, "true");
  });

  test("endless output is cut at the cap; process.exit is an error, not a silent end", () => {
    assert.equal(candidate("printsForever").status, "error");
    assert.match(candidate("printsForever").results[0]?.message ?? "", /printed more than 64 KB/);
    assert.equal(candidate("exits").status, "error");
    assert.match(candidate("exits").results[0]?.message ?? "", /called process.exit/);
  });

  test("a TypeScript candidate runs with its types stripped", async () => {
    const typescript = await runChecks({
      problem: "/**\n * @example\n * isString('a') // => true\n */\nexport function isString(value: unknown): boolean {\n",
      kind: "code",
      languageId: "typescript",
      candidates: [{ trajectory: 0, code: FIXTURES.typescript ?? "" }],
    });
    assert.equal(typescript.candidates[0]?.status, "passed");
  });

  test("an expected value in words is skipped and not counted; no checks at all, or none that can run, is a clear error", async () => {
    const problem = "/**\n * @example\n * f(1) // => 1\n * f(2) // => Logs 2\n */\nfunction f(x) {\n";
    const checked = await runChecks({
      problem,
      kind: "code",
      languageId: "javascript",
      candidates: [{ trajectory: 0, code: "  return x;\n}" }],
    });
    assert.equal(checked.candidates[0]?.status, "passed");
    assert.equal(checked.candidates[0].total, 1);
    assert.match(checked.candidates[0].results[1]?.message ?? "", /its expected value is not code: Logs 2/);
    await assert.rejects(runChecks({ problem: "function f(x) {\n", languageId: "javascript", candidates: [] }), {
      code: ErrorCodes.NoChecks,
      message: /There is nothing to check/,
    });
    await assert.rejects(runChecks({ problem: "/** @example f(2) // => Logs 2 */\n", languageId: "javascript", candidates: [] }), {
      code: ErrorCodes.InvalidRequest,
      message: /None of the checks can run: the example on line 1 \(f\(2\)\) its expected value is not code/,
    });
    await assert.rejects(runChecks({ problem: "/** @example f(2) // => 2 */\n", languageId: "rust", candidates: [] }), {
      code: ErrorCodes.InvalidRequest,
      message: /Checks run javascript, javascriptreact, typescript, typescriptreact, python code; this is rust\. A test command/,
    });
  });

  test("passing candidates rank first; equal behaviour groups whatever the code", () => {
    const passing = result.candidates.filter((c) => c.status === "passed").map((c) => c.trajectory);
    assert.ok(passing.length >= 3);
    assert.deepEqual([...result.ranking.slice(0, passing.length)].sort(), [...passing].sort());
    const names = Object.keys(FIXTURES);
    const group = result.groups.find((g) => g.members.includes(names.indexOf("correct")));
    assert.ok(group?.members.includes(names.indexOf("correctToo")), "same results on the same inputs");
  });

  test("a scratch folder that cannot be made fails each candidate with the reason, in both languages, instead of the whole run", async () => {
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = join(scratchRoot, "missing");
    try {
      for (const [languageId, problem, code] of [
        ["javascript", "/** @example f(1) // => 1 */\nfunction f(x) {\n", "  return x;\n}"],
        ["python", 'def f(x):\n    """\n    >>> f(1)\n    1\n    """\n', "    return x\n"],
      ] as const) {
        const checked = await runChecks({ problem, kind: "code", languageId, candidates: [{ trajectory: 0, code }] });
        const only = checked.candidates[0];
        assert.equal(only?.status, "error", languageId);
        assert.match(only.message ?? "", /ENOENT.*missing/, languageId);
        assert.match(only.results[0]?.message ?? "", /^not run: ENOENT/, languageId);
      }
    } finally {
      process.env.TMPDIR = tmp;
    }
  });
});

describe("a test command as a check", () => {
  const workspace = mkdtempSync(join(tmpdir(), "stand-test-command-"));
  const file = join(workspace, "strings.js");
  const original = "function isString(value) {\n  return false;\n}\nmodule.exports = { isString };\n";
  before(() => {
    writeFileSync(file, original);
    writeFileSync(
      join(workspace, "strings.test.js"),
      'const test = require("node:test");\nconst assert = require("node:assert/strict");\nconst { isString } = require("./strings.js");\ntest("isString", () => {\n  assert.equal(isString("a"), true);\n  assert.equal(isString(1), false);\n});\n',
    );
  });
  after(() => {
    rmSync(workspace, { recursive: true, force: true });
  });

  test("each candidate runs in place of the selection, the workspace's file is never written", async () => {
    const selectionStart = original.indexOf("{\n") + 2;
    const selectionEnd = original.indexOf("}\n");
    const result = await runChecks({
      problem: "",
      kind: "chat",
      languageId: "javascript",
      candidates: [
        { trajectory: 0, code: "  return typeof value === 'string';\n" },
        { trajectory: 1, code: "  return true;\n" },
      ],
      testCommand: {
        command: `${JSON.stringify(process.execPath)} --test strings.test.js`,
        cwd: workspace,
        file: { path: file, text: original, selectionStart, selectionEnd },
      },
    });
    assert.deepEqual(
      result.candidates.map((c) => c.status),
      ["passed", "failed"],
    );
    assert.equal(result.candidates[1]?.results[0]?.actual, "exit code 1");
    assert.match(result.candidates[1].results[0].message ?? "", /fail 1/);
    assert.equal(readFileSync(file, "utf8"), original);
    assert.equal(existsSync(join(workspace, "node_modules")), false);
  });
});

// `npm test`: build the bundles (server tests spawn them), then run every test/**/*.test.ts
// with Node's own runner, in two runs (test/unit/, then the rest: see below), each ending with its
// summary. Extra arguments filter by path substring.
// `npm run test:unit` (--unit): test/unit/ alone, for fast feedback: the engine, the panel state and
// the extension's and CLI's logic, with no build (nothing there starts a bundle). The chi-square
// proofs of losslessness take minutes and run in `npm test` only.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

function findTests(directory) {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return findTests(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** A folder of test/, as the paths findTests returns start with it. */
const suite = (folder) => join("test", folder) + "/";
const STATISTICAL_TESTS = [join("test", "unit", "lossless.test.ts")];
// Suites of their own, which npm test leaves out and CI runs after it: test/models/ (the fixture
// models with real tokenizers, `npm run test:models`: it builds about 1 GB of fixtures on its first
// run) and test/slow/ (`npm run test:slow`: the real-size cost twin, the benchmark scripts and the
// GPU kit, the chi-square proof of tree drafts on the real model, and the editor and checks round
// trips in code-server: several minutes).
const SEPARATE_SUITES = ["models", "slow"].map(suite);

const unit = process.argv.includes("--unit");
const filters = process.argv.slice(2).filter((argument) => argument !== "--unit");
const files = findTests(unit ? join("test", "unit") : "test")
  .filter((file) => !unit || !STATISTICAL_TESTS.includes(file))
  .filter((file) =>
    filters.length === 0 ? !SEPARATE_SUITES.some((suite) => file.startsWith(suite)) : filters.some((filter) => file.includes(filter)),
  )
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(", ")}`);
  process.exit(1);
}

function run(command, args) {
  // The model tests run the model in the test processes: they need common/modelProcess.ts's environment.
  const result = spawnSync(command, args, { stdio: "inherit", env: { ...process.env, UV_THREADPOOL_SIZE: "1" } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (!unit) run(process.execPath, ["scripts/build.mjs"]);
// test/unit/ is pure in-process JavaScript (no model, no child process, no editor): its files run
// two at a time, one per core: 42 s instead of 76 s on a 2-core VM (the chi-square proofs are
// most of it). Every other file runs one at a time. Two at once took the whole of npm test from
// 5–7 to 4.3–4.7 minutes on a quiet 2-core machine, but one CI run of it stopped inside
// test/cli/scripts.test.ts (which starts processes and servers) and never went on (killed at CI's
// limit, nothing reported); one at a time has always finished.
// A file that has not ended after FILE_TIMEOUT_MS (the longest take a minute or two) is stopped and
// reported by name, so a test that hangs fails CI with its name instead of running out its time.
const slowOnly = files.every((file) => file.startsWith(suite("slow")));
const FILE_TIMEOUT_MS = (slowOnly ? 20 : 10) * 60_000;
const inProcess = files.filter((file) => file.startsWith(suite("unit")));
const withProcesses = files.filter((file) => !inProcess.includes(file));
for (const [group, concurrency] of [
  [inProcess, 2],
  [withProcesses, 1],
]) {
  if (group.length === 0) continue;
  run(process.execPath, [
    "--import",
    "tsx",
    "--test",
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    "--test-reporter=spec",
    ...group,
  ]);
}

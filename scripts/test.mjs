// `npm test`: build the bundles (server tests spawn them), then run every test/**/*.test.ts
// with Node's own runner, whose summary CI reads. Extra arguments filter by path substring.
// Suites too slow for npm test's budget are named *.slow.test.ts and run only with --slow
// (`npm run test:slow`, which CI runs too).
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

const slow = process.argv.includes("--slow");
const filters = process.argv.slice(2).filter((argument) => argument !== "--slow");
const files = findTests("test")
  .filter((file) => slow || !file.endsWith(".slow.test.ts"))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
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

run(process.execPath, ["scripts/build.mjs"]);
run(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...files]);

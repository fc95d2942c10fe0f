// `npm start`: builds the bundles (scripts/build.mjs, about a second), then runs the CLI,
// cli/start.ts, in this process through tsx. Arguments are the CLI's: `npm start -- --help`.
// The build's output goes to stderr, and only when it fails, so `--json` keeps stdout clean.
// STAND_SKIP_BUILD=1 skips the build (the tests, which build once before they run).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wantsHelp = process.argv.slice(2).some((arg) => arg === "-h" || arg === "--help");

if (process.env.STAND_SKIP_BUILD !== "1" && !wantsHelp) {
  const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) {
    process.stderr.write(`${build.stdout ?? ""}${build.stderr ?? ""}`);
    process.stderr.write(`stand: the build failed (node scripts/build.mjs exited with ${build.status ?? build.signal})\n`);
    process.exit(1);
  }
}

const { register } = await import("tsx/cjs/api");
register();
createRequire(import.meta.url)("../cli/start.ts");

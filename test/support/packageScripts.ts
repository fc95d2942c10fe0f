// Running the package.json scripts as `npm run <name>` would, in this Node: the command line comes
// from package.json itself, so a renamed or rewired script fails the test that runs it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";

export const ROOT = join(__dirname, "..", "..");
export const SCRIPTS = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The Node arguments of `npm run <name>`, read from package.json: `node FILE …` and `tsx FILE …`
 * run in this Node. A leading `npm run build &&` (bench:latency) is dropped: dist/ is built.
 */
export function scriptArguments(name: string): string[] {
  const script = SCRIPTS[name];
  assert.ok(script, `package.json has no script "${name}"`);
  const [program, ...rest] = script.replace(/^npm run build && /, "").split(" ");
  if (program === "node") return rest;
  if (program === "tsx") return ["--import", "tsx", ...rest];
  throw new Error(`package.json's "${name}" script (${script}) does not start with node or tsx`);
}

/** Runs `npm run <name> -- ...args` as its script would, in `cwd`, and reports how long it took. */
export function runScript(t: TestContext, name: string, args: string[] = [], cwd = ROOT, timeout = 60_000): Run {
  const started = performance.now();
  const result = spawnSync(process.execPath, [...scriptArguments(name), ...args], {
    cwd,
    encoding: "utf8",
    timeout,
    // Past its time a script is killed outright: a handler of SIGTERM cannot keep it (and the test) alive.
    killSignal: "SIGKILL",
    env: { ...process.env, NO_COLOR: "1" },
  });
  t.diagnostic(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(result.error, undefined, `${name}: ${result.error?.message}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

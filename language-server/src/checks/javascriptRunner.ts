// Runs JavaScript and TypeScript candidates: esbuild strips types and turns modules into CommonJS,
// each check becomes a function in the candidate's own scope, and the program runs under the
// check harness in a fresh Node process: an empty environment, a scratch folder as its cwd,
// Node's permission model where the runtime has it (read only its scratch folder; no writes, no
// child processes, no workers), a time limit, a memory limit and capped output.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Check, CheckResult } from "../../../common/protocol";
import { CHECKS_KEY } from "./harnessProtocol";
import { harnessPath, notRun, runHarness, type HarnessLaunch } from "./harnessRun";
import type { CheckRunner, PreparedChecks, ProgramRun, RunLimits } from "./runner";

type Loader = "js" | "jsx" | "ts" | "tsx";

/** What V8 prints when the heap limit is reached. */
const OUT_OF_MEMORY = /heap out of memory|Reached heap limit|Allocation failed/;

const LOADERS: Readonly<Record<string, Loader>> = {
  javascript: "js",
  javascriptreact: "jsx",
  typescript: "ts",
  typescriptreact: "tsx",
};

/** esbuild's transform, loaded when first needed (it starts a helper process). */
type Transform = typeof import("esbuild").transform;

export class JavaScriptRunner implements CheckRunner {
  readonly languages = Object.keys(LOADERS);
  private permissionFlags?: Promise<readonly string[]>;
  private transform?: Promise<Transform>;

  async sandbox(): Promise<{ permissionModel: boolean; runtime: string }> {
    const flags = await this.permissionFlagsOnce();
    return {
      permissionModel: flags.length > 0,
      runtime: `${process.versions.electron ? "Electron's Node" : "Node"} ${process.versions.node}`,
    };
  }

  async prepare(checks: readonly Check[], languageId: string, limits: RunLimits): Promise<PreparedChecks> {
    const loader = LOADERS[languageId] ?? "js";
    const transform = await this.transformOnce();
    const compiled = await Promise.all(checks.map((check) => compileCheck(check, loader, transform)));
    const harness = harnessPath("check-harness.js");
    const flags = await this.permissionFlagsOnce();
    const runnable = compiled.flatMap((check, index) => ("code" in check ? [{ index, code: check.code }] : []));
    const checksSource = `\n;globalThis[Symbol.for(${JSON.stringify(CHECKS_KEY.description)})] = [\n${runnable.map((check) => check.code).join(",\n")}\n];\n`;

    return {
      runnable: runnable.length,
      skipped: new Map(compiled.flatMap((check, index) => ("skipped" in check ? [[index, check.skipped] as const] : []))),
      run: async (program: string, signal?: AbortSignal): Promise<ProgramRun> => {
        const started = performance.now();
        /** Skipped checks have their reason already; the others wait for the harness. */
        const results: (CheckResult | undefined)[] = compiled.map((check) =>
          "skipped" in check ? { outcome: "skipped", message: check.skipped } : undefined,
        );
        let source: string;
        try {
          source = (await transform(program, { loader, format: "cjs", platform: "node", target: "node18" })).code;
        } catch (error) {
          const why = `does not compile: ${compileMessage(error)}`;
          return { results: notRun(results, why), failure: { status: "error", message: why }, durationMs: 0 };
        }
        const launch: HarnessLaunch = {
          files: { "program.js": source + checksSource },
          harness: { from: harness, as: "harness.js" },
          command: process.execPath,
          args: (scratch) => [
            ...flags.map((flag) => flag.replace("SCRATCH", scratch)),
            `--max-old-space-size=${String(limits.memoryMb)}`,
            "harness.js",
            "program.js",
          ],
          env: process.versions.electron ? { ELECTRON_RUN_AS_NODE: "1" } : {},
        };
        const run = await runHarness(launch, { results, runnable, limits, outOfMemory: OUT_OF_MEMORY }, signal);
        return { ...run, durationMs: performance.now() - started };
      },
    };
  }

  private permissionFlagsOnce(): Promise<readonly string[]> {
    this.permissionFlags ??= Promise.resolve(permissionFlags());
    return this.permissionFlags;
  }

  /** esbuild's transform, once it has compiled something: a compiler that cannot start says so, not "not code". */
  private transformOnce(): Promise<Transform> {
    this.transform ??= import("esbuild").then(async ({ transform }) => {
      await transform("0", { loader: "ts" });
      return transform;
    });
    this.transform.catch(() => {
      this.transform = undefined;
    });
    return this.transform.catch((error: unknown) => {
      throw new Error(
        `esbuild, which compiles the candidates, does not run here: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }
}

/**
 * The flags that turn on Node's permission model with reads limited to the scratch folder
 * ("SCRATCH" stands for it), or none where this runtime does not have it. `--permission` is the
 * name from Node 22.13 and 23.5; `--experimental-permission` the one before.
 */
function permissionFlags(): readonly string[] {
  for (const flag of ["--permission", "--experimental-permission"]) {
    const probe = spawnSync(
      process.execPath,
      [flag, "--no-warnings", "-e", "process.exit(process.permission?.has('fs.write') === false ? 0 : 1)"],
      {
        env: process.versions.electron ? { ELECTRON_RUN_AS_NODE: "1" } : {},
        timeout: 10_000,
        stdio: "ignore",
      },
    );
    if (probe.status === 0) return [flag, "--no-warnings", `--allow-fs-read=${join("SCRATCH", "*")}`];
  }
  return [];
}

type CompiledCheck = { readonly code: string } | { readonly skipped: string };

/**
 * A check as a function in the program's scope: `() => { setup; return { actual, expected } }`.
 * Its parts are compiled one by one first, so that a part that is not code (an expected value in
 * words, "Logs 'a'") is named in the reason it is skipped.
 */
async function compileCheck(check: Check, loader: Loader, transform: Transform): Promise<CompiledCheck> {
  const compiles = (source: string): Promise<boolean> =>
    transform(source, { loader }).then(
      () => true,
      () => false,
    );
  if (check.expected !== undefined && !(await compiles(`(${check.expected}\n);`)))
    return { skipped: `its expected value is not code: ${check.expected}` };
  if (check.setup !== undefined && !(await compiles(check.setup))) return { skipped: `its setup does not compile: ${check.setup}` };
  // An expression gives a value; statements (an assert call with a trailing semicolon, a block) run for their effect.
  const actual = (await compiles(`(${check.code}\n);`))
    ? `() => (${check.code}\n)`
    : (await compiles(check.code))
      ? `() => {\n${check.code}\n}`
      : undefined;
  if (actual === undefined) return { skipped: `it does not compile: ${check.code}` };
  const expected = check.expected === undefined ? "" : `, expected: () => (${check.expected}\n)`;
  const source = `(() => {\n${check.setup ?? ""}\nreturn { actual: ${actual}${expected} };\n})`;
  try {
    return { code: (await transform(source, { loader })).code.trim().replace(/;$/, "") };
  } catch (error) {
    return { skipped: `it does not compile: ${compileMessage(error)}` };
  }
}

function compileMessage(error: unknown): string {
  const first = (error as { errors?: { text: string; location?: { line: number; column: number } | null }[] }).errors?.[0];
  if (!first) return error instanceof Error ? error.message : String(error);
  return first.location ? `${first.text} (line ${first.location.line}, column ${first.location.column + 1})` : first.text;
}

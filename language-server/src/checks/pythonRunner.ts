// Runs Python candidates: the system's Python 3 runs each candidate's program and its checks under
// the Python harness (harness.py) in a process of its own: isolated mode (no user site, no PYTHON*
// variables), an empty environment, a scratch folder as its cwd, an address-space limit it sets on
// itself, an audit hook that refuses file writes, processes and network connections, a time limit
// and capped output. Python has no permission model: the audit hook guards against accidents, not
// against code written to get around it.
import { spawnSync } from "node:child_process";
import type { Check, CheckResult } from "../../../common/protocol";
import { harnessPath, runHarness, type HarnessLaunch } from "./harnessRun";
import type { CheckRunner, PreparedChecks, ProgramRun, RunLimits } from "./runner";

/** What Python prints when it cannot allocate. */
const OUT_OF_MEMORY = /MemoryError/;
/** Compiles each check's parts with Python's own parser and prints what does not compile. */
const SYNTAX_PROBE = String.raw`
import json, sys
reasons = []
for check in json.load(sys.stdin):
    reason = None
    for part, mode, what in (("expected", "eval", "its expected value is not code"), ("setup", "exec", "its setup does not compile")):
        if part in check:
            try:
                compile(check[part], "<check>", mode)
            except SyntaxError:
                reason = reason or f"{what}: {check[part]}"
    try:
        compile(check["code"], "<check>", "exec")
    except SyntaxError:
        reason = reason or f"it does not compile: {check['code']}"
    reasons.append(reason)
print(json.dumps(reasons))
`;

interface Interpreter {
  readonly path: string;
  readonly version: string;
}

export class PythonRunner implements CheckRunner {
  readonly languages = ["python"];
  private interpreter?: Interpreter | null;

  sandbox(): Promise<{ permissionModel: boolean; runtime: string }> {
    const interpreter = this.interpreterOnce();
    return Promise.resolve({ permissionModel: false, runtime: interpreter ? `Python ${interpreter.version}` : "no Python" });
  }

  prepare(checks: readonly Check[], _languageId: string, limits: RunLimits): Promise<PreparedChecks> {
    const interpreter = this.interpreterOnce();
    if (!interpreter)
      return Promise.reject(new Error("Python 3 was not found: checks of Python code run `python3` (`python` on Windows) from PATH."));
    const probe = spawnSync(interpreter.path, ["-I", "-c", SYNTAX_PROBE], {
      input: JSON.stringify(checks),
      encoding: "utf8",
      timeout: 10_000,
    });
    const reasons = probe.status === 0 ? (JSON.parse(probe.stdout) as (string | null)[]) : checks.map(() => null);
    const skipped = new Map(reasons.flatMap((reason, index) => (reason ? [[index, reason] as const] : [])));
    const runnable = checks.flatMap((check, index) => (skipped.has(index) ? [] : [{ index, check }]));
    const harness = harnessPath("check-harness.py");

    return Promise.resolve({
      runnable: runnable.length,
      skipped,
      run: async (program: string, signal?: AbortSignal): Promise<ProgramRun> => {
        const results: (CheckResult | undefined)[] = checks.map((_, index) => {
          const reason = skipped.get(index);
          return reason === undefined ? undefined : { outcome: "skipped", message: reason };
        });
        const launch: HarnessLaunch = {
          files: { "candidate.py": program, "checks.json": JSON.stringify(runnable.map(({ check }) => check)) },
          harness: { from: harness, as: "harness.py" },
          command: interpreter.path,
          // -I: isolated (no user site, no PYTHON* variables); -B: no bytecode files written.
          args: () => ["-I", "-B", "harness.py", "candidate.py", "checks.json", String(limits.memoryMb)],
          env: {},
        };
        return runHarness(launch, { results, runnable, limits, outOfMemory: OUT_OF_MEMORY }, signal);
      },
    });
  }

  /** The interpreter `python3` names on PATH, resolved to its real path (a pyenv shim needs an environment the runs do not get). */
  private interpreterOnce(): Interpreter | undefined {
    if (this.interpreter === undefined) {
      const found = spawnSync(
        process.platform === "win32" ? "python" : "python3",
        ["-c", "import sys; print(sys.executable); print(sys.version.split()[0])"],
        {
          encoding: "utf8",
          timeout: 10_000,
        },
      );
      const [path, version] = found.status === 0 ? found.stdout.trim().split("\n") : [];
      this.interpreter = path && version && version.startsWith("3.") ? { path, version } : null;
    }
    return this.interpreter ?? undefined;
  }
}

// A check runner runs one language's candidates: it compiles the checks once, then runs each
// candidate's program against them in a process of its own. JavaScript and TypeScript have one
// (javascriptRunner.ts), Python another (pythonRunner.ts); a language plugs in by implementing this
// interface, with a harness that speaks harnessProtocol.ts's messages, and adding itself to RUNNERS.
import type { Check, CheckResult } from "../../../common/protocol";
import { JavaScriptRunner } from "./javascriptRunner";
import { PythonRunner } from "./pythonRunner";

export interface RunLimits {
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly outputBytes: number;
}

/** One candidate's run: a result per check, or why the program as a whole could not run. */
export interface ProgramRun {
  readonly results: CheckResult[];
  /** Set when the program did not get through its checks: it does not compile, threw on load, ran out of time or memory. */
  readonly failure?: { readonly status: "error" | "timeout"; readonly message: string };
  readonly durationMs: number;
}

export interface PreparedChecks {
  /** Checks that compiled and will run (the others are skipped in every result, with the reason). */
  readonly runnable: number;
  /** Why each check that will not run is skipped, by check index. */
  readonly skipped: ReadonlyMap<number, string>;
  /** Runs one candidate's whole program (for a code solve: the problem and the answer after it). */
  run(program: string, signal?: AbortSignal): Promise<ProgramRun>;
}

export interface CheckRunner {
  /** VS Code language identifiers whose candidates it runs. */
  readonly languages: readonly string[];
  /** Compiles the checks once for every candidate; a check that cannot compile is skipped, with the reason. */
  prepare(checks: readonly Check[], languageId: string, limits: RunLimits): Promise<PreparedChecks>;
  /** What the runs are kept from (Node's permission model where the runtime has it), and the runtime. */
  sandbox(): Promise<{ readonly permissionModel: boolean; readonly runtime: string }>;
}

const RUNNERS: readonly CheckRunner[] = [new JavaScriptRunner(), new PythonRunner()];

export function runnerFor(languageId: string | undefined): CheckRunner | undefined {
  return RUNNERS.find((runner) => languageId !== undefined && runner.languages.includes(languageId));
}

/** The languages some runner runs, for messages. */
export function runnableLanguages(): string[] {
  return RUNNERS.flatMap((runner) => runner.languages);
}

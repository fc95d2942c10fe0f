// One candidate's harness process: started in a scratch folder of its own under the sandbox's
// limits, and afterwards its messages (harnessProtocol.ts) and how the process ended turned into one
// result per check. Both runners' harnesses speak the same messages.
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CheckResult } from "../../../common/protocol";
import type { HarnessMessage } from "./harnessProtocol";
import type { ProgramRun, RunLimits } from "./runner";
import { runSandboxed, type SandboxResult } from "./sandbox";

/** How a runner starts its harness on one candidate. */
export interface HarnessLaunch {
  /** Files written into the scratch folder: name → contents. */
  readonly files: Readonly<Record<string, string>>;
  /** The harness file, copied into the scratch folder under this name. */
  readonly harness: { readonly from: string; readonly as: string };
  readonly command: string;
  /** The arguments, given the scratch folder (the process's cwd). */
  readonly args: (scratch: string) => readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** What the harness's results are folded into (see interpretHarness). */
export interface HarnessChecks {
  readonly results: (CheckResult | undefined)[];
  readonly runnable: readonly { readonly index: number }[];
  readonly limits: RunLimits;
  readonly outOfMemory: RegExp;
}

/**
 * Runs the harness on one candidate in a fresh scratch folder, removed afterwards. A folder or
 * file that cannot be written, or a process that cannot start, fails this candidate with the
 * reason, as a crash would: the other candidates still run.
 */
export async function runHarness(launch: HarnessLaunch, checks: HarnessChecks, signal?: AbortSignal): Promise<ProgramRun> {
  const started = performance.now();
  const { results, runnable, limits, outOfMemory } = checks;
  let scratch: string | undefined;
  try {
    scratch = await mkdtemp(join(tmpdir(), "stand-check-"));
    for (const [name, contents] of Object.entries(launch.files)) await writeFile(join(scratch, name), contents);
    await copyFile(launch.harness.from, join(scratch, launch.harness.as));
    const sandboxed = await runSandboxed({
      command: launch.command,
      args: launch.args(scratch),
      cwd: scratch,
      env: launch.env,
      timeoutMs: limits.timeoutMs,
      memoryMb: limits.memoryMb,
      outputBytes: limits.outputBytes,
      killAfterOutputBytes: limits.outputBytes,
      signal,
    });
    return { ...interpretHarness(sandboxed, results, runnable, limits, outOfMemory), durationMs: performance.now() - started };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { results: notRun(results, why), failure: { status: "error", message: why }, durationMs: performance.now() - started };
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

/** A harness next to the server bundle (dist/), or the built one when running from source. */
export function harnessPath(file: string): string {
  const paths = [join(__dirname, file), join(__dirname, "..", "..", "..", "dist", file)];
  const found = paths.find((path) => existsSync(path));
  if (!found) throw new Error(`The check harness is missing (${paths[0] ?? file}): rebuild with npm run build.`);
  return found;
}

/**
 * What the harness said before the process ended, and why it ended, as one result per check.
 * `results` holds the skipped checks' results already; `runnable` maps the harness's indexes to
 * the checks'; `outOfMemory` matches what the runtime prints when it runs out of memory.
 */
export function interpretHarness(
  run: SandboxResult,
  results: (CheckResult | undefined)[],
  runnable: readonly { readonly index: number }[],
  limits: RunLimits,
  outOfMemory: RegExp,
): Omit<ProgramRun, "durationMs"> {
  const messages = run.messages.filter((message): message is HarnessMessage => typeof message === "object" && message !== null);
  let running: number | undefined;
  let loaded = false;
  let done = false;
  for (const message of messages) {
    if (message.type === "crashed")
      return { results: notRun(results, message.message), failure: { status: "error", message: message.message } };
    if (message.type === "loaded") loaded = true;
    else if (message.type === "done") done = true;
    else if (message.type === "start") running = runnable[message.index]?.index;
    else {
      const index = runnable[message.index]?.index;
      if (index !== undefined) results[index] = { outcome: message.outcome, actual: message.actual, message: message.message };
      running = undefined;
    }
  }
  if (done) return { results: notRun(results, "the harness did not report it") };

  const why =
    run.end === "timeout"
      ? `ran past the ${limits.timeoutMs} ms limit`
      : run.end === "memory" || outOfMemory.test(run.stderr)
        ? `used more than the ${limits.memoryMb} MB memory limit`
        : run.end === "output"
          ? `printed more than ${Math.round(limits.outputBytes / 1024)} KB`
          : run.end === "cancelled"
            ? "cancelled"
            : `the process ended (${run.signal ?? `exit code ${run.exitCode ?? "?"}`})${lastLine(run.stderr)}`;
  const status = run.end === "timeout" ? "timeout" : "error";
  if (running !== undefined) results[running] = { outcome: status, message: why };
  return {
    results: notRun(results, `the candidate ${why}`),
    failure: { status, message: loaded ? `the candidate ${why}` : `the candidate ${why} before its checks began` },
  };
}

/** Every check without a result is skipped, for this reason. */
export function notRun(results: readonly (CheckResult | undefined)[], why: string): CheckResult[] {
  return results.map((result) => result ?? { outcome: "skipped", message: `not run: ${why}` });
}

function lastLine(text: string): string {
  const line = text.trim().split("\n").pop()?.trim();
  return line ? `: ${line}` : "";
}

// stand/runChecks: every candidate of a solve run against the same checks, each in its own process,
// then grouped by behaviour and ranked (see ranking.ts).
import { availableParallelism } from "node:os";
import { ResponseError } from "vscode-languageserver/node";
import {
  ErrorCodes,
  type CandidateCheckResult,
  type CandidateCheckStatus,
  type Check,
  type CheckResult,
  type RunChecksParams,
  type RunChecksResult,
} from "../../../common/protocol";
import { Limits } from "../../../common/protocolSchemas";
import { groupByVote } from "../candidates";
import { normaliseCode } from "../code/normalise";
import { exampleChecks, userChecks } from "./checkSources";
import { groupByBehaviour, inTrajectories, rank } from "./ranking";
import { runnableLanguages, runnerFor, type ProgramRun, type RunLimits } from "./runner";
import { runTestCommand } from "./testCommand";

export const DEFAULT_LIMITS: RunLimits = { timeoutMs: 2000, memoryMb: 256, outputBytes: 64 * 1024 };

export interface ChecksRun {
  readonly signal?: AbortSignal;
  /** Each candidate's result as soon as it has one. */
  readonly progress?: (result: CandidateCheckResult) => void;
}

export async function runChecks(params: RunChecksParams, run: ChecksRun = {}): Promise<RunChecksResult> {
  if (typeof params.problem !== "string" || !isList(params.candidates))
    throw new ResponseError(ErrorCodes.InvalidRequest, "stand/runChecks needs the problem and the candidates' code.");
  const languageId = params.languageId;
  const codeChecks = [
    ...exampleChecks(params.problem, params.context ?? "", languageId),
    ...userChecks(params.userChecks ?? "", languageId),
  ];
  const checks: Check[] = [...codeChecks, ...(params.testCommand ? [{ source: "test" as const, code: params.testCommand.command }] : [])];
  if (checks.length === 0) {
    throw new ResponseError(
      ErrorCodes.NoChecks,
      languageId === "python"
        ? "There is nothing to check: write doctest lines in the function's docstring (>>> add(1, 2) then 3 on the next line), type checks in the checks box, or set a test command (stand.checks.testCommand)."
        : 'There is nothing to check: write @example lines in the doc comment above the code (isString("abc"); // => true), type checks in the checks box, or set a test command (stand.checks.testCommand).',
    );
  }
  const runner = runnerFor(languageId);
  if (codeChecks.length > 0 && !runner) {
    throw new ResponseError(
      ErrorCodes.InvalidRequest,
      `Checks run ${runnableLanguages().join(", ")} code; this is ${languageId ?? "an unknown language"}. A test command (stand.checks.testCommand) runs for any language.`,
    );
  }
  const limits: RunLimits = {
    timeoutMs: clamp(params.timeoutMs ?? DEFAULT_LIMITS.timeoutMs, Limits.checkTimeoutMs),
    memoryMb: clamp(params.memoryMb ?? DEFAULT_LIMITS.memoryMb, Limits.checkMemoryMb),
    outputBytes: DEFAULT_LIMITS.outputBytes,
  };
  const prepared = runner && codeChecks.length > 0 ? await runner.prepare(codeChecks, languageId ?? "", limits) : undefined;
  if (prepared && prepared.runnable === 0 && !params.testCommand) {
    throw new ResponseError(
      ErrorCodes.InvalidRequest,
      `None of the checks can run: ${[...prepared.skipped.entries()].map(([index, why]) => `${describeCheck(checks[index])} ${why}`).join("; ")}.`,
    );
  }
  const programOf = (code: string): string => (params.kind === "chat" ? code : params.problem + code);

  // Candidates run side by side (one process each); a workspace's tests, one at a time.
  const programRuns = await inParallel(params.candidates, Math.min(4, availableParallelism()), (candidate) =>
    prepared ? prepared.run(programOf(candidate.code), run.signal) : Promise.resolve<ProgramRun>({ results: [], durationMs: 0 }),
  );
  const results: CandidateCheckResult[] = [];
  for (const [index, candidate] of params.candidates.entries()) {
    const programRun = programRuns[index] ?? { results: [], durationMs: 0 };
    const started = performance.now();
    const test =
      params.testCommand && !run.signal?.aborted ? [await runTestCommand(params.testCommand, programOf(candidate.code), run.signal)] : [];
    const result = verdict(candidate.trajectory, programRun, (prepared?.runnable ?? 0) + test.length, test, performance.now() - started);
    results.push(result);
    run.progress?.(result);
  }

  const groups = groupByBehaviour(results);
  const codeGroups = inTrajectories(
    groupByVote(params.candidates.map((candidate) => normaliseCode(candidate.code, languageId))),
    params.candidates,
  );
  const sandbox = runner ? await runner.sandbox() : { permissionModel: false, runtime: "the system shell" };
  return { checks, candidates: results, groups, ranking: rank(results, groups, codeGroups), sandbox: { ...sandbox, ...limits } };
}

/** A candidate's status: what stopped its program, else its first check that did not pass. */
function verdict(trajectory: number, run: ProgramRun, total: number, test: readonly CheckResult[], testMs: number): CandidateCheckResult {
  const results = [...run.results, ...test];
  const passed = results.filter((result) => result.outcome === "passed").length;
  const firstMiss = results.find((result) => result.outcome !== "passed" && result.outcome !== "skipped");
  const status: CandidateCheckStatus =
    run.failure?.status ??
    (firstMiss?.outcome === "failed" || firstMiss?.outcome === "error" || firstMiss?.outcome === "timeout" ? firstMiss.outcome : "passed");
  return {
    trajectory,
    status,
    passed,
    total,
    results,
    ...(run.failure ? { message: run.failure.message } : {}),
    durationMs: run.durationMs + testMs,
  };
}

/** A check as a message names it: "the example on line 9", "check 2 of the checks box". */
function describeCheck(check: Check | undefined): string {
  if (!check) return "a check";
  const where = check.line === undefined ? "" : ` on line ${check.line}`;
  return check.source === "example" ? `the example${where} (${check.code})` : `the check${where} of the checks box (${check.code})`;
}

/** Whether a parameter that should be a list is one (without narrowing its declared type). */
function isList(value: unknown): boolean {
  return Array.isArray(value);
}

/** Within the range the request's schema allows (the same limits, for callers that skip the schema). */
function clamp(value: number, { min, max }: { readonly min: number; readonly max: number }): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}

/** Maps items with at most `limit` calls in flight, results in order. */
async function inParallel<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index];
      if (item !== undefined) results[index] = await map(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

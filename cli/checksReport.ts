// What `npm start` prints after running the candidates against the problem's checks: every
// candidate ranked (most checks passed, then the larger group of same behaviour), why each one
// that did not pass failed, and the best candidate's code.
import type { CandidateCheckResult, CheckResult, RunChecksResult, SolveResult } from "../common/protocol";
import { printable } from "./progress";
import { shownLines } from "./report";
import type { Style } from "./style";

const STATUS_WORDS: Record<CandidateCheckResult["status"], string> = {
  passed: "passed",
  failed: "failed",
  error: "error",
  timeout: "timed out",
};

export function formatChecks(checks: RunChecksResult, solve: SolveResult, problem: string, style: Style): string {
  const byTrajectory = new Map(checks.candidates.map((result) => [result.trajectory, result]));
  const sources = describeSources(checks);
  const sandbox = checks.sandbox.permissionModel
    ? "Node's permission model: no file writes, no child processes"
    : "no permission model on this runtime";
  const out = [
    `${style.bold("Checks")} ${style.dim(`(${sources}; each candidate in its own process: ${checks.sandbox.runtime}, ${sandbox}, ${checks.sandbox.timeoutMs} ms, ${checks.sandbox.memoryMb} MB)`)}`,
  ];
  const rows = checks.ranking.flatMap((trajectory, index) => {
    const result = byTrajectory.get(trajectory);
    if (!result) return [];
    const group = checks.groups.find((g) => g.members.includes(trajectory));
    const same = group && group.members.length > 1 ? `×${group.members.length}` : "";
    return [
      [index === 0 ? "★" : "", `${index + 1}`, `#${trajectory + 1}`, same, `${result.passed}/${result.total}`, statusLine(result, checks)],
    ];
  });
  const [header = "", ...lines] = leftAligned([["", "rank", "candidate", "same", "checks", "result"], ...rows]);
  out.push(`  ${style.dim(header)}`);
  lines.forEach((line, index) => {
    const status = byTrajectory.get(checks.ranking[index] ?? -1)?.status;
    out.push(`  ${status === "passed" ? style.green(line) : line}`);
  });

  const best = byTrajectory.get(checks.ranking[0] ?? -1);
  const candidate = best && solve.candidates.find((c) => c.trajectory === best.trajectory);
  if (!best || !candidate) return out.join("\n");
  const passing = checks.candidates.filter((result) => result.status === "passed").length;
  out.push("");
  out.push(
    best.status === "passed"
      ? `${style.green(`The best candidate, #${best.trajectory + 1}, passes every check`)} (${passing} of ${checks.candidates.length} candidates do).`
      : `${style.yellow("No candidate passes every check")}; the best, #${best.trajectory + 1}, passes ${best.passed} of ${best.total}.`,
  );
  const promptTail = printable(problem.trimEnd().split("\n").at(-1) ?? "");
  if (promptTail) out.push(style.dim(`  │ ${promptTail}`));
  const { lines: code, more } = shownLines(candidate);
  for (const line of code) out.push(`  │ ${printable(line)}`);
  if (more > 0) out.push(style.dim(`  │ … ${more} more line${more === 1 ? "" : "s"}`));
  return out.join("\n");
}

/** Columns padded to their widest cell, text to the left. */
function leftAligned(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

/** "2 @example lines from the problem's doc comment", "1 check from the checks box", "the test command". */
function describeSources(checks: RunChecksResult): string {
  const count = (source: string): number => checks.checks.filter((check) => check.source === source).length;
  const parts: string[] = [];
  const examples = count("example");
  if (examples > 0) parts.push(`${examples} @example line${examples === 1 ? "" : "s"} from the problem's doc comment`);
  const user = count("user");
  if (user > 0) parts.push(`${user} typed check${user === 1 ? "" : "s"}`);
  if (count("test") > 0) parts.push("the test command");
  return parts.join(", ");
}

/** "passed", or the first check that did not pass: what it gave and what was expected. */
function statusLine(result: CandidateCheckResult, checks: RunChecksResult): string {
  const word = STATUS_WORDS[result.status];
  if (result.status === "passed") return word;
  const index = result.results.findIndex((check) => check.outcome !== "passed" && check.outcome !== "skipped");
  const failing: CheckResult | undefined = result.results[index];
  const check = checks.checks[index];
  if (!failing || !check) return `${word}: ${result.message ?? ""}`;
  const what = printable(check.code.replace(/\s+/g, " "));
  if (failing.outcome === "failed") return `${word}: ${what} gave ${failing.actual ?? "?"}, ${failing.message ?? ""}`;
  return `${word}: ${what}: ${failing.message ?? result.message ?? ""}`;
}

// What `npm start` prints: the model and the problem, then the candidates grouped by vote, the
// solve's statistics and the benchmark rows (plain autoregressive decoding and STAND, same prompt,
// same run); or all of it as one JSON object.
import { basename } from "node:path";
import { alignColumns, BASELINE_METHOD, formatSpeedupRange, noiseVerdict, STAND_METHOD } from "../common/benchmarkTable";
import type { BenchmarkResult, BenchmarkRow, Candidate, ModelInfo, RunChecksResult, SolveResult } from "../common/protocol";
import type { CliOptions } from "./options";
import { printable } from "./progress";
import type { Style } from "./style";

const MAX_GROUPS_SHOWN = 6;
const MAX_LINES = 12;

/** What runs on what: the model, the problem and the settings, then the problem's last lines. */
export function formatIntroduction(options: CliOptions, model: ModelInfo, style: Style): string {
  const source =
    options.problemSource === "bundled"
      ? "the bundled problem, cli/problems/is-string.js.txt"
      : options.problemSource === "argument"
        ? "from the command line"
        : options.problemSource;
  const settings = `N = ${options.trajectories}, T = ${options.temperature}, max ${options.maxTokens} tokens, seed ${options.seed}`;
  return [
    `${style.dim("model")}    ${describeModel(model)}`,
    `${style.dim("problem")}  ${source} ${style.dim(`(${options.kind}${options.languageId ? `, ${options.languageId}` : ""})`)}`,
    `${style.dim("settings")} ${settings}`,
    "",
    ...options.problem
      .replace(/\s+$/, "")
      .split("\n")
      .slice(-16)
      .map((line) => style.dim(`  │ ${line}`)),
    "",
  ].join("\n");
}

function describeModel(model: ModelInfo): string {
  const size = model.sizeBytes >= 1e9 ? `${(model.sizeBytes / 1e9).toFixed(1)} GB` : `${(model.sizeBytes / 1e6).toFixed(1)} MB`;
  const backend = model.backend === "cpu" ? "CPU" : `${model.backend}${model.devices.length ? ` (${model.devices.join(", ")})` : ""}`;
  const threads = `${model.threads} thread${model.threads === 1 ? "" : "s"}`;
  return `${model.name} (${basename(model.path)}, ${size}) on ${backend}, ${threads}, context ${model.contextSize}`;
}

export function formatGroups(result: SolveResult, prompt: string, style: Style): string {
  const total = result.candidates.length;
  const out: string[] = [];
  const agreeing = result.groups[0]?.members.length ?? 0;
  const summary =
    agreeing > 1
      ? `the largest group, ${agreeing} of ${total}, is the majority answer`
      : total > 1
        ? "no two candidates wrote the same code"
        : "one candidate";
  out.push(
    `${style.bold("Candidates by vote")} ${style.dim(`(equal code, ignoring spacing, comments and trailing semicolons, votes together; ${summary})`)}`,
  );
  const promptTail = printable(prompt.trimEnd().split("\n").at(-1) ?? "");
  result.groups.slice(0, MAX_GROUPS_SHOWN).forEach((group, index) => {
    const candidate = result.candidates[group.representative];
    if (!candidate) return;
    const members = group.members.map((member) => `#${member + 1}`).join(" ");
    const agree = group.members.length === 1 ? "1 candidate" : `${group.members.length} of ${total} agree`;
    out.push("");
    out.push(
      `${style.bold(`Group ${index + 1}`)}  ${style.cyan(agree)}  ${style.dim(`(${members}; ${finish(candidate)}; ${candidate.statistics.tokens} tokens)`)}`,
    );
    const { lines, more } = shownLines(candidate);
    if (promptTail) out.push(style.dim(`  │ ${promptTail}`));
    for (const line of lines) out.push(`  │ ${printable(line)}`);
    if (more > 0) out.push(style.dim(`  │ … ${more} more line${more === 1 ? "" : "s"} (--json has every candidate's full text)`));
  });
  if (result.groups.length > MAX_GROUPS_SHOWN)
    out.push("", style.dim(`… and ${result.groups.length - MAX_GROUPS_SHOWN} more groups (--json lists them all)`));
  return out.join("\n");
}

/**
 * The lines of a candidate worth showing: up to the end of the function the problem opened (a
 * line that closes the outermost brace), at most MAX_LINES. The rest is counted, not hidden.
 */
export function shownLines(candidate: Pick<Candidate, "text">): { lines: string[]; more: number } {
  const all = candidate.text.replace(/\s+$/, "").split("\n");
  let end = Math.min(all.length, MAX_LINES);
  const close = all.findIndex((line) => /^\}/.test(line));
  if (close >= 0 && close < end) end = close + 1;
  return { lines: all.slice(0, end), more: all.length - end };
}

function finish(candidate: Candidate): string {
  switch (candidate.finishReason) {
    case "stop":
      return "complete";
    case "length":
      return "stopped at --max-tokens";
    case "cancelled":
      return "cancelled";
  }
}

export interface SolveSummary {
  readonly tokens: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  /** Tokens per target call, per candidate (1 for plain decoding). */
  readonly tokensPerCall: number;
  readonly batchedCalls: number;
  readonly drafted: number;
  readonly accepted: number;
}

export function summarise(result: SolveResult): SolveSummary {
  const tokens = result.candidates.reduce((sum, c) => sum + c.statistics.tokens, 0);
  const calls = result.candidates.reduce((sum, c) => sum + c.statistics.targetCalls, 0);
  const seconds = result.statistics.elapsedMs / 1000;
  return {
    tokens,
    seconds,
    tokensPerSecond: seconds > 0 ? tokens / seconds : 0,
    tokensPerCall: calls > 0 ? tokens / calls : 0,
    batchedCalls: result.statistics.targetCalls,
    drafted: result.statistics.draftedTokens,
    accepted: result.statistics.acceptedDraftTokens,
  };
}

export function formatSolveStatistics(
  result: SolveResult,
  settings: { trajectories: number; temperature: number; seed: number },
  style: Style,
): string {
  const s = summarise(result);
  const acceptance = s.drafted > 0 ? ` (${((100 * s.accepted) / s.drafted).toFixed(0)} %)` : "";
  return [
    `${style.bold("Solve")} ${style.dim(`(STAND, N = ${settings.trajectories}, T = ${settings.temperature}, seed ${settings.seed})`)}`,
    `  ${s.tokens} tokens in ${s.seconds.toFixed(2)} s = ${style.bold(s.tokensPerSecond.toFixed(0))} tok/s · ${s.tokensPerCall.toFixed(2)} tokens per target call per candidate · ${s.batchedCalls} batched calls · drafts: ${s.accepted} of ${s.drafted} accepted${acceptance}`,
    style.dim(
      "  (the solve streams every step to this client and samples with top-k, top-p and min-p; the benchmark below times the decoders alone)",
    ),
  ].join("\n");
}

/** The benchmark rows as a compact table, with the verdict for STAND against plain decoding. */
export function formatBenchmark(
  rows: readonly BenchmarkRow[],
  settings: { maxTokens: number; repetitions: number; backend: string; threads: number },
  style: Style,
): string {
  const first = rows[0];
  if (!first) return "";
  const { trajectories, temperature } = first;
  const header = ["method", "tok/s", "speedup", "spread", "vs baseline", "tokens/call", "drafted/call", "drafter %"];
  const cells = rows.map((row) => [
    row.method,
    row.tokensPerSecond.toFixed(0),
    `${row.speedup.toFixed(2)}×`,
    formatSpeedupRange(row),
    noiseVerdict(row),
    row.tokensPerCall.toFixed(2),
    row.draftedPerTrajectoryPerCall.toFixed(2),
    (100 * row.drafterOverhead).toFixed(1),
  ]);
  const [headerLine = "", ...lines] = alignColumns([header, ...cells]);
  const out = [
    `${style.bold("Benchmark")} ${style.dim(`(same prompt, N = ${trajectories}, T = ${temperature}, ${settings.maxTokens} tokens per candidate, median of ${settings.repetitions} interleaved repetition${settings.repetitions === 1 ? "" : "s"}, ${settings.backend}, ${settings.threads} thread${settings.threads === 1 ? "" : "s"})`)}`,
    `  ${style.dim(headerLine)}`,
    ...lines.map((line, i) => `  ${rows[i]?.method === STAND_METHOD || rows[i]?.method === BASELINE_METHOD ? style.bold(line) : line}`),
  ];
  out.push(verdict(rows, style, settings.backend));
  return out.join("\n");
}

export function verdict(rows: readonly BenchmarkRow[], style: Style, backend = "cpu"): string {
  const baseline = rows.find((row) => row.method === BASELINE_METHOD);
  const stand = rows.find((row) => row.method === STAND_METHOD) ?? rows.find((row) => row.method.startsWith("STAND"));
  if (!baseline || !stand) return style.dim("(the benchmark did not return both plain decoding and STAND)");
  // The table's speedup (the median of the repetitions' paired ratios, not a ratio of the median
  // rates, which can differ), judged as printed, to two decimals.
  const speedup = Number(stand.speedup.toFixed(2));
  // The rates are medians too, taken apart, so their ratio need not be the speedup: say so.
  const rates = `${stand.tokensPerSecond.toFixed(0)} tok/s against ${baseline.tokensPerSecond.toFixed(0)} tok/s for plain batched autoregressive decoding`;
  const numbers = stand.repetitions > 1 ? `median ${rates} (the speedup is the median of each repetition's own ratio)` : rates;
  const why =
    backend === "cpu"
      ? " On a CPU a verified draft token costs nearly as much as a decoded one (the drafted/call column shows how little pays); a GPU makes verification nearly free."
      : " (README: Reading the benchmark.)";
  const measured = `${speedup.toFixed(2)}×${stand.withinNoise === undefined ? "" : `, spread ${formatSpeedupRange(stand)} over ${stand.repetitions} repetitions`}`;
  if (stand.withinNoise === true) return `${style.yellow(`STAND is as fast within noise (${measured})`)} here: ${numbers}.${why}`;
  if (speedup >= 1.05) return `${style.green(`STAND is faster (${measured})`)} here: ${numbers}.`;
  if (speedup > 0.95) return `${style.yellow(`STAND is about as fast (${measured})`)} here: ${numbers}.${why}`;
  return `${style.red(`STAND is slower here (${measured})`)}: ${numbers}.${why}`;
}

/** `--json`: everything the run found, as one object. */
export function jsonReport(
  options: CliOptions,
  model: ModelInfo,
  result: SolveResult,
  checks: RunChecksResult | undefined,
  benchmark: BenchmarkResult | undefined,
  elapsedMs: number,
): string {
  const report = {
    problem: { source: options.problemSource, kind: options.kind, languageId: options.languageId ?? null, text: options.problem },
    settings: {
      model: options.model || null,
      gpu: options.gpu,
      trajectories: options.trajectories,
      temperature: options.temperature,
      maxTokens: options.maxTokens,
      seed: options.seed,
      repetitions: options.repetitions,
    },
    model,
    candidates: result.candidates,
    groups: result.groups,
    statistics: { ...result.statistics, perCandidate: summarise(result) },
    checks: checks ?? null,
    benchmark: benchmark ? { rows: benchmark.rows, table: benchmark.table } : null,
    elapsedMs: Math.round(elapsedMs),
  };
  return JSON.stringify(report, null, 2);
}

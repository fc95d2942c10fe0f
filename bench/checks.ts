// `npm run bench:checks`: what running the candidates buys, on the bundled problems that have
// @example lines (cli/problems/). For each problem and seed it solves with N candidates through the
// real language server, runs every candidate against the examples (stand/runChecks), and counts how
// many pass, how often the top-ranked candidate passes, how often a candidate picked at random
// would, and how often the majority vote's pick (no checks) would. It also checks that the ranking
// puts every passing candidate first (a violation fails the run).
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { checksRequest } from "../common/checks";
import { EMBEDDED_MODEL_NAME } from "../common/product";
import { RunChecksRequest, SolveRequest, type RunChecksResult, type SolveResult } from "../common/protocol";
import { languageOf } from "../cli/options";
import { LanguageServer } from "../cli/server";
import { numberOf } from "./optionNumbers";
import { writeFileAtomically } from "../tools/writeFileAtomically";

const AT_LEAST_ONE = { whole: true, least: 1 };

const ROOT = join(__dirname, "..");
const PROBLEMS = join(ROOT, "cli", "problems");

const HELP = `Usage: npm run bench:checks -- [options]
  --seeds N            solves per problem, seeds 1..N (default: 20)
  -n, --trajectories N candidates per solve (default: 8)
  -t, --temperature T  (default: 0.7)
  --max-tokens N       per candidate (default: 128)
  --problems A,B       bundled problems by name (default: every one with @example lines: ${bundledProblems().join(", ")})
  --out FILE           the JSON (default: bench/results/checks-<model>-<date>.json; "-" for none)`;

function bundledProblems(): string[] {
  return readdirSync(PROBLEMS)
    .filter((file) => file.endsWith(".txt") && readFileSync(join(PROBLEMS, file), "utf8").includes("@example"))
    .map((file) => file.replace(/\.\w+\.txt$/, ""))
    .sort();
}

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "20" },
    trajectories: { type: "string", short: "n", default: "8" },
    temperature: { type: "string", short: "t", default: "0.7" },
    "max-tokens": { type: "string", default: "128" },
    problems: { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

interface SolveRecord {
  readonly seed: number;
  readonly passing: number;
  readonly topRankedPasses: boolean;
  readonly majorityPasses: boolean;
  /** Every passing candidate ranks above every other. */
  readonly passingFirst: boolean;
  readonly statuses: string[];
  readonly ranking: number[];
  readonly tokens: number;
  readonly solveMs: number;
  readonly checksMs: number;
}

interface ProblemSummary {
  readonly problem: string;
  readonly solves: number;
  readonly candidates: number;
  readonly passingCandidates: number;
  readonly solvesWithAPass: number;
  /** Fractions of solves. */
  readonly topRankedPasses: number;
  readonly randomPasses: number;
  readonly majorityPasses: number;
  readonly rankingViolations: number;
  readonly records: SolveRecord[];
}

async function main(): Promise<void> {
  if (values.help) {
    console.log(HELP);
    return;
  }
  const seeds = numberOf(values.seeds, "seeds", AT_LEAST_ONE);
  const trajectories = numberOf(values.trajectories, "trajectories", AT_LEAST_ONE);
  const maxTokens = numberOf(values["max-tokens"], "max-tokens", AT_LEAST_ONE);
  const temperature = Number(values.temperature);
  const problems = values.problems?.split(",").map((name) => name.trim()) ?? bundledProblems();
  const files = problems.map((name) => {
    const file = readdirSync(PROBLEMS).find((candidate) => candidate.replace(/\.\w+\.txt$/, "") === name);
    if (!file) throw new Error(`no bundled problem "${name}" (there are ${bundledProblems().join(", ")})`);
    return join(PROBLEMS, file);
  });

  const server = await LanguageServer.start(join(ROOT, "dist", "language-server.js"), {
    settings: { trajectories, temperature, maxTokens, persistTable: false },
  });
  const summaries: ProblemSummary[] = [];
  let model = "";
  try {
    const status = await server.modelSettled();
    if (status.state !== "ready" || !status.model)
      throw new Error(`the server did not load its model: ${status.error?.message ?? status.state}`);
    model = `${status.model.name} on ${status.model.backend}`;
    for (const file of files) {
      const problem = readFileSync(file, "utf8");
      const solveParams = { problem, kind: "code" as const, languageId: languageOf(file) };
      const records: SolveRecord[] = [];
      for (let seed = 1; seed <= seeds; seed++) {
        const solveStarted = performance.now();
        const solved: SolveResult = await server.request(SolveRequest, {
          ...solveParams,
          trajectories,
          temperature,
          maxTokens,
          seed,
        });
        const checksStarted = performance.now();
        const checked: RunChecksResult = await server.request(RunChecksRequest, checksRequest(solveParams, solved));
        records.push(record(seed, solved, checked, checksStarted - solveStarted, performance.now() - checksStarted));
        process.stderr.write(".");
      }
      process.stderr.write("\n");
      summaries.push(summarise(basename(file).replace(/\.\w+\.txt$/, ""), records, trajectories));
    }
  } finally {
    await server.stop();
  }

  console.log(`Checks on the bundled problems: ${seeds} seeds × N = ${trajectories}, T = ${temperature}, ≤ ${maxTokens} tokens, ${model}`);
  console.log(table(summaries, trajectories));
  const violations = summaries.reduce((sum, summary) => sum + summary.rankingViolations, 0);
  console.log(
    violations === 0
      ? "In every solve the ranking put every passing candidate first."
      : `${violations} solves ranked a failing candidate above a passing one.`,
  );
  if (values.out !== "-") {
    const date = new Date().toISOString();
    const out = values.out ?? join("bench", "results", `checks-${EMBEDDED_MODEL_NAME}-${date.slice(0, 10)}.json`);
    writeFileAtomically(
      out,
      `${JSON.stringify({ date, model, seeds, trajectories, temperature, maxTokens, problems: summaries }, null, 2)}\n`,
    );
    console.log(`wrote ${out}`);
  }
  if (violations > 0) process.exitCode = 1;
}

function record(seed: number, solved: SolveResult, checked: RunChecksResult, solveMs: number, checksMs: number): SolveRecord {
  const passes = new Set(checked.candidates.filter((c) => c.status === "passed").map((c) => c.trajectory));
  const majority = solved.groups[0]?.representative;
  return {
    seed,
    passing: passes.size,
    topRankedPasses: passes.has(checked.ranking[0] ?? -1),
    majorityPasses: majority !== undefined && passes.has(majority),
    passingFirst: checked.ranking.slice(0, passes.size).every((trajectory) => passes.has(trajectory)),
    statuses: checked.candidates.map((c) => c.status),
    ranking: checked.ranking,
    tokens: solved.statistics.tokens,
    solveMs: Math.round(solveMs),
    checksMs: Math.round(checksMs),
  };
}

function summarise(problem: string, records: SolveRecord[], trajectories: number): ProblemSummary {
  const fraction = (count: number): number => count / Math.max(1, records.length);
  return {
    problem,
    solves: records.length,
    candidates: records.length * trajectories,
    passingCandidates: records.reduce((sum, r) => sum + r.passing, 0),
    solvesWithAPass: records.filter((r) => r.passing > 0).length,
    topRankedPasses: fraction(records.filter((r) => r.topRankedPasses).length),
    randomPasses: fraction(records.reduce((sum, r) => sum + r.passing / trajectories, 0)),
    majorityPasses: fraction(records.filter((r) => r.majorityPasses).length),
    rankingViolations: records.filter((r) => !r.passingFirst).length,
    records,
  };
}

function table(summaries: readonly ProblemSummary[], trajectories: number): string {
  const percent = (value: number): string => `${(100 * value).toFixed(0)} %`;
  const all: ProblemSummary = summarise(
    "all",
    summaries.flatMap((s) => s.records),
    trajectories,
  );
  const rows = [...summaries, ...(summaries.length > 1 ? [all] : [])].map((s) => [
    s.problem,
    `${s.passingCandidates}/${s.candidates}`,
    `${s.solvesWithAPass}/${s.solves}`,
    percent(s.topRankedPasses),
    percent(s.randomPasses),
    percent(s.majorityPasses),
    `${s.rankingViolations}`,
  ]);
  const header = [
    "problem",
    "candidates passing",
    "solves with a pass",
    "top-ranked passes",
    "random pick passes",
    "majority vote passes",
    "ranking violations",
  ];
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)));
  return [header, ...rows].map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ")}`.trimEnd()).join("\n");
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

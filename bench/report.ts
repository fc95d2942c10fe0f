// `npm run bench:report -- FILE…`: `npm run bench` result files read back (see bench/resultsReport.ts).
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { serverMethodOn, STAND_METHOD } from "../common/benchmarkTable";
import { parseRun, pooledTable, poolCells, runTable, PARITY, type BenchmarkRun } from "./resultsReport";

const HELP = `Usage: npm run bench:report -- [options] FILE…
  Reads \`npm run bench\` result files (bench/results/*.json). For each run: its cells as a Markdown
  table, STAND adaptive against the fastest other row (every row but STAND's fixed and tree ones).
  STAND adaptive is the row the server decodes with on the run's backend: on a GPU, STAND then
  prompt lookup.
  With two runs or more, also STAND's ratio to the n-gram row and to the fastest other row, the
  n-gram row's to that bar with the two swapped (at T = 0 they are one algorithm: an A/A control),
  and batched AR's to node-llama-cpp's loop, pooled over the runs' cells: median, 10th–90th
  percentile, extremes, and how many cells fall below ${PARITY}. Files that are not benchmark
  results (other scripts' JSON) are named and skipped.
  --since DATE   only runs from DATE on (YYYY-MM-DD, or with a UTC time as the files write it: 2026-12-05T07:40)
  --pooled       only the pooled table`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    since: { type: "string" },
    pooled: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

function main(): void {
  if (values.help || positionals.length === 0) {
    console.log(HELP);
    if (!values.help) process.exitCode = 1;
    return;
  }
  const since = values.since;
  if (since !== undefined && !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?)?$/.test(since))
    throw new Error(`--since takes a date (YYYY-MM-DD, or YYYY-MM-DDTHH:MM in UTC), not "${since}"`);
  const runs: BenchmarkRun[] = [];
  for (const file of positionals) {
    const run = parseRun(basename(file), readFileSync(file, "utf8"));
    if ("error" in run) console.error(`skipped ${file}: ${run.error}`);
    // ISO dates in UTC compare as strings; a date without a time is its day's start.
    else if (since === undefined || run.date >= since) runs.push(run);
  }
  if (runs.length === 0) throw new Error("no benchmark results to report");
  if (!values.pooled) {
    for (const run of runs) {
      const stand = serverMethodOn(run.backend);
      const whichStand = stand === STAND_METHOD ? "" : `, STAND adaptive is the server's row there: "${stand}"`;
      console.log(`${run.name} (${run.date.slice(0, 10)}, ${run.backend}${whichStand})\n\n${runTable(run)}\n`);
    }
  }
  if (runs.length > 1 || values.pooled) {
    console.log(`Pooled over ${runs.length} run${runs.length === 1 ? "" : "s"}: each prompt set of a run is a cell\n`);
    console.log(pooledTable(poolCells(runs)));
  }
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}

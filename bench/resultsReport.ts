// What `npm run bench:report` reads out of `npm run bench` result files: each run's cells as the
// README's table (STAND adaptive, the row the server decodes with on the run's backend, against
// the fastest other row), and STAND's ratios to the other rows pooled over runs, because one run on
// a noisy machine cannot tell a 2 % difference.
import { basename } from "node:path";
import { z } from "zod";
import {
  BASELINE_METHOD,
  competes,
  fastestRow,
  NATIVE_LOOKUP_METHOD,
  NATIVE_LOOP_METHOD,
  NGRAM_METHOD,
  serverMethodOn,
  STAND_THEN_LOOKUP_METHOD,
} from "../common/benchmarkTable";

/** The speed targets' bar: STAND against the fastest other row, and batched AR against node-llama-cpp's loop. */
export const PARITY = 0.98;

/** The fields of a result row the report reads (a result file holds more). */
const ReportedRow = z.object({
  trajectories: z.number().int().positive(),
  temperature: z.number().nonnegative(),
  promptSet: z.string().optional(),
  method: z.string(),
  tokensPerSecond: z.number().nonnegative(),
  speedup: z.number().positive(),
  speedupRange: z.object({ low: z.number(), high: z.number() }),
  draftedPerTrajectoryPerCall: z.number().nonnegative(),
});
export type ReportedRow = z.infer<typeof ReportedRow>;

const ResultFile = z.object({
  date: z.string(),
  backend: z.string(),
  model: z.object({ path: z.string() }),
  rows: z.array(ReportedRow).min(1),
});
export interface BenchmarkRun {
  readonly name: string;
  readonly date: string;
  readonly backend: string;
  /** The model's file name. */
  readonly model: string;
  readonly rows: readonly ReportedRow[];
}

/** A parsed result file, or why it is not one (another script's JSON, or a damaged file). */
export function parseRun(name: string, text: string): BenchmarkRun | { readonly name: string; readonly error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { name, error: `not JSON (${(error as Error).message})` };
  }
  const parsed = ResultFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return { name, error: `not an \`npm run bench\` result (${where}${issue?.message ?? "unexpected shape"})` };
  }
  const { date, backend, model, rows } = parsed.data;
  return { name, date, backend, model: basename(model.path), rows };
}

/** One N, T and prompt set of a run, read for the report. */
export interface CellReading {
  readonly trajectories: number;
  readonly temperature: number;
  readonly promptSet: string | undefined;
  readonly baseline: ReportedRow;
  /** STAND adaptive as the server runs it on the run's backend (serverMethodOn). */
  readonly stand: ReportedRow;
  /** The fastest of the rows that compete (the baseline among them). */
  readonly fastestOther: ReportedRow;
  readonly ngram: ReportedRow | undefined;
  /** What the n-gram row is held to when it swaps places with STAND: the fastest of the other rows, STAND among them, the n-gram row not. */
  readonly fastestBesideNgram: ReportedRow | undefined;
  readonly nativeLoop: ReportedRow | undefined;
}

/** Items by key, in the order each key first comes, each group in the items' order (Node 20 has no Map.groupBy). */
function groupBy<Item>(items: readonly Item[], keyOf: (item: Item) => string): Map<string, Item[]> {
  const groups = new Map<string, Item[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** A run's cells in the order of its rows; a cell without STAND adaptive or the baseline is left out. */
export function readCells(run: BenchmarkRun): CellReading[] {
  const standMethod = serverMethodOn(run.backend);
  const cells = groupBy(run.rows, (row) => JSON.stringify([row.trajectories, row.temperature, row.promptSet ?? null]));
  return [...cells.values()].flatMap((rows) => {
    const named = (method: string): ReportedRow | undefined => rows.find((row) => row.method === method);
    const baseline = named(BASELINE_METHOD);
    const stand = named(standMethod);
    const rivals = rows.filter((row) => competes(row.method, standMethod));
    const fastestOther = fastestRow(rivals);
    if (!baseline || !stand || !fastestOther) return [];
    const { trajectories, temperature, promptSet } = stand;
    return [
      {
        trajectories,
        temperature,
        promptSet,
        baseline,
        stand,
        fastestOther,
        ngram: named(NGRAM_METHOD),
        fastestBesideNgram: fastestRow([...rivals.filter((row) => row.method !== NGRAM_METHOD), stand]),
        nativeLoop: named(NATIVE_LOOP_METHOD),
      },
    ];
  });
}

/** Rows as the README names them. */
function displayName(method: string): string {
  if (method === BASELINE_METHOD) return "batched AR";
  if (method === NATIVE_LOOP_METHOD) return "node-llama-cpp's loop";
  if (method === NATIVE_LOOKUP_METHOD) return "node-llama-cpp's InputLookup";
  if (method === STAND_THEN_LOOKUP_METHOD) return "STAND, then prompt lookup";
  return method;
}

const times = (x: number): string => `${x.toFixed(2)}×`;
const ratio = (x: number): string => x.toFixed(2);

/** Values of a run's prompt sets, "a / b", or one value where the run has one set. */
function perSet(cells: readonly CellReading[], format: (cell: CellReading) => string): string {
  return cells.map(format).join(" / ");
}

/** Greedy cells first, then by N, as the README's tables run. */
function byTemperatureThenN(a: { temperature: number; trajectories: number }, b: { temperature: number; trajectories: number }): number {
  return a.temperature - b.temperature || a.trajectories - b.trajectories;
}

/**
 * A run as the README's Markdown table: a line per N and T, each column "prompt set 1 / prompt
 * set 2" where the run has two.
 */
export function runTable(run: BenchmarkRun): string {
  const byCell = groupBy(readCells(run).sort(byTemperatureThenN), (cell) => `N = ${cell.trajectories}, T = ${cell.temperature}`);
  const header = [
    "| | STAND adaptive | fastest other row | STAND vs it | node-llama-cpp's loop | batched AR tok/s | drafted a call |",
    "|---|---|---|---|---|---|---|",
  ];
  const lines = [...byCell].map(([key, cells]) => {
    const fastestNames = new Set(cells.map((cell) => cell.fastestOther.method));
    // One name where every set's fastest row is the same: "n-gram 1.54× / 1.49×".
    const fastest =
      fastestNames.size === 1
        ? `${displayName(cells[0]?.fastestOther.method ?? "")} ${perSet(cells, (cell) => times(cell.fastestOther.speedup))}`
        : perSet(cells, (cell) => `${displayName(cell.fastestOther.method)} ${times(cell.fastestOther.speedup)}`);
    const columns = [
      key,
      perSet(cells, ({ stand }) => `${times(stand.speedup)} (${stand.speedupRange.low.toFixed(2)}–${stand.speedupRange.high.toFixed(2)})`),
      fastest,
      perSet(cells, (cell) => ratio(cell.stand.speedup / cell.fastestOther.speedup)),
      perSet(cells, (cell) => (cell.nativeLoop ? times(cell.nativeLoop.speedup) : "–")),
      perSet(cells, (cell) => cell.baseline.tokensPerSecond.toFixed(0)),
      perSet(cells, (cell) => cell.stand.draftedPerTrajectoryPerCall.toFixed(2)),
    ];
    return `| ${columns.join(" | ")} |`;
  });
  return [...header, ...lines].join("\n");
}

/** A sample's spread: median, 10th and 90th percentiles, extremes, and how many fall below PARITY. */
export interface Spread {
  readonly count: number;
  readonly median: number;
  readonly p10: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
  readonly belowParity: number;
}

/** The q-quantile of sorted values, interpolated linearly between neighbours. */
export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = sorted[Math.floor(position)];
  const above = sorted[Math.ceil(position)];
  if (below === undefined || above === undefined) return NaN;
  return below + (above - below) * (position - Math.floor(position));
}

export function spreadOf(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    median: quantile(sorted, 0.5),
    p10: quantile(sorted, 0.1),
    p90: quantile(sorted, 0.9),
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    belowParity: sorted.filter((x) => x < PARITY).length,
  };
}

/** The ratios the speed targets are about, pooled over every run's cells of one model, backend, N and T. */
export interface PooledCell {
  readonly model: string;
  readonly backend: string;
  readonly trajectories: number;
  readonly temperature: number;
  /** How many runs had the cell (each prompt set of a run is a cell of its own). */
  readonly runs: number;
  /** STAND adaptive over the n-gram row: at T = 0 one algorithm, so an A/A test of the benchmark. */
  readonly standVsNgram: Spread | undefined;
  readonly standVsFastestOther: Spread | undefined;
  /**
   * The n-gram row against the same bar with the two swapped: at T = 0, where it and STAND are one
   * algorithm, what an equal decoder scores against the fastest of several noisy rows.
   */
  readonly ngramVsFastestBeside: Spread | undefined;
  /** Batched AR over node-llama-cpp's own loop. */
  readonly baselineVsNativeLoop: Spread | undefined;
}

/** Each model and backend pooled apart: a GPU's or another model's cells say nothing about this CPU's. */
export function poolCells(runs: readonly BenchmarkRun[]): PooledCell[] {
  const pooled = new Map<
    string,
    { model: string; backend: string; trajectories: number; temperature: number; runs: Set<string>; cells: CellReading[] }
  >();
  for (const run of runs) {
    const { model, backend } = run;
    for (const cell of readCells(run)) {
      const { trajectories, temperature } = cell;
      const key = JSON.stringify([model, backend, trajectories, temperature]);
      const entry = pooled.get(key) ?? { model, backend, trajectories, temperature, runs: new Set(), cells: [] };
      entry.runs.add(run.name);
      entry.cells.push(cell);
      pooled.set(key, entry);
    }
  }
  return [...pooled.values()]
    .sort((a, b) => a.model.localeCompare(b.model) || a.backend.localeCompare(b.backend) || byTemperatureThenN(a, b))
    .map(({ model, backend, trajectories, temperature, runs: names, cells }) => ({
      model,
      backend,
      trajectories,
      temperature,
      runs: names.size,
      standVsNgram: spreadOf(cells.flatMap((cell) => (cell.ngram ? [cell.stand.speedup / cell.ngram.speedup] : []))),
      standVsFastestOther: spreadOf(cells.map((cell) => cell.stand.speedup / cell.fastestOther.speedup)),
      ngramVsFastestBeside: spreadOf(
        cells.flatMap(({ ngram, fastestBesideNgram }) => (ngram && fastestBesideNgram ? [ngram.speedup / fastestBesideNgram.speedup] : [])),
      ),
      baselineVsNativeLoop: spreadOf(cells.flatMap((cell) => (cell.nativeLoop ? [1 / cell.nativeLoop.speedup] : []))),
    }));
}

function formatSpread(spread: Spread | undefined): string {
  if (!spread) return "–";
  const { median, p10, p90, min, max, belowParity, count } = spread;
  return `${ratio(median)} (${ratio(p10)}–${ratio(p90)}; ${ratio(min)}–${ratio(max)}; ${belowParity} of ${count})`;
}

/** The pooled ratios as a Markdown table: a line per N and T, each ratio as its median (10th–90th percentile; extremes; cells below PARITY). */
export function pooledTable(cells: readonly PooledCell[]): string {
  const header = [
    `Each ratio: median (10th–90th percentile; extremes; cells below ${PARITY}) over the cells.`,
    "",
    "| | runs | STAND vs n-gram | STAND vs fastest other row | n-gram vs fastest other row, STAND in its place | batched AR vs node-llama-cpp's loop |",
    "|---|---|---|---|---|---|",
  ];
  // The model and backend in each line only where the runs pooled have more than one.
  const setups = new Set(cells.map((cell) => `${cell.model} ${cell.backend}`)).size;
  const lines = cells.map(
    (cell) =>
      `| N = ${cell.trajectories}, T = ${cell.temperature}${setups > 1 ? `, ${cell.model}, ${cell.backend}` : ""} | ${cell.runs} | ${formatSpread(cell.standVsNgram)} | ` +
      `${formatSpread(cell.standVsFastestOther)} | ${formatSpread(cell.ngramVsFastestBeside)} | ${formatSpread(cell.baselineVsNativeLoop)} |`,
  );
  return [...header, ...lines].join("\n");
}

// The benchmark's rows as plain-text tables. `npm run bench` logs them, the server's
// stand/benchmark answer carries them (the panel shows it), and `npm start` prints its own
// columns in the same layout.
import type { BenchmarkRow } from "./protocol";

/** The method every speedup is measured against. */
export const BASELINE_METHOD = "autoregressive (batched)";
/** node-llama-cpp's own generation loop, and the same with its InputLookup token predictor. */
export const NATIVE_LOOP_METHOD = "node-llama-cpp plain";
export const NATIVE_LOOKUP_METHOD = "node-llama-cpp InputLookup";
/** Classic n-gram drafting from STAND's table: the table's most likely tokens, under the same budget as STAND adaptive. */
export const NGRAM_METHOD = "n-gram";
/** STAND's sampled chain of 4, drafted every step: the ablation without a budget. */
export const FIXED_CHAIN_METHOD = "STAND chain, fixed 4";
/** STAND adaptive with every step padded to one width (`--step-widths`), named by the prefix and the width. */
export const STEP_WIDTH_METHOD_PREFIX = "STAND adaptive, width ";
/** The method the server's solves use on a CPU: step by step, STAND's adaptive chain or plain steps, whichever measures faster. */
export const STAND_METHOD = "STAND chain, adaptive";
/** The same with prompt lookup where the table has nothing after the context: the server's drafter on a GPU backend. */
export const STAND_THEN_LOOKUP_METHOD = "STAND, then prompt lookup, adaptive";
/** Draft trees, each branch on a context sequence of its own: the server's choice between plain steps, chain and tree, and the whole tree every step. */
export const TREE_ADAPTIVE_METHOD = "STAND tree, adaptive";
export const TREE_FIXED_METHOD = "STAND tree, fixed";

/**
 * The row of what the server decodes with on a backend (`cpu`, `cuda`, `vulkan`, `metal`): STAND's
 * table alone on a CPU, and with prompt lookup where the table has nothing on a GPU, as
 * language-server/src/decoding.ts's drafterFor chooses (the benchmark builds the two rows with it).
 */
export function serverMethodOn(backend: string): string {
  return backend === "cpu" ? STAND_METHOD : STAND_THEN_LOOKUP_METHOD;
}
/**
 * Whether a row is a decoder a user could run instead of STAND adaptive (`stand`, the server's row
 * on the backend): not that row, not STAND's ablations (the fixed chain, steps padded to a width)
 * and not the trees. STAND's other adaptive row competes: the server could have drafted with it.
 */
export function competes(method: string, stand: string): boolean {
  return (
    method !== stand &&
    method !== FIXED_CHAIN_METHOD &&
    method !== TREE_ADAPTIVE_METHOD &&
    method !== TREE_FIXED_METHOD &&
    !method.startsWith(STEP_WIDTH_METHOD_PREFIX)
  );
}
/** The row with the highest speedup (the first of equals), or undefined for none. */
export function fastestRow<Row extends Pick<BenchmarkRow, "speedup">>(rows: readonly Row[]): Row | undefined {
  return rows.reduce<Row | undefined>(
    (fastest, row) => (fastest === undefined || row.speedup > fastest.speedup ? row : fastest),
    undefined,
  );
}

/** Rows of cells in columns two spaces apart: the first column left-aligned, the others right-aligned. */
export function alignColumns(lines: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const line of lines) {
    line.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, cell.length);
    });
  }
  return lines.map((line) =>
    line.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join("  "),
  );
}

/** The speedup's spread over repetitions, as printed: "0.97–1.08". */
export function formatSpeedupRange(row: Pick<BenchmarkRow, "speedupRange">): string {
  return `${row.speedupRange.low.toFixed(2)}–${row.speedupRange.high.toFixed(2)}`;
}

/** What the spread says about the speedup: within noise, faster, slower, or nothing with one repetition. */
export function noiseVerdict(row: Pick<BenchmarkRow, "withinNoise" | "speedup" | "method">): string {
  if (row.method === BASELINE_METHOD) return "baseline";
  if (row.withinNoise === undefined) return "1 repetition";
  if (row.withinNoise) return "within noise";
  return row.speedup > 1 ? "faster" : "slower";
}

/**
 * The methods of one N and temperature. A bound below the speedup is marked with a number and
 * explained under the table (it is no limit then).
 */
export function formatMethodTable(rows: readonly Omit<BenchmarkRow, "trajectories" | "temperature" | "promptSet" | "costCurve">[]): string {
  const header = ["method", "tok/s", "speedup", "spread", "vs baseline", "bound", "tokens/call", "drafted/call", "drafter %"];
  const notes: string[] = [];
  const lines = rows.map((row) => {
    let bound = `${row.bound.toFixed(2)}×`;
    if (row.boundNote !== undefined) {
      notes.push(`[${notes.length + 1}] ${row.method}: bound below the speedup: ${row.boundNote}`);
      bound += ` [${notes.length}]`;
    }
    return [
      row.method,
      row.tokensPerSecond.toFixed(0),
      `${row.speedup.toFixed(2)}×`,
      formatSpeedupRange(row),
      noiseVerdict(row),
      bound,
      row.tokensPerCall.toFixed(2),
      row.draftedPerTrajectoryPerCall.toFixed(2),
      (100 * row.drafterOverhead).toFixed(1),
    ];
  });
  const counters = rows.flatMap(({ method, predictions }) =>
    predictions
      ? [
          `${method}, its own counters (sequence.tokenPredictions): ${predictions.validated} validated, ${predictions.refuted} refuted, ${predictions.used} used`,
        ]
      : [],
  );
  return [...alignColumns([header, ...lines]), ...notes, ...counters].join("\n");
}

/** Every N and temperature of a run, each table under its own heading, in the order of the rows. */
export function formatBenchmarkTables(rows: readonly BenchmarkRow[]): string {
  const groups = new Map<string, BenchmarkRow[]>();
  for (const row of rows) {
    const heading = `N = ${row.trajectories}, T = ${row.temperature}${row.promptSet === undefined ? "" : `, ${row.promptSet}`}`;
    groups.set(heading, [...(groups.get(heading) ?? []), row]);
  }
  return [...groups].map(([heading, group]) => `${heading}\n${formatMethodTable(group)}`).join("\n\n");
}

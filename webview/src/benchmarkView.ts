// The benchmark's result: one sentence that says what it found (and whether the difference is
// larger than the run's own noise), the speedup chart with each ratio's spread, and a table whose
// columns are explained (in their headers' tooltips and in a key under it) and never wrap: a
// narrow side bar scrolls the table sideways instead.
import type { BenchmarkState } from "../../common/panel";
import { BASELINE_METHOD, competes, fastestRow, formatSpeedupRange, noiseVerdict, serverMethodOn } from "../../common/benchmarkTable";
import type { BenchmarkResult, BenchmarkRow } from "../../common/protocol";
import { speedupChart } from "./charts";
import { h, setAttribute } from "./dom";
import { formatRate, formatSpeedup } from "./format";
import { progressRing } from "./ring";

interface Column {
  readonly title: string;
  readonly explanation: string;
  readonly cell: (row: BenchmarkRow) => string;
}

const COLUMNS: readonly Column[] = [
  { title: "method", explanation: "How the tokens were decoded.", cell: (row) => row.method },
  {
    title: "tok/s",
    explanation: "Tokens per second over all candidates together.",
    cell: (row) => formatRate(row.tokensPerSecond),
  },
  {
    title: "speedup",
    explanation: "Against plain batched decoding of the same candidates, measured in the same run.",
    cell: (row) => formatSpeedup(row.speedup),
  },
  {
    title: "spread",
    explanation:
      "The lowest and highest of the repetitions' own speedups (each repetition times the method and plain decoding back to back). Within noise: the spread reaches 1×, so this run cannot tell the two apart.",
    cell: spreadText,
  },
  {
    title: "bound",
    explanation:
      "The speedup the measured draft acceptance allows at what the method's model calls cost in these runs; the gap to the speedup is what drafting, verification and learning cost outside the model.",
    cell: (row) => `${formatSpeedup(row.bound)}${row.boundNote ? " *" : ""}`,
  },
  {
    title: "tok/call",
    explanation: "Tokens each candidate gains per model call: 1 for plain decoding, more when drafts are accepted.",
    cell: (row) => formatRate(row.tokensPerCall),
  },
  {
    title: "drafter %",
    explanation: "Share of the time spent drafting and learning, outside the model.",
    cell: (row) => `${(100 * row.drafterOverhead).toFixed(1)}%`,
  },
];

/** "0.97–1.12, within noise" (the spread and what it says); "–" for the baseline. */
function spreadText(row: BenchmarkRow): string {
  const verdict = noiseVerdict(row);
  if (row.method === BASELINE_METHOD) return "–";
  if (row.withinNoise === undefined) return verdict;
  return `${formatSpeedupRange(row)}, ${verdict}`;
}

/**
 * What the benchmark found: STAND as the server decodes on this backend against plain decoding, at
 * the benchmark's N and T, and against the fastest method a user could run instead; each with
 * whether the run can tell them apart.
 */
function headline(result: BenchmarkResult): string {
  const { rows } = result;
  const stand =
    rows.find((row) => row.method === serverMethodOn(result.backend ?? "cpu")) ?? rows.find((row) => row.method.startsWith("STAND"));
  if (!stand) return "";
  const candidates = `${String(stand.trajectories)} candidate${stand.trajectories === 1 ? "" : "s"} at T = ${String(stand.temperature)}`;
  const runs = `${String(stand.repetitions)} interleaved runs`;
  const direction = stand.speedup >= 1 ? "faster than" : "slower than";
  const verdict =
    stand.withinNoise === undefined
      ? `${direction} plain decoding in a single run, which has no spread to judge by`
      : stand.withinNoise
        ? `within noise of plain decoding (its speedup ranged ${formatSpeedupRange(stand)} over ${runs})`
        : `${direction} plain decoding in each of ${runs} (${formatSpeedupRange(stand)})`;
  return `${stand.method}: ${formatSpeedup(stand.speedup)}, ${verdict}; ${candidates}, on this machine and model.${againstTheRest(stand, rows)}`;
}

/**
 * STAND against the fastest of the other methods (plain decoding aside) of its N and T: " The
 * fastest other method, …" or " The fastest method here was …", with whether their spreads
 * overlap (then this run cannot tell them apart); "" where there is none.
 */
function againstTheRest(stand: BenchmarkRow, rows: readonly BenchmarkRow[]): string {
  const rivals = rows.filter(
    (row) =>
      row.method !== BASELINE_METHOD &&
      competes(row.method, stand.method) &&
      row.trajectories === stand.trajectories &&
      row.temperature === stand.temperature,
  );
  const fastest = fastestRow(rivals);
  if (!fastest) return "";
  const speed = `${fastest.method}, ${formatSpeedup(fastest.speedup)}`;
  const ahead = stand.speedup >= fastest.speedup;
  // One repetition has no spread to judge by.
  if (stand.repetitions < 2) return ahead ? ` The fastest other method: ${speed}.` : ` The fastest method here was ${speed}.`;
  const overlap = stand.speedupRange.low <= fastest.speedupRange.high && fastest.speedupRange.low <= stand.speedupRange.high;
  if (ahead) return ` The fastest other method, ${speed}, ${overlap ? "was within this run's noise of it" : "was slower in every run"}.`;
  return ` The fastest method here was ${speed}: ${overlap ? "within this run's noise of STAND" : "faster than STAND in every run"}.`;
}

/** Why a bound is below its speedup (then it is no limit), under the table. */
function boundNotes(rows: readonly BenchmarkRow[]): HTMLElement | undefined {
  const noted = rows.filter((row) => row.boundNote);
  if (noted.length === 0) return undefined;
  return h(
    "ul",
    { class: "benchmark-notes" },
    ...noted.map((row) => h("li", {}, `* ${row.method}: bound ${formatSpeedup(row.bound)} below its speedup: ${row.boundNote ?? ""}`)),
  );
}

function table(rows: readonly BenchmarkRow[]): HTMLElement {
  const several = new Set(rows.map((row) => `${row.trajectories}/${row.temperature}`)).size > 1;
  const columns: readonly Column[] = several
    ? [
        ...COLUMNS.slice(0, 1),
        { title: "N, T", explanation: "Candidates and temperature.", cell: (row) => `${row.trajectories}, ${row.temperature}` },
        ...COLUMNS.slice(1),
      ]
    : COLUMNS;
  return h(
    "div",
    { class: "table-scroll", tabindex: 0, role: "region", "aria-label": "Benchmark table" },
    h(
      "table",
      { class: "benchmark-table" },
      h("thead", {}, h("tr", {}, ...columns.map((column) => h("th", { scope: "col", title: column.explanation }, column.title)))),
      h(
        "tbody",
        {},
        ...rows.map((row) =>
          h(
            "tr",
            { class: row.method.startsWith("STAND") ? "stand" : undefined, "data-verdict": noiseVerdict(row) },
            ...columns.map((column, index) => (index === 0 ? h("th", { scope: "row" }, column.cell(row)) : h("td", {}, column.cell(row)))),
          ),
        ),
      ),
    ),
  );
}

function key(): HTMLElement {
  return h(
    "dl",
    { class: "benchmark-key" },
    ...COLUMNS.slice(1).flatMap((column) => [h("dt", {}, column.title), h("dd", {}, column.explanation)]),
  );
}

export class BenchmarkView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private rendered?: BenchmarkState;

  constructor() {
    this.body = h("div", { class: "section-body" });
    this.element = h("vscode-collapsible", { id: "benchmark", class: "benchmark-section", heading: "Benchmark", open: true }, this.body);
  }

  update(benchmark: BenchmarkState): void {
    if (benchmark === this.rendered) return;
    const started = benchmark.phase !== this.rendered?.phase;
    this.rendered = benchmark;
    setAttribute(this.element, "data-phase", benchmark.phase);
    setAttribute(this.element, "description", benchmark.phase === "running" ? "running…" : benchmark.phase === "failed" ? "failed" : "");
    setAttribute(this.element, "open", true);
    const parts: (HTMLElement | SVGElement)[] = [];
    if (benchmark.phase === "running") {
      parts.push(h("p", { class: "busy" }, progressRing(), "Comparing STAND with plain decoding on this machine…"));
    }
    if (benchmark.phase === "failed") {
      parts.push(
        h(
          "p",
          { class: "error" },
          h("span", { class: "codicon codicon-error", "aria-hidden": "true" }),
          ` ${benchmark.error ?? "The benchmark failed."}`,
        ),
      );
    }
    const result = benchmark.result;
    if (result && result.rows.length > 0) {
      const summary = headline(result);
      if (summary) parts.push(h("p", { class: "benchmark-headline" }, summary));
      parts.push(
        h(
          "figure",
          { class: "chart-figure" },
          speedupChart(result.rows),
          h(
            "figcaption",
            {},
            "Speedup against plain decoding (bar), its spread over the repetitions (whisker) and the bound the measured acceptance allows on this machine (tick).",
          ),
        ),
        table(result.rows),
      );
      const notes = boundNotes(result.rows);
      if (notes) parts.push(notes);
      parts.push(key());
    } else if (result) {
      parts.push(h("p", { class: "muted" }, "The benchmark returned no rows."));
    }
    this.body.replaceChildren(...parts);
    // A benchmark that starts or ends is what the user is waiting for: bring it into view.
    if (started) this.element.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
}

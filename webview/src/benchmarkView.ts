// The benchmark's result: one sentence that says what it found, the speedup chart, and a table
// whose columns are explained (in their headers' tooltips and in a key under it) and never wrap:
// a narrow side bar scrolls the table sideways instead.
import type { BenchmarkState } from "../../common/panel";
import type { BenchmarkRow } from "../../common/protocol";
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
    title: "bound",
    explanation:
      "The speedup the measured draft acceptance allows at what a model call with drafts costs on this machine; the gap to the speedup is overhead.",
    cell: (row) => formatSpeedup(row.bound),
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

/** One sentence: STAND (adaptive) against plain decoding, at the benchmark's N and T. */
function headline(rows: readonly BenchmarkRow[]): string {
  const stand = rows.find((row) => /STAND.*adaptive/i.test(row.method)) ?? rows.find((row) => row.method.startsWith("STAND"));
  if (!stand) return "";
  const verdict = stand.speedup >= 1 ? "faster than" : "slower than";
  return `${stand.method}: ${formatSpeedup(stand.speedup)} plain decoding (${verdict}) with ${stand.trajectories} candidate${stand.trajectories === 1 ? "" : "s"} at T = ${stand.temperature}, on this machine and model.`;
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
            { class: row.method.startsWith("STAND") ? "stand" : undefined },
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
      const summary = headline(result.rows);
      if (summary) parts.push(h("p", { class: "benchmark-headline" }, summary));
      parts.push(
        h(
          "figure",
          { class: "chart-figure" },
          speedupChart(result.rows),
          h(
            "figcaption",
            {},
            "Speedup against plain decoding (bar) and the bound the measured acceptance allows on this machine (tick, ≤).",
          ),
        ),
        table(result.rows),
        key(),
      );
    } else if (result) {
      parts.push(h("p", { class: "muted" }, "The benchmark returned no rows."));
    }
    this.body.replaceChildren(...parts);
    // A benchmark that starts or ends is what the user is waiting for: bring it into view.
    if (started) this.element.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
}

// Aggregate statistics of a solve (totals, the acceptance-length histogram, throughput over time)
// and the benchmark's speedup against plain decoding.
import type { BenchmarkState, SolveState } from "../../common/panel";
import { histogramChart, speedupChart, throughputChart } from "./charts";
import { h, replaceChildren, setAttribute, setText } from "./dom";
import { formatDuration, formatPercent, formatRate, plural } from "./format";
import { progressRing } from "./ring";

export class SolveStatsView {
  readonly element: HTMLElement;
  private readonly totals: HTMLElement;
  private readonly histogram: HTMLElement;
  private readonly throughput: HTMLElement;
  private renderedThroughput?: SolveState["throughput"];
  private renderedStatistics?: SolveState["statistics"] | null = null;

  constructor() {
    this.totals = h("p", { class: "solve-stats" });
    this.histogram = h("figure", { class: "chart-figure", hidden: true });
    this.throughput = h("figure", { class: "chart-figure" });
    this.element = h(
      "vscode-collapsible",
      { class: "stats-section", heading: "Statistics", open: true },
      h("div", { class: "section-body" }, this.totals, this.throughput, this.histogram),
    );
  }

  update(solve: SolveState): void {
    if (solve.throughput !== this.renderedThroughput) {
      this.renderedThroughput = solve.throughput;
      replaceChildren(
        this.throughput,
        throughputChart(solve.throughput),
        h("figcaption", {}, "All candidates' tokens since the solve started."),
      );
    }
    if (solve.statistics !== this.renderedStatistics) {
      this.renderedStatistics = solve.statistics;
      const histogram = solve.statistics?.histogram ?? [];
      if (histogram.length > 0) {
        replaceChildren(
          this.histogram,
          histogramChart(histogram),
          h("figcaption", {}, "Steps by how many draft tokens verification accepted (0: the model's own token only)."),
        );
      }
      setAttribute(this.histogram, "hidden", histogram.length === 0);
    }
    setText(this.totals, totalsText(solve));
    setAttribute(this.element, "description", solve.statistics ? `${formatRate(solve.statistics.tokensPerSecond)} tok/s` : "");
  }
}

function totalsText(solve: SolveState): string {
  const statistics = solve.statistics;
  if (statistics) {
    const accepted =
      statistics.draftedTokens > 0
        ? ` · ${statistics.acceptedDraftTokens} of ${statistics.draftedTokens} draft tokens accepted (${formatPercent(statistics.acceptedDraftTokens, statistics.draftedTokens)})`
        : " · no drafts";
    return `${plural(statistics.tokens, "token")} in ${formatDuration(statistics.elapsedMs)} · ${formatRate(statistics.tokensPerSecond)} tok/s · ${formatRate(statistics.tokensPerCall)} tokens per model call (all candidates)${accepted}`;
  }
  const last = solve.throughput[solve.throughput.length - 1];
  if (!last) return solve.phase === "running" ? "Waiting for the first tokens…" : "No tokens.";
  return `${plural(last.tokens, "token")} in ${formatDuration(last.elapsedMs)} · ${formatRate(last.elapsedMs > 0 ? (1000 * last.tokens) / last.elapsedMs : 0)} tok/s`;
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
    this.rendered = benchmark;
    setAttribute(this.element, "data-phase", benchmark.phase);
    setAttribute(this.element, "description", benchmark.phase === "running" ? "running…" : benchmark.phase === "failed" ? "failed" : "");
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
        h("details", { class: "benchmark-table" }, h("summary", {}, "Table"), h("pre", { class: "code-like" }, result.table)),
      );
    } else if (result) {
      parts.push(h("p", { class: "muted" }, "The benchmark returned no rows."));
    }
    this.body.replaceChildren(...parts);
  }
}

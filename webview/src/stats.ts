// Aggregate statistics of a solve: totals, the acceptance-length histogram, throughput over time.
import { tokensPerStep, type SolveState } from "../../common/panel";
import { histogramChart, throughputChart } from "./charts";
import { h, replaceChildren, setAttribute, setText } from "./dom";
import { formatDuration, formatPercent, formatRate, plural } from "./format";

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

/** The solve's totals, in the cards' own measures (tokens per step is per candidate, as on each card). */
function totalsText(solve: SolveState): string {
  const statistics = solve.statistics;
  const perStep = tokensPerStep(solve.cards.map((card) => card.statistics));
  if (statistics) {
    const accepted =
      statistics.draftedTokens > 0
        ? ` · ${statistics.acceptedDraftTokens} of ${statistics.draftedTokens} draft tokens accepted (${formatPercent(statistics.acceptedDraftTokens, statistics.draftedTokens)})`
        : " · no drafts";
    return `${plural(statistics.tokens, "token")} in ${formatDuration(statistics.elapsedMs)} · ${formatRate(statistics.tokensPerSecond)} tok/s · ${formatRate(perStep)} tokens per step per candidate · ${plural(statistics.targetCalls, "batched model call")}${accepted}`;
  }
  const last = solve.throughput[solve.throughput.length - 1];
  if (!last) return solve.phase === "running" ? "Waiting for the first tokens…" : "No tokens.";
  return `${plural(last.tokens, "token")} in ${formatDuration(last.elapsedMs)} · ${formatRate(last.elapsedMs > 0 ? (1000 * last.tokens) / last.elapsedMs : 0)} tok/s · ${formatRate(perStep)} tokens per step per candidate`;
}

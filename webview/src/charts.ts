// Small inline SVG charts, built with DOM calls and styled by class (no chart library, no inline
// styles). Each is an image with a text alternative that states its numbers.
import type { ThroughputSample } from "../../common/panel";
import { formatSpeedupRange, noiseVerdict } from "../../common/benchmarkTable";
import type { BenchmarkRow } from "../../common/protocol";
import { s } from "./dom";
import { formatCount, formatDuration, formatRate, formatSpeedup } from "./format";

const WIDTH = 300;

function chart(kind: string, height: number, label: string): SVGSVGElement {
  return s(
    "svg",
    {
      class: `chart ${kind}`,
      viewBox: `0 0 ${WIDTH} ${height}`,
      width: WIDTH,
      height,
      role: "img",
      "aria-label": label,
      preserveAspectRatio: "xMinYMin meet",
    },
    s("title", {}, label),
  );
}

/** A round upper bound for an axis: 1, 2, 5 × 10^k. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/** `histogram[k]`: how many steps accepted k draft tokens. */
export function histogramChart(histogram: readonly number[]): SVGSVGElement {
  const steps = histogram.reduce((sum, count) => sum + count, 0);
  const mean = steps > 0 ? histogram.reduce((sum, count, accepted) => sum + accepted * count, 0) / steps : 0;
  const describe = (count: number, accepted: number): string =>
    `${accepted} accepted: ${formatCount(count)} ${count === 1 ? "step" : "steps"}`;
  const parts = histogram.map(describe);
  const label = `Accepted draft tokens per step, over ${formatCount(steps)} steps (mean ${formatRate(mean)}): ${parts.join("; ")}.`;
  const height = 120;
  const svg = chart("chart-histogram", height, label);
  const top = 16;
  const bottom = height - 20;
  const left = 8;
  const slot = (WIDTH - 2 * left) / Math.max(1, histogram.length);
  const max = Math.max(1, ...histogram);
  svg.append(s("line", { class: "axis", x1: left, x2: WIDTH - left, y1: bottom + 0.5, y2: bottom + 0.5 }));
  histogram.forEach((count, accepted) => {
    const barHeight = count > 0 ? Math.max(1, ((bottom - top) * count) / max) : 0;
    const x = left + accepted * slot + slot * 0.15;
    const width = slot * 0.7;
    const group = s("g", { class: accepted === 0 ? "bar-group no-draft" : "bar-group" });
    group.append(
      s(
        "rect",
        { class: "bar", x: x.toFixed(1), y: (bottom - barHeight).toFixed(1), width: width.toFixed(1), height: barHeight.toFixed(1), rx: 1 },
        s("title", {}, describe(count, accepted)),
      ),
      s(
        "text",
        { class: "value", x: (x + width / 2).toFixed(1), y: (bottom - barHeight - 4).toFixed(1), "text-anchor": "middle" },
        formatCount(count),
      ),
      s("text", { class: "tick", x: (x + width / 2).toFixed(1), y: height - 6, "text-anchor": "middle" }, String(accepted)),
    );
    svg.append(group);
  });
  return svg;
}

/** All candidates' tokens so far against the time since the solve started. */
export function throughputChart(samples: readonly ThroughputSample[]): SVGSVGElement {
  const last = samples[samples.length - 1];
  const elapsed = last?.elapsedMs ?? 0;
  const tokens = last?.tokens ?? 0;
  const rate = elapsed > 0 ? (1000 * tokens) / elapsed : 0;
  const label = last
    ? `Throughput: ${formatCount(tokens)} tokens in ${formatDuration(elapsed)}, ${formatRate(rate)} tokens per second over all candidates (${samples.length} samples).`
    : "Throughput: no tokens yet.";
  const height = 120;
  const svg = chart("chart-throughput", height, label);
  const left = 36;
  const right = WIDTH - 8;
  const top = 10;
  const bottom = height - 20;
  const maxTokens = niceMax(tokens);
  const maxMs = Math.max(1, elapsed);
  const x = (ms: number): string => (left + ((right - left) * ms) / maxMs).toFixed(1);
  const y = (count: number): string => (bottom - ((bottom - top) * count) / maxTokens).toFixed(1);
  svg.append(
    s("line", { class: "axis", x1: left - 0.5, x2: left - 0.5, y1: top, y2: bottom }),
    s("line", { class: "axis", x1: left, x2: right, y1: bottom + 0.5, y2: bottom + 0.5 }),
    s("line", { class: "gridline", x1: left, x2: right, y1: top + 0.5, y2: top + 0.5 }),
    s("text", { class: "tick", x: left - 4, y: top + 4, "text-anchor": "end" }, formatCount(maxTokens)),
    s("text", { class: "tick", x: left - 4, y: bottom, "text-anchor": "end" }, "0"),
    s("text", { class: "tick", x: left, y: height - 6, "text-anchor": "start" }, "0"),
    s("text", { class: "tick", x: right, y: height - 6, "text-anchor": "end" }, formatDuration(elapsed)),
    s("text", { class: "tick axis-title", x: (left + right) / 2, y: height - 6, "text-anchor": "middle" }, "tokens over time"),
  );
  if (samples.length > 0) {
    const points = [`${x(0)},${y(0)}`, ...samples.map((sample) => `${x(sample.elapsedMs)},${y(sample.tokens)}`)];
    svg.append(
      s("polygon", { class: "area", points: [...points, `${x(elapsed)},${y(0)}`].join(" ") }),
      s("polyline", { class: "line", points: points.join(" ") }),
      s("circle", { class: "point", cx: x(elapsed), cy: y(tokens), r: 2.5 }),
    );
  }
  return svg;
}

/** Speedup of each method against plain (batched autoregressive) decoding, with its bound. */
export function speedupChart(rows: readonly BenchmarkRow[]): SVGSVGElement {
  const describe = (row: BenchmarkRow): string =>
    `${row.method} at N = ${row.trajectories}, T = ${row.temperature}: ${formatSpeedup(row.speedup)}` +
    (row.withinNoise === undefined ? "" : ` (${formatSpeedupRange(row)}, ${noiseVerdict(row)})`) +
    `, bound ${formatSpeedup(row.bound)}`;
  const described = rows.map(describe);
  const label = `Speedup against plain decoding: ${described.join("; ")}.`;
  const rowHeight = 30;
  const top = 6;
  const height = top + rows.length * rowHeight + 18;
  const svg = chart("chart-speedup", height, label);
  const left = 8;
  const right = WIDTH - 90;
  const max = Math.max(1.5, ...rows.map((row) => Math.max(row.speedup, row.bound, row.speedupRange.high))) * 1.05;
  const x = (value: number): number => left + ((right - left) * value) / max;
  const bottom = top + rows.length * rowHeight;
  rows.forEach((row, index) => {
    const y = top + index * rowHeight;
    const stand = row.method.startsWith("STAND");
    const group = s(
      "g",
      { class: stand ? "row stand" : "row", "data-method": row.method },
      s("title", {}, describe(row)),
      s(
        "text",
        { class: "method", x: left, y: y + 10 },
        `${row.method}${rows.some((other) => other.trajectories !== row.trajectories || other.temperature !== row.temperature) ? ` (N ${row.trajectories}, T ${row.temperature})` : ""}`,
      ),
      s("rect", { class: "bar", x: left, y: y + 14, width: Math.max(1, x(row.speedup) - left).toFixed(1), height: 10, rx: 1 }),
      // The spread over the repetitions: a whisker from the lowest to the highest paired ratio.
      row.withinNoise === undefined
        ? undefined
        : s("line", {
            class: row.withinNoise ? "spread within-noise" : "spread",
            x1: x(row.speedupRange.low).toFixed(1),
            x2: x(row.speedupRange.high).toFixed(1),
            y1: y + 19,
            y2: y + 19,
          }),
      s("line", { class: "bound", x1: x(row.bound).toFixed(1), x2: x(row.bound).toFixed(1), y1: y + 12, y2: y + 26 }),
      s(
        "text",
        { class: "value", x: right + 6, y: y + 23 },
        formatSpeedup(row.speedup),
        s("tspan", { class: "bound-text" }, ` ${row.bound >= row.speedup ? "≤" : "bound"} ${formatSpeedup(row.bound)}`),
      ),
    );
    svg.append(group);
  });
  const one = x(1);
  svg.append(
    s("line", { class: "reference", x1: one.toFixed(1), x2: one.toFixed(1), y1: top, y2: bottom }),
    s("text", { class: "tick", x: one.toFixed(1), y: bottom + 12, "text-anchor": "middle" }, "1× plain"),
  );
  return svg;
}

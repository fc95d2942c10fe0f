// `npm start`'s text layout: lines cut to the terminal's width by what the terminal shows, and the
// benchmark's aligned columns.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { alignColumns, BASELINE_METHOD, formatBenchmarkTables, formatMethodTable } from "../../../common/benchmarkTable";
import type { BenchmarkRow } from "../../../common/protocol";
import { fit, stripAnsi } from "../../../cli/progress";
import { makeStyle } from "../../../cli/style";
import { benchmarkRow } from "../../support/benchmarkRow";

const plain = makeStyle(false, false);
const colour = makeStyle(true, true);

describe("fit", () => {
  test("leaves a line that fits, and cuts a longer one to the width with an ellipsis", () => {
    assert.equal(fit("abcdef", 10, plain), "abcdef");
    assert.equal(fit("abcdefghijkl", 10, plain), "abcdefgh…");
  });

  test("counts what the terminal shows: escape codes are free, a letter with a combining accent is one character", () => {
    const accented = "e\u0301".repeat(12);
    assert.equal(stripAnsi(fit(accented, 10, plain)), `${"e\u0301".repeat(8)}…`);
    const styled = colour.bold("abcdefgh");
    assert.equal(fit(styled, 10, colour), styled, "eight visible characters fit in ten columns");
    assert.equal(stripAnsi(fit(colour.bold("abcdefghijkl"), 10, colour)), "abcdefgh…");
  });
});

describe("benchmark tables", () => {
  test("alignColumns pads the first column on the right and the others on the left, two spaces apart", () => {
    assert.deepEqual(
      alignColumns([
        ["method", "tok/s"],
        ["a", "12"],
        ["longer", "3"],
      ]),
      ["method  tok/s", "a          12", "longer      3"],
    );
  });

  const row = (trajectories: number, temperature: number, method: string, overrides: Partial<BenchmarkRow> = {}): BenchmarkRow =>
    benchmarkRow(method, { trajectories, temperature, ...overrides });

  test("formatBenchmarkTables gives each N and temperature its own heading and table, in the rows' order", () => {
    const text = formatBenchmarkTables([row(4, 0, "a"), row(4, 0.7, "a"), row(4, 0, "b")]);
    const [first, second] = text.split("\n\n");
    assert.match(
      first ?? "",
      /^N = 4, T = 0\nmethod +tok\/s +speedup +spread +vs baseline +bound +tokens\/call +drafted\/call +drafter %\na +100 +1\.00× +0\.96–1\.04 +within noise +1\.50× +2\.00 +1\.00 +5\.0\nb /,
    );
    assert.match(second ?? "", /^N = 4, T = 0\.7\nmethod .*\na +100 /);
    assert.equal(text.split("\n\n").length, 2);
  });

  test("every speedup is printed with its spread and what the spread says; a bound below the speedup is marked and explained", () => {
    const text = formatMethodTable([
      row(1, 0, BASELINE_METHOD, { speedupRange: { low: 1, high: 1 }, withinNoise: undefined, bound: 1 }),
      row(1, 0, "fast", { speedup: 1.3, speedupRange: { low: 1.2, high: 1.4 }, withinNoise: false, bound: 1.6 }),
      row(1, 0, "noisy", { speedup: 1.41, speedupRange: { low: 0.9, high: 1.5 }, bound: 0.95, boundNote: "within the spread" }),
      row(1, 0, "once", { speedup: 0.8, speedupRange: { low: 0.8, high: 0.8 }, repetitions: 1, withinNoise: undefined, bound: 0.9 }),
    ]);
    const lines = text.split("\n");
    assert.match(lines[1] ?? "", /^autoregressive \(batched\) +100 +1\.00× +1\.00–1\.00 +baseline +1\.00× /);
    assert.match(lines[2] ?? "", /^fast +100 +1\.30× +1\.20–1\.40 +faster +1\.60× /);
    assert.match(lines[3] ?? "", /^noisy +100 +1\.41× +0\.90–1\.50 +within noise +0\.95× \[1\] /);
    assert.match(lines[4] ?? "", /^once +100 +0\.80× +0\.80–0\.80 +1 repetition +0\.90× /);
    assert.equal(lines[5], "[1] noisy: bound below the speedup: within the spread");
    assert.equal(lines.length, 6);
  });
});

// `npm start`'s text layout: lines cut to the terminal's width by what the terminal shows, and the
// benchmark's aligned columns.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { alignColumns, formatBenchmarkTables } from "../../../common/benchmarkTable";
import type { BenchmarkRow } from "../../../common/protocol";
import { fit, stripAnsi } from "../../../cli/progress";
import { makeStyle } from "../../../cli/style";

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

  test("formatBenchmarkTables gives each N and temperature its own heading and table, in the rows' order", () => {
    const row = (trajectories: number, temperature: number, method: string): BenchmarkRow => ({
      trajectories,
      temperature,
      method,
      tokensPerSecond: 100,
      speedup: 1,
      bound: 1.5,
      tokensPerCall: 2,
      draftedPerTrajectoryPerCall: 1,
      drafterOverhead: 0.05,
      costCurve: { 0: 1 },
    });
    const text = formatBenchmarkTables([row(4, 0, "a"), row(4, 0.7, "a"), row(4, 0, "b")]);
    const [first, second] = text.split("\n\n");
    assert.match(
      first ?? "",
      /^N = 4, T = 0\nmethod +tok\/s +speedup +bound +tokens\/call +drafted\/call +drafter %\na +100 +1\.00× +1\.50× +2\.00 +1\.00 +5\.0\nb /,
    );
    assert.match(second ?? "", /^N = 4, T = 0\.7\nmethod .*\na +100 /);
    assert.equal(text.split("\n\n").length, 2);
  });
});

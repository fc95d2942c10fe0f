import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { verdict } from "../../../cli/report";
import { makeStyle } from "../../../cli/style";
import { BASELINE_METHOD, STAND_METHOD } from "../../../common/benchmarkTable";
import type { BenchmarkRow } from "../../../common/protocol";
import { benchmarkRow } from "../../support/benchmarkRow";

/** A row with no noise verdict unless one is given: the verdict line then names no spread. */
const row = (method: string, overrides: Partial<BenchmarkRow>): BenchmarkRow =>
  benchmarkRow(method, { temperature: 0.7, speedupRange: { low: 1, high: 1 }, withinNoise: undefined, ...overrides });

describe("the benchmark's verdict line", () => {
  test("states the speedup the table prints (the median paired ratio), not a ratio of the median rates", () => {
    // A seen run: the median rates were 951 and 990 tok/s (0.96×), the repetitions' paired ratios had median 0.92×.
    const baseline = row(BASELINE_METHOD, { tokensPerSecond: 990 });
    const rows = [
      baseline,
      row(STAND_METHOD, { tokensPerSecond: 951, speedup: 0.92, speedupRange: { low: 0.88, high: 1.26 }, withinNoise: true }),
    ];
    const line = verdict(rows, makeStyle(false, false));
    assert.match(
      line,
      /^STAND is as fast within noise \(0\.92×, spread 0\.88–1\.26 over 3 repetitions\) here: median 951 tok\/s against 990 tok\/s for plain batched autoregressive decoding \(the speedup is the median of each repetition's own ratio\)/,
    );
    const slower = verdict([baseline, row(STAND_METHOD, { tokensPerSecond: 960, speedup: 0.9 })], makeStyle(false, false));
    assert.match(slower, /^STAND is slower here \(0\.90×\)/, "judged on the row's speedup, though the rates differ by 3 %");
    const once = verdict([baseline, row(STAND_METHOD, { tokensPerSecond: 960, speedup: 0.9, repetitions: 1 })], makeStyle(false, false));
    assert.match(
      once,
      /: 960 tok\/s against 990 tok\/s for plain batched autoregressive decoding\./,
      "one repetition: its rates are not medians",
    );
  });
});

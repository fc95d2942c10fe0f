// `npm run bench:report`: which rows STAND is held to, the README's table of one run, and the
// ratios pooled over runs with the A/A control (the n-gram row swapped in for STAND).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BASELINE_METHOD,
  competes,
  FIXED_CHAIN_METHOD,
  NATIVE_LOOKUP_METHOD,
  NATIVE_LOOP_METHOD,
  NGRAM_METHOD,
  STAND_METHOD,
  STAND_THEN_LOOKUP_METHOD,
  STEP_WIDTH_METHOD_PREFIX,
  TREE_ADAPTIVE_METHOD,
  TREE_FIXED_METHOD,
} from "../../common/benchmarkTable";
import type { BenchmarkRow } from "../../common/protocol";
import { parseRun, poolCells, pooledTable, quantile, readCells, runTable, spreadOf, type BenchmarkRun } from "../../bench/resultsReport";
import { benchmarkRow } from "../support/benchmarkRow";
import { defined } from "../support/defined";

/** One cell's rows: each method at its speedup, at N = `trajectories`, T = `temperature`, on `promptSet`. */
function cell(speedups: Record<string, number>, at: Partial<BenchmarkRow> = {}): BenchmarkRow[] {
  return Object.entries(speedups).map(([method, speedup]) =>
    benchmarkRow(method, { trajectories: 1, temperature: 0, speedup, speedupRange: { low: speedup - 0.05, high: speedup + 0.05 }, ...at }),
  );
}

const run = (name: string, rows: BenchmarkRow[], backend = "cpu", model = "stand-code-mini.gguf"): BenchmarkRun => ({
  name,
  date: "2026-12-06T00:00:00.000Z",
  backend,
  model,
  rows,
});

describe("bench:report", () => {
  test("STAND is held to the decoders a user could run instead, not to its own ablations or the trees", () => {
    for (const method of [
      BASELINE_METHOD,
      NATIVE_LOOP_METHOD,
      NATIVE_LOOKUP_METHOD,
      NGRAM_METHOD,
      "prompt lookup",
      STAND_THEN_LOOKUP_METHOD,
    ])
      assert.ok(competes(method, STAND_METHOD), method);
    for (const method of [STAND_METHOD, FIXED_CHAIN_METHOD, TREE_ADAPTIVE_METHOD, TREE_FIXED_METHOD, `${STEP_WIDTH_METHOD_PREFIX}4`])
      assert.ok(!competes(method, STAND_METHOD), method);

    const [reading] = readCells(
      run(
        "r",
        cell({ [BASELINE_METHOD]: 1, [STAND_METHOD]: 1.3, [NGRAM_METHOD]: 1.2, [FIXED_CHAIN_METHOD]: 1.5, [TREE_ADAPTIVE_METHOD]: 1.6 }),
      ),
    );
    const { stand, fastestOther, fastestBesideNgram } = defined(reading, "the cell");
    assert.equal(stand.method, STAND_METHOD);
    assert.equal(fastestOther.method, NGRAM_METHOD, "the fixed chain and the tree are faster here, but are not other decoders");
    assert.equal(
      defined(fastestBesideNgram, "the swapped bar").method,
      STAND_METHOD,
      "swapped: the n-gram row is held to STAND and the rest",
    );
  });

  test("on a GPU backend STAND adaptive is the server's row there, STAND then prompt lookup, and STAND's table alone competes", () => {
    const rows = cell({ [BASELINE_METHOD]: 1, [STAND_METHOD]: 1.9, [STAND_THEN_LOOKUP_METHOD]: 2.4, ["prompt lookup"]: 2.3 });
    const [onGpu] = readCells(run("r", rows, "cuda"));
    assert.equal(defined(onGpu, "the cell").stand.method, STAND_THEN_LOOKUP_METHOD);
    assert.equal(defined(onGpu, "the cell").fastestOther.method, "prompt lookup");
    const [onCpu] = readCells(run("r", rows));
    assert.equal(defined(onCpu, "the cell").stand.method, STAND_METHOD);
    assert.equal(defined(onCpu, "the cell").fastestOther.method, STAND_THEN_LOOKUP_METHOD);
  });

  test("a cell without STAND adaptive or the baseline is left out; the baseline alone competes when nothing else does", () => {
    assert.deepEqual(readCells(run("r", cell({ [BASELINE_METHOD]: 1, [NGRAM_METHOD]: 1.2 }))), []);
    assert.deepEqual(readCells(run("r", cell({ [STAND_METHOD]: 1.2, [NGRAM_METHOD]: 1.2 }))), []);
    const [reading] = readCells(run("r", cell({ [BASELINE_METHOD]: 1, [STAND_METHOD]: 0.9 })));
    assert.equal(defined(reading, "the cell").fastestOther.method, BASELINE_METHOD);
  });

  test("one run as the README's table: greedy lines first, prompt sets side by side, one name where both sets agree", () => {
    const sets = ["a.jsonl", "b.jsonl"];
    const rows = [
      // T = 0.7 first in the file: the table still starts with T = 0.
      ...sets.flatMap((promptSet, i) =>
        cell(
          { [BASELINE_METHOD]: 1, [STAND_METHOD]: 1.02, [NATIVE_LOOP_METHOD]: 0.96, [i === 0 ? "prompt lookup" : NGRAM_METHOD]: 1.04 },
          { temperature: 0.7, promptSet },
        ),
      ),
      ...sets.flatMap((promptSet) =>
        cell(
          { [BASELINE_METHOD]: 1, [STAND_METHOD]: 1.4, [NGRAM_METHOD]: 1.5, [STAND_THEN_LOOKUP_METHOD]: 1.3 },
          { promptSet, tokensPerSecond: 1750 },
        ),
      ),
    ];
    const lines = runTable(run("r", rows)).split("\n");
    assert.equal(lines.length, 4);
    assert.equal(
      lines[2],
      "| N = 1, T = 0 | 1.40× (1.35–1.45) / 1.40× (1.35–1.45) | n-gram 1.50× / 1.50× | 0.93 / 0.93 | – / – | 1750 / 1750 | 1.00 / 1.00 |",
    );
    assert.equal(
      lines[3],
      "| N = 1, T = 0.7 | 1.02× (0.97–1.07) / 1.02× (0.97–1.07) | prompt lookup 1.04× / n-gram 1.04× | 0.98 / 0.98 | 0.96× / 0.96× | 100 / 100 | 1.00 / 1.00 |",
    );
  });

  test("spreads: interpolated percentiles, extremes and the cells below parity", () => {
    assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
    assert.ok(Math.abs(quantile([1, 2, 3, 4, 5], 0.1) - 1.4) < 1e-12);
    assert.ok(Math.abs(quantile([1, 2, 3, 4, 5], 0.9) - 4.6) < 1e-12);
    const spread = defined(spreadOf([1.02, 0.9, 0.97, 1.1]), "the spread");
    assert.equal(spread.count, 4);
    assert.ok(Math.abs(spread.median - 0.995) < 1e-12);
    assert.equal(spread.min, 0.9);
    assert.equal(spread.max, 1.1);
    assert.equal(spread.belowParity, 2, "0.90 and 0.97 are below 0.98");
    assert.equal(spreadOf([]), undefined);
  });

  test("pooled over runs: STAND against the n-gram row and the fastest other row, the swapped control, batched AR against node-llama-cpp's loop", () => {
    const runs = [
      run("one", [
        ...cell({ [BASELINE_METHOD]: 1, [STAND_METHOD]: 1.4, [NGRAM_METHOD]: 1.5, [NATIVE_LOOP_METHOD]: 1.02 }, { promptSet: "a" }),
        ...cell({ [BASELINE_METHOD]: 1, [STAND_METHOD]: 1.5, [NGRAM_METHOD]: 1.4, [NATIVE_LOOP_METHOD]: 0.98 }, { promptSet: "b" }),
      ]),
      run("two", [
        ...cell({ [BASELINE_METHOD]: 1, [STAND_METHOD]: 1.2, [NGRAM_METHOD]: 1.2, [NATIVE_LOOP_METHOD]: 1 }),
        ...cell({ [BASELINE_METHOD]: 1, [STAND_METHOD]: 1.1, [NGRAM_METHOD]: 1, [NATIVE_LOOP_METHOD]: 1 }, { trajectories: 4 }),
      ]),
    ];
    // Another model on a GPU: pooled apart, and each line then says which.
    const apart = poolCells([
      ...runs,
      run("gpu", cell({ [BASELINE_METHOD]: 1, [STAND_THEN_LOOKUP_METHOD]: 2.4, [NGRAM_METHOD]: 1.9 }), "cuda", "twin.gguf"),
    ]);
    assert.deepEqual(
      apart.map((pooled) => [pooled.model, pooled.backend, pooled.trajectories, pooled.runs]),
      [
        ["stand-code-mini.gguf", "cpu", 1, 2],
        ["stand-code-mini.gguf", "cpu", 4, 1],
        ["twin.gguf", "cuda", 1, 1],
      ],
    );
    assert.match(pooledTable(apart), /^\| N = 1, T = 0, twin\.gguf, cuda \| 1 \| 1\.26 /m);
    const [first, second] = poolCells(runs);
    const n1 = defined(first, "N = 1");
    const n4 = defined(second, "N = 4");
    assert.equal(n1.runs, 2);
    const standVsNgram = defined(n1.standVsNgram, "STAND vs n-gram");
    assert.equal(standVsNgram.count, 3, "each prompt set of a run is a cell");
    assert.ok(Math.abs(standVsNgram.median - 1) < 1e-12, "1.4/1.5, 1.5/1.4, 1.2/1.2");
    assert.equal(n1.standVsFastestOther?.belowParity, 1, "1.4 against the n-gram row's 1.5");
    assert.equal(n1.ngramVsFastestBeside?.belowParity, 1, "swapped: 1.4 against STAND's 1.5");
    assert.ok(Math.abs((n1.baselineVsNativeLoop?.min ?? NaN) - 1 / 1.02) < 1e-12);
    assert.equal(n4.trajectories, 4);
    assert.equal(n4.runs, 1);
    assert.match(pooledTable(poolCells(runs)), /\| N = 4, T = 0 \| 1 \| 1\.10 \(1\.10–1\.10; 1\.10–1\.10; 0 of 1\) \|/);
  });

  test("a file that is not a benchmark result is named as such, not read as one", () => {
    /** Why parseRun refused the text (failing the test where it read it as a run). */
    const refusal = (text: string): string => {
      const parsed = parseRun("x.json", text);
      assert.ok("error" in parsed, "read as a run");
      return parsed.error;
    };
    assert.match(refusal("{"), /^not JSON/);
    assert.match(refusal(JSON.stringify({ date: "2026-12-06", points: [] })), /^not an `npm run bench` result/);
    const rows = cell({ [BASELINE_METHOD]: 1, [STAND_METHOD]: 1.2 });
    const file = { date: "2026-12-06T00:00:00Z", command: "npm run bench", backend: "cpu", model: { path: "models/m.gguf" }, rows };
    assert.match(
      refusal(JSON.stringify({ ...file, rows: [{ ...rows[0], speedup: "fast" }] })),
      /\(rows\.0\.speedup: /,
      "the refusal says where",
    );
    assert.match(refusal(JSON.stringify({ ...file, backend: undefined })), /\(backend: /);
    const parsed = parseRun("r.json", JSON.stringify(file));
    assert.ok(!("error" in parsed), "a run refused");
    assert.equal(parsed.model, "m.gguf");
    assert.deepEqual(
      parsed.rows.map((row) => row.method),
      [BASELINE_METHOD, STAND_METHOD],
    );
  });
});

import type { BenchmarkRow } from "../../common/protocol";

/** A benchmark table row for formatting tests: a method within noise of plain decoding unless overridden. */
export function benchmarkRow(method: string, overrides: Partial<BenchmarkRow> = {}): BenchmarkRow {
  return {
    trajectories: 4,
    temperature: 0,
    method,
    tokensPerSecond: 100,
    speedup: 1,
    speedupRange: { low: 0.96, high: 1.04 },
    repetitions: 3,
    withinNoise: true,
    bound: 1.5,
    tokensPerCall: 2,
    draftedPerTrajectoryPerCall: 1,
    drafterOverhead: 0.05,
    costCurve: { 0: 1 },
    ...overrides,
  };
}

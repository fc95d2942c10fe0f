// From the benchmark's timed runs to its rows: medians over the interleaved repetitions, each
// speedup with its spread (the repetitions' own paired ratios), whether it is within noise, and
// the bound with the reason when it is below the speedup. Pure, so the rules are unit-tested.
import type { BenchmarkRow, SpeedupRange, TokenPredictions } from "../../../common/protocol";

/** One method decoding one prompt once. */
export interface Run {
  readonly tokens: number;
  readonly seconds: number;
  /** Target calls per trajectory (for node-llama-cpp's own loops: estimated from its prediction counters). */
  readonly callsPerTrajectory: number;
  readonly draftedPerCall: number;
  readonly drafterSeconds: number;
  /**
   * Our loop's calls by the draft tokens each trajectory evaluated in them (the longest draft where
   * the batch is padded to it): callsByDraft.get(k) calls with k. The bound prices each call on the
   * cost curve; with the mean draft alone it would price a run of plain calls and 8-token drafts
   * as a run of 2-token drafts, which the curve makes cheaper on a CPU. Absent for node-llama-cpp's loops.
   */
  readonly callsByDraft?: ReadonlyMap<number, number>;
  /** node-llama-cpp's own prediction counters for this run, where the method has them. */
  readonly predictions?: TokenPredictions;
}

export interface MethodRuns {
  readonly method: string;
  /** Decodes with a loop other than ours (node-llama-cpp's), whose per-call cost the bound does not price. */
  readonly ownLoop: boolean;
  /** runs[repetition][prompt] */
  readonly runs: readonly (readonly Run[])[];
}

export type SummaryRow = Omit<BenchmarkRow, "trajectories" | "temperature" | "promptSet" | "costCurve">;

interface Repetition {
  readonly tokensPerSecond: number;
  readonly tokensPerCall: number;
  readonly draftedPerCall: number;
  /** A call's mean cost on the curve, relative to a plain call. */
  readonly callCost: number;
  readonly overhead: number;
}

function repetitionOf(runs: readonly Run[], trajectories: number, curve: Readonly<Record<number, number>>): Repetition {
  const sum = (value: (run: Run) => number): number => runs.reduce((total, run) => total + value(run), 0);
  const seconds = sum((run) => run.seconds);
  const calls = sum((run) => run.callsPerTrajectory);
  const draftedPerCall = sum((run) => run.draftedPerCall * run.callsPerTrajectory) / calls;
  return {
    tokensPerSecond: sum((run) => run.tokens) / seconds,
    tokensPerCall: sum((run) => run.tokens) / trajectories / calls,
    draftedPerCall,
    callCost: meanCallCost(runs, curve) ?? costAt(curve, draftedPerCall),
    overhead: sum((run) => run.drafterSeconds) / seconds,
  };
}

/** Each call priced by its own draft on the curve, averaged; undefined unless every run counted its calls. */
function meanCallCost(runs: readonly Run[], curve: Readonly<Record<number, number>>): number | undefined {
  let calls = 0;
  let cost = 0;
  for (const { callsByDraft } of runs) {
    if (!callsByDraft) return undefined;
    for (const [draftTokens, count] of callsByDraft) {
      calls += count;
      cost += count * costAt(curve, draftTokens);
    }
  }
  return calls > 0 ? cost / calls : undefined;
}

/** Every method's row; the first method is the baseline every speedup is measured against. */
export function summariseMethods(
  methods: readonly MethodRuns[],
  trajectories: number,
  curve: Readonly<Record<number, number>>,
): SummaryRow[] {
  const [baseline] = methods;
  if (!baseline) return [];
  const baselineSpeeds = baseline.runs.map((runs) => repetitionOf(runs, trajectories, curve).tokensPerSecond);
  const baselineSpeed = median(baselineSpeeds);
  // A call that samples a stop token commits nothing, so even plain decoding has A a little below 1:
  // the bound counts tokens per call relative to it.
  const baselineTokensPerCall = median(baseline.runs.map((runs) => repetitionOf(runs, trajectories, curve).tokensPerCall));
  return methods.map((method) => {
    const repetitions = method.runs.map((runs) => repetitionOf(runs, trajectories, curve));
    const tokensPerSecond = median(repetitions.map((r) => r.tokensPerSecond));
    const tokensPerCall = median(repetitions.map((r) => r.tokensPerCall));
    const draftedPerCall = median(repetitions.map((r) => r.draftedPerCall));
    const callCost = median(repetitions.map((r) => r.callCost));
    const ratios = repetitions.map((r, i) => r.tokensPerSecond / (baselineSpeeds[i] ?? baselineSpeed));
    // The median of the paired ratios: a change of the machine's load between repetitions slows both sides of a pair.
    const speedup = method === baseline ? 1 : median(ratios);
    const speedupRange = method === baseline ? { low: 1, high: 1 } : { low: Math.min(...ratios), high: Math.max(...ratios) };
    const bound = tokensPerCall / (baselineTokensPerCall > 0 ? baselineTokensPerCall : 1) / callCost;
    const withinNoise = method === baseline || ratios.length < 2 ? undefined : speedupRange.low <= 1 && speedupRange.high >= 1;
    const boundNote = boundBelowSpeedup(bound, speedup, speedupRange, method.ownLoop);
    const predictions = totalPredictions(method.runs.flat());
    return {
      method: method.method,
      tokensPerSecond,
      speedup,
      speedupRange,
      repetitions: repetitions.length,
      ...(withinNoise === undefined ? {} : { withinNoise }),
      bound,
      ...(boundNote === undefined ? {} : { boundNote }),
      tokensPerCall,
      draftedPerTrajectoryPerCall: draftedPerCall,
      drafterOverhead: median(repetitions.map((r) => r.overhead)),
      ...(predictions ? { predictions } : {}),
    };
  });
}

/** The runs' prediction counters added up, or undefined when no run has them. */
function totalPredictions(runs: readonly Run[]): TokenPredictions | undefined {
  const counted = runs.flatMap((run) => (run.predictions ? [run.predictions] : []));
  if (counted.length === 0) return undefined;
  const sum = (value: (predictions: TokenPredictions) => number): number => counted.reduce((total, p) => total + value(p), 0);
  return { used: sum((p) => p.used), unused: sum((p) => p.unused), validated: sum((p) => p.validated), refuted: sum((p) => p.refuted) };
}

/**
 * Why a bound (judged as printed, to two decimals) is below the speedup, or undefined when it is
 * not. The bound prices each call of our loop with a cost curve measured before the temperature's runs.
 */
export function boundBelowSpeedup(bound: number, speedup: number, range: SpeedupRange, ownLoop: boolean): string | undefined {
  const printed = (value: number): number => Number(value.toFixed(2));
  if (printed(bound) >= printed(speedup)) return undefined;
  if (ownLoop) return "node-llama-cpp's own loop: the bound prices our loop's calls, not its";
  if (printed(bound) >= printed(range.low)) return "within the speedup's spread over repetitions (noise)";
  return "calls cost less during the runs than in the cost curve measured before them (the machine's load changed)";
}

/** Relative cost of a call with `k` draft tokens per trajectory, interpolated from the curve. */
export function costAt(curve: Readonly<Record<number, number>>, k: number): number {
  const points = Object.keys(curve)
    .map(Number)
    .sort((a, b) => a - b)
    .map((x) => ({ x, y: curve[x] ?? 1 }));
  if (k <= 0 || points.length < 2) return 1;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (a && b && k <= b.x) return a.y + ((b.y - a.y) * (k - a.x)) / (b.x - a.x);
  }
  const [a, b] = points.slice(-2);
  if (!a || !b) return 1;
  return b.y + ((b.y - a.y) * (k - b.x)) / (b.x - a.x);
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2) return sorted[middle] ?? NaN;
  return ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

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
   * Our loop's model calls (one batched target call each) and the seconds spent inside them, as
   * the decoder timed them in the run itself (DecodeStatistics); absent for node-llama-cpp's loops, whose calls we cannot see. The
   * bound prices a run by them: at the load, shapes and compute-graph rebuilds of the run.
   */
  readonly modelCalls?: ModelCalls;
  /** node-llama-cpp's own prediction counters for this run, where the method has them. */
  readonly predictions?: TokenPredictions;
}

export interface ModelCalls {
  readonly count: number;
  readonly seconds: number;
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
  readonly tokens: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  readonly tokensPerCall: number;
  readonly draftedPerCall: number;
  /** The repetition's model calls, where every run timed them. */
  readonly modelCalls: ModelCalls | undefined;
  readonly overhead: number;
}

function repetitionOf(runs: readonly Run[], trajectories: number): Repetition {
  const sum = (value: (run: Run) => number): number => runs.reduce((total, run) => total + value(run), 0);
  const tokens = sum((run) => run.tokens);
  const seconds = sum((run) => run.seconds);
  const calls = sum((run) => run.callsPerTrajectory);
  const timed = runs.every((run) => run.modelCalls !== undefined);
  return {
    tokens,
    seconds,
    tokensPerSecond: tokens / seconds,
    tokensPerCall: tokens / trajectories / calls,
    draftedPerCall: sum((run) => run.draftedPerCall * run.callsPerTrajectory) / calls,
    modelCalls: timed
      ? { count: sum((run) => run.modelCalls?.count ?? 0), seconds: sum((run) => run.modelCalls?.seconds ?? 0) }
      : undefined,
    overhead: sum((run) => run.drafterSeconds) / seconds,
  };
}

/**
 * The speedup a repetition would have had if each of its steps cost its model call plus what the
 * baseline spent between its own calls (planning, sampling, statistics: what every method of our
 * loop pays): its acceptance at its measured call costs. The gap to the speedup is what drafting,
 * verification and learning cost outside the model. Undefined unless both timed their calls.
 */
function timedBound(repetition: Repetition, baseline: Repetition): number | undefined {
  const own = repetition.modelCalls;
  const base = baseline.modelCalls;
  if (!own || !base || base.count === 0) return undefined;
  const baselineBetweenCalls = Math.max(0, baseline.seconds - base.seconds) / base.count;
  const priced = own.seconds + own.count * baselineBetweenCalls;
  return repetition.tokens / priced / baseline.tokensPerSecond;
}

/** Every method's row; the first method is the baseline every speedup is measured against. */
export function summariseMethods(
  methods: readonly MethodRuns[],
  trajectories: number,
  curve: Readonly<Record<number, number>>,
): SummaryRow[] {
  const [baseline] = methods;
  if (!baseline) return [];
  const baselineRepetitions = baseline.runs.map((runs) => repetitionOf(runs, trajectories));
  const baselineSpeeds = baselineRepetitions.map((r) => r.tokensPerSecond);
  const baselineSpeed = median(baselineSpeeds);
  // A call that samples a stop token commits nothing, so even plain decoding has A a little below 1:
  // the curve's bound counts tokens per call relative to it.
  const baselineTokensPerCall = median(baselineRepetitions.map((r) => r.tokensPerCall));
  return methods.map((method) => {
    const repetitions = method.runs.map((runs) => repetitionOf(runs, trajectories));
    const tokensPerSecond = median(repetitions.map((r) => r.tokensPerSecond));
    const tokensPerCall = median(repetitions.map((r) => r.tokensPerCall));
    const draftedPerCall = median(repetitions.map((r) => r.draftedPerCall));
    const ratios = repetitions.map((r, i) => r.tokensPerSecond / (baselineSpeeds[i] ?? baselineSpeed));
    // The median of the paired ratios: a change of the machine's load between repetitions slows both sides of a pair.
    const speedup = method === baseline ? 1 : median(ratios);
    const speedupRange = method === baseline ? { low: 1, high: 1 } : { low: Math.min(...ratios), high: Math.max(...ratios) };
    const timedBounds = repetitions.flatMap((r, i) => {
      const paired = baselineRepetitions[i];
      const timedOne = paired && timedBound(r, paired);
      return timedOne === undefined ? [] : [timedOne];
    });
    // Every repetition timed, or the curve for all of them.
    const timed = timedBounds.length > 0 && timedBounds.length === repetitions.length;
    const bound = timed
      ? median(timedBounds)
      : tokensPerCall / (baselineTokensPerCall > 0 ? baselineTokensPerCall : 1) / costAt(curve, draftedPerCall);
    const withinNoise = method === baseline || ratios.length < 2 ? undefined : speedupRange.low <= 1 && speedupRange.high >= 1;
    const boundNote = boundBelowSpeedup(bound, speedup, speedupRange, method.ownLoop ? "own loop" : timed ? "timed calls" : "cost curve");
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
 * How a row's bound priced its calls: by the run's own timings of them (our loop), or at its mean
 * draft on the cost curve measured before the temperature's runs (node-llama-cpp's loops, whose
 * calls we cannot see, and runs that did not time theirs).
 */
export type BoundPricing = "timed calls" | "own loop" | "cost curve";

/** Why a bound (judged as printed, to two decimals) is below the speedup, or undefined when it is not. */
export function boundBelowSpeedup(bound: number, speedup: number, range: SpeedupRange, pricing: BoundPricing): string | undefined {
  const printed = (value: number): number => Number(value.toFixed(2));
  if (printed(bound) >= printed(speedup)) return undefined;
  if (pricing === "own loop") return "node-llama-cpp's own loop: the bound prices our loop's calls, not its";
  if (printed(bound) >= printed(range.low)) return "within the speedup's spread over repetitions (noise)";
  if (pricing === "timed calls")
    return "its steps spent less time between model calls than batched AR's, which the bound charges each of them";
  return "calls cost less during the runs than on the cost curve measured before them";
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

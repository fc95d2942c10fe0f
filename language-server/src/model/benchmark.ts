// The benchmark behind `npm run bench` and the server's stand/benchmark: STAND against every
// model-free baseline on the same model, machine and prompts, in one run. Repetitions are
// interleaved (each repetition runs every method on every prompt) and medians are reported.
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import {
  Decoder,
  DraftBudget,
  DraftShape,
  DraftTree,
  NgramTable,
  NoDrafter,
  PromptLookupDrafter,
  greedySampling,
  ngramDrafter,
  standDrafter,
  type Drafter,
  type SamplingOptions,
} from "../stand";
import { BASELINE_METHOD, formatMethodTable, STAND_METHOD } from "../../../common/benchmarkTable";
import type { BenchmarkRow } from "../../../common/protocol";
import { LlamaTarget } from "./llamaTarget";
import { median, summariseMethods, type Run } from "./benchmarkSummary";
import { endOfGenerationTokens } from "./vocabulary";

export interface BenchmarkOptions {
  readonly prompts: Token[][];
  readonly trajectoryCounts: number[];
  readonly temperatures: number[];
  readonly maxTokens: number;
  readonly repetitions: number;
  readonly threads: number;
  /** Step widths (LlamaTargetOptions.stepWidth) to run STAND adaptive at too, each on its own target. */
  readonly stepWidths?: number[];
  /** Progress lines for a terminal. */
  readonly log?: (line: string) => void;
}

interface Method {
  readonly name: string;
  /** node-llama-cpp's own decoding loop rather than ours. */
  readonly ownLoop: boolean;
  readonly run: (prompt: Token[], trajectories: number, sampling: SamplingOptions, seed: number) => Promise<Run>;
}

export async function runBenchmark(model: LlamaModel, options: BenchmarkOptions): Promise<BenchmarkRow[]> {
  const { prompts, maxTokens, repetitions, threads } = options;
  const log = options.log ?? (() => undefined);
  // Where the server's decoding stops too.
  const stopTokens = endOfGenerationTokens(model);
  const contextSize = Math.max(...prompts.map((tokens) => tokens.length)) + maxTokens + 64;
  const { InputLookupTokenPredictor } = await import("node-llama-cpp");
  const rows: BenchmarkRow[] = [];
  for (const trajectories of options.trajectoryCounts) {
    const target = await LlamaTarget.create(model, { trajectories, contextSize, threads });
    const fixedShapeTargets = await Promise.all(
      (options.stepWidths ?? []).map(async (width) => ({
        width,
        target: await LlamaTarget.create(model, { trajectories, contextSize, threads, stepWidth: width }),
      })),
    );
    const lookupContext = await model.createContext({ sequences: trajectories, contextSize, threads, batchSize: target.context.batchSize });
    const lookupSequences = Array.from({ length: trajectories }, () =>
      lookupContext.getSequence({ tokenPredictor: new InputLookupTokenPredictor() }),
    );
    const plainContext = await model.createContext({ sequences: trajectories, contextSize, threads, batchSize: target.context.batchSize });
    const plainSequences = Array.from({ length: trajectories }, () => plainContext.getSequence());
    try {
      const costCurve = await measureCostCurve(target, prompts[0] ?? [], trajectories);
      const ours = (name: string, drafter: (table: NgramTable) => Drafter, shape: DraftShape, adaptive: boolean, on = target): Method => {
        // As in the language server, one budget learns this machine's costs across requests, and
        // one table's memory serves every run; each run still starts with the table empty.
        const budget = adaptive ? DraftBudget.for(on) : undefined;
        const table = new NgramTable();
        const run: Method["run"] = async (prompt, n, sampling, seed) => {
          for (let t = 0; t < n; t++) await on.reset(t);
          table.clear();
          const decoder = new Decoder({ target: on, drafter: drafter(table), shape, budget });
          const started = performance.now();
          const result = await decoder.decode({ prompts: Array.from({ length: n }, () => prompt), maxTokens, sampling, seed, stopTokens });
          const seconds = (performance.now() - started) / 1000;
          const calls = result.trajectories.reduce((sum, t) => sum + t.statistics.targetCalls, 0);
          return {
            tokens: result.statistics.tokens,
            seconds,
            callsPerTrajectory: calls / n,
            draftedPerCall: calls === 0 ? 0 : result.statistics.drafted / calls,
            drafterSeconds: result.statistics.drafterMs / 1000,
          };
        };
        return { name, ownLoop: false, run };
      };
      const native = (name: string, sequences: LlamaContextSequence[], predicting: boolean): Method => ({
        name,
        ownLoop: true,
        run: async (prompt, n, sampling, seed) => {
          await Promise.all(sequences.slice(0, n).map((sequence) => sequence.clearHistory()));
          const before = sequences.map((sequence) => ({ ...sequence.tokenPredictions }));
          const started = performance.now();
          const counts = await Promise.all(
            sequences.slice(0, n).map((sequence) => generateNatively(sequence, prompt, sampling, seed, maxTokens, stopTokens)),
          );
          const seconds = (performance.now() - started) / 1000;
          const tokens = counts.reduce((a, b) => a + b, 0);
          const counted = (count: (predictions: LlamaContextSequence["tokenPredictions"]) => number): number =>
            predicting
              ? sequences.reduce((sum, sequence, i) => sum + count(sequence.tokenPredictions) - (before[i] ? count(before[i]) : 0), 0)
              : 0;
          const validated = counted((predictions) => predictions.validated);
          const drafted = counted((predictions) => predictions.used);
          const calls = tokens - validated;
          return { tokens, seconds, callsPerTrajectory: calls / n, draftedPerCall: calls === 0 ? 0 : drafted / calls, drafterSeconds: 0 };
        },
      });
      const methods: Method[] = [
        ours(BASELINE_METHOD, () => new NoDrafter(), DraftShape.chain(0), false),
        native("node-llama-cpp plain", plainSequences, false),
        native("node-llama-cpp InputLookup", lookupSequences, true),
        ours("prompt lookup", () => new PromptLookupDrafter(), DraftShape.chain(8), true),
        ours("n-gram", ngramDrafter, DraftShape.chain(8), true),
        ours("STAND chain, fixed 4", standDrafter, DraftShape.chain(4), false),
        ours(STAND_METHOD, standDrafter, DraftShape.chain(8), true),
        ...fixedShapeTargets.map(({ width, target: fixed }) =>
          ours(`STAND adaptive, width ${width}`, standDrafter, DraftShape.chain(width - 1), true, fixed),
        ),
      ];

      for (const temperature of options.temperatures) {
        const sampling: SamplingOptions = temperature === 0 ? greedySampling : { temperature, topK: 40, topP: 1, minP: 0 };
        // runs[method][repetition][prompt]
        const runs: Run[][][] = methods.map(() => []);
        for (let repetition = 0; repetition < repetitions; repetition++) {
          for (const perMethod of runs) perMethod.push([]);
          for (const [p, prompt] of prompts.entries()) {
            for (const [m, method] of methods.entries()) {
              const run = await method.run(prompt, trajectories, sampling, 1000 * repetition + p);
              runs[m]?.[repetition]?.push(run);
            }
          }
        }
        const summary = summariseMethods(
          methods.map((method, m) => ({ method: method.name, ownLoop: method.ownLoop, runs: runs[m] ?? [] })),
          trajectories,
          costCurve,
        );
        const measured = summary.map((row) => ({ trajectories, temperature, ...row, costCurve }));
        log(`N = ${trajectories}, T = ${temperature}`);
        log(formatMethodTable(measured));
        log("");
        rows.push(...measured);
      }
    } finally {
      await Promise.all([
        target.dispose(),
        ...fixedShapeTargets.map((fixed) => fixed.target.dispose()),
        lookupContext.dispose(),
        plainContext.dispose(),
      ]);
    }
  }
  return rows;
}

async function generateNatively(
  sequence: LlamaContextSequence,
  prompt: Token[],
  sampling: SamplingOptions,
  seed: number,
  maxTokens: number,
  stopTokens: Token[],
): Promise<number> {
  let count = 0;
  const options =
    sampling.temperature === 0
      ? { temperature: 0 }
      : { temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP, minP: sampling.minP, seed };
  for await (const token of sequence.evaluate(prompt, options)) {
    if (stopTokens.includes(token)) break;
    if (++count >= maxTokens) break;
  }
  return count;
}

/**
 * Cost of one batched call with k draft tokens per trajectory, relative to a call with none,
 * measured on this machine now (median of repeated calls).
 */
async function measureCostCurve(target: LlamaTarget, prompt: Token[], trajectories: number): Promise<Record<number, number>> {
  const context = prompt.slice(0, Math.max(2, prompt.length - 8));
  const filler = prompt.slice(-8);
  const curve: Record<number, number> = {};
  for (let t = 0; t < trajectories; t++) await target.reset(t);
  for (const k of [0, 1, 2, 3, 4, 6, 8]) {
    const times: number[] = [];
    for (let repetition = 0; repetition < 15; repetition++) {
      const requests = Array.from({ length: trajectories }, (_, trajectory) => {
        const draft = new DraftTree(context);
        for (let i = 0, node = 0; i < k; i++) node = draft.addChild(node, filler[i % filler.length] ?? 0, i + 1);
        return { trajectory, context, draft };
      });
      const started = performance.now();
      await target.evaluate(requests, { temperature: 0.7, topK: 40, topP: 1, minP: 0 });
      if (repetition > 0) times.push(performance.now() - started);
    }
    curve[k] = median(times);
  }
  const unit = curve[0] ?? 1;
  for (const [k, cost] of Object.entries(curve)) curve[Number(k)] = cost / unit;
  return curve;
}

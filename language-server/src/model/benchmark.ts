// The benchmark behind `npm run bench` and the server's stand/benchmark: STAND against every
// model-free baseline on the same model, machine and prompts, in one run. Repetitions are
// interleaved (each repetition runs every method on every prompt) and medians are reported.
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import {
  Decoder,
  DraftBudget,
  DraftShape,
  DraftTree,
  isGreedy,
  NgramTable,
  NoDrafter,
  PromptLookupDrafter,
  ngramDrafter,
  standDrafter,
  type Drafter,
  type SamplingOptions,
} from "../stand";
import {
  BASELINE_METHOD,
  FIXED_CHAIN_METHOD,
  formatMethodTable,
  NATIVE_LOOKUP_METHOD,
  NATIVE_LOOP_METHOD,
  NGRAM_METHOD,
  STAND_METHOD,
  STEP_WIDTH_METHOD_PREFIX,
  STAND_THEN_LOOKUP_METHOD,
  TREE_ADAPTIVE_METHOD,
  TREE_FIXED_METHOD,
} from "../../../common/benchmarkTable";
import type { BenchmarkRow, TokenPredictions } from "../../../common/protocol";
import { drafterFor } from "../decoding";
import { CHAIN_SHAPE, ShapeChoicesByMode, TREE_SHAPE } from "../draftShapes";
import { keepsCoreAwake, type IdleCoreSpinner } from "./idleCoreSpinner";
import { LlamaTarget } from "./llamaTarget";
import { MAX_CONTEXT_SEQUENCES } from "./sequencePool";
import { median, summariseMethods, type Run } from "./benchmarkSummary";
import { benchmarkSampling, runOrder, runSeed, WARM_UP_SEED } from "./benchmarkProtocol";
import { endOfGenerationTokens } from "./vocabulary";

export interface PromptSet {
  /** Where the prompts come from (a file name), printed with its tables. */
  readonly name: string;
  readonly prompts: Token[][];
}

export interface BenchmarkOptions {
  /** Each set is reported on its own; their runs are interleaved, so they see the same machine. */
  readonly promptSets: PromptSet[];
  readonly trajectoryCounts: number[];
  readonly temperatures: number[];
  /** Top-k, top-p and min-p at T > 0 (default: the product's, defaultSettings). */
  readonly sampler?: Omit<SamplingOptions, "temperature">;
  readonly maxTokens: number;
  readonly repetitions: number;
  readonly threads: number;
  /** Step widths (LlamaTargetOptions.stepWidth) to run STAND adaptive at too, each on its own target. */
  readonly stepWidths?: number[];
  /** Progress lines for a terminal. */
  readonly log?: (line: string) => void;
  /**
   * Keeps a core awake through the cells where the server's targets would (see keepsCoreAwake),
   * for every method of the cell alike: node-llama-cpp's own loops gain from it as ours do.
   */
  readonly spinner?: IdleCoreSpinner;
}

interface Method {
  readonly name: string;
  /** node-llama-cpp's own decoding loop rather than ours. */
  readonly ownLoop: boolean;
  readonly run: (prompt: Token[], trajectories: number, sampling: SamplingOptions, seed: number) => Promise<Run>;
}

export async function runBenchmark(model: LlamaModel, options: BenchmarkOptions): Promise<BenchmarkRow[]> {
  const { promptSets, maxTokens, repetitions, threads } = options;
  const log = options.log ?? (() => undefined);
  const allPrompts = promptSets.flatMap((set) => set.prompts);
  const [firstPrompt] = allPrompts;
  if (!firstPrompt) throw new Error("the benchmark needs at least one prompt");
  // Where the server's decoding stops too.
  const stopTokens = endOfGenerationTokens(model);
  const contextSize = Math.max(...allPrompts.map((tokens) => tokens.length)) + maxTokens + 64;
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
    // Trees where llama.cpp's sequences allow: TREE_SHAPE's branches for every trajectory.
    const treeTarget =
      trajectories * TREE_SHAPE.leaves <= MAX_CONTEXT_SEQUENCES
        ? await LlamaTarget.create(model, { trajectories, contextSize, threads, treeBranches: TREE_SHAPE.leaves })
        : undefined;
    const lookupContext = await model.createContext({ sequences: trajectories, contextSize, threads, batchSize: target.context.batchSize });
    const lookupSequences = Array.from({ length: trajectories }, () =>
      lookupContext.getSequence({ tokenPredictor: new InputLookupTokenPredictor() }),
    );
    const plainContext = await model.createContext({ sequences: trajectories, contextSize, threads, batchSize: target.context.batchSize });
    const plainSequences = Array.from({ length: trajectories }, () => plainContext.getSequence());
    try {
      const ours = (
        name: string,
        drafter: (table: NgramTable) => Drafter,
        shape: DraftShape,
        adaptive: boolean | "choice",
        on = target,
      ): Method => {
        // As in the language server, one budget learns this machine's costs across requests, and
        // one table's memory serves every run; each run still starts with the table empty. With
        // "choice", the server's stand.draftShape "auto": step by step, plain steps, the adaptive
        // chain or (where the target verifies trees) the adaptive tree, whichever measures
        // fastest, a choice that likewise learns across requests, greedy and sampled ones apart,
        // and sampled ones of one trajectory apart from those of several (see ShapeChoicesByMode).
        const budget = adaptive === true ? DraftBudget.for(on) : undefined;
        const choices =
          adaptive === "choice"
            ? new ShapeChoicesByMode(DraftBudget.for(on), on.capabilities.trees ? DraftBudget.for(on) : undefined)
            : undefined;
        const table = new NgramTable();
        const run: Method["run"] = async (prompt, n, sampling, seed) => {
          for (let t = 0; t < n; t++) await on.reset(t);
          table.clear();
          const choice = choices?.for(sampling, n);
          const decoder = new Decoder({ target: on, drafter: drafter(table), shape, budget, choice });
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
            // As the decoder timed them: a wrapper of our own around the target would add a
            // promise and two clock reads to every step of our rows and none of node-llama-cpp's.
            modelCalls: { count: result.statistics.targetCalls, seconds: result.statistics.targetMs / 1000 },
          };
        };
        return { name, ownLoop: false, run };
      };
      const native = (name: string, sequences: LlamaContextSequence[], predicting: boolean): Method => ({
        name,
        ownLoop: true,
        run: async (prompt, n, sampling, seed) => {
          const used = sequences.slice(0, n);
          await Promise.all(used.map((sequence) => sequence.clearHistory()));
          const before = used.map((sequence) => ({ ...sequence.tokenPredictions }));
          const started = performance.now();
          // A seed of its own per sequence, so that at T > 0 the N sequences are N samples.
          const counts = await Promise.all(
            used.map((sequence, t) => generateNatively(sequence, prompt, sampling, seed + t, maxTokens, stopTokens)),
          );
          const seconds = (performance.now() - started) / 1000;
          const tokens = counts.reduce((a, b) => a + b, 0);
          const counted = (count: (predictions: TokenPredictions) => number): number =>
            used.reduce((sum, sequence, i) => sum + count(sequence.tokenPredictions) - (before[i] ? count(before[i]) : 0), 0);
          const predictions = predicting
            ? {
                used: counted((p) => p.used),
                validated: counted((p) => p.validated),
                refuted: counted((p) => p.refuted),
                unused: counted((p) => p.unused),
              }
            : undefined;
          // A used prediction (validated, then consumed) is a token that cost no call of its own;
          // every validated or refuted one was evaluated as a draft token.
          const calls = tokens - (predictions?.used ?? 0);
          const drafted = predictions ? predictions.validated + predictions.refuted : 0;
          return {
            tokens,
            seconds,
            callsPerTrajectory: calls / n,
            draftedPerCall: calls === 0 ? 0 : drafted / calls,
            drafterSeconds: 0,
            ...(predictions ? { predictions } : {}),
          };
        },
      });
      const methods: Method[] = [
        ours(BASELINE_METHOD, () => new NoDrafter(), DraftShape.chain(0), false),
        native(NATIVE_LOOP_METHOD, plainSequences, false),
        native(NATIVE_LOOKUP_METHOD, lookupSequences, true),
        ours("prompt lookup", () => new PromptLookupDrafter(), DraftShape.chain(8), true),
        ours(NGRAM_METHOD, ngramDrafter, DraftShape.chain(8), true),
        ours(FIXED_CHAIN_METHOD, standDrafter, DraftShape.chain(4), false),
        // The server's drafter on a CPU and on a GPU backend, as it chooses it (serverMethodOn names the rows by backend).
        ours(STAND_METHOD, (table) => drafterFor(false, table), CHAIN_SHAPE, "choice"),
        ours(STAND_THEN_LOOKUP_METHOD, (table) => drafterFor(true, table), CHAIN_SHAPE, "choice"),
        ...fixedShapeTargets.map(({ width, target: fixed }) =>
          ours(`${STEP_WIDTH_METHOD_PREFIX}${width}`, standDrafter, DraftShape.chain(width - 1), true, fixed),
        ),
        ...(treeTarget
          ? [
              ours(TREE_ADAPTIVE_METHOD, standDrafter, CHAIN_SHAPE, "choice", treeTarget),
              ours(TREE_FIXED_METHOD, standDrafter, TREE_SHAPE, false, treeTarget),
            ]
          : []),
      ];

      for (const temperature of options.temperatures) {
        const sampling = benchmarkSampling(temperature, options.sampler);
        // runs[set][method][repetition][prompt]
        const runs: Run[][][][] = promptSets.map(() => methods.map(() => []));
        const runCell = async (): Promise<Record<number, number>> => {
          // At the rows' own sampling: a draft's outputs at T > 0 read whole distributions, at T = 0 only tokens.
          const costCurve = await measureCostCurve(target, firstPrompt, trajectories, sampling);
          // Untimed: the first runs of a method pay for allocations, compute graphs and the budget's first lessons.
          for (const method of methods) await method.run(firstPrompt, trajectories, sampling, WARM_UP_SEED);
          for (let repetition = 0; repetition < repetitions; repetition++) {
            for (const perSet of runs) for (const perMethod of perSet) perMethod.push([]);
            let turn = repetition;
            for (const [s, set] of promptSets.entries()) {
              for (const [p, prompt] of set.prompts.entries()) {
                for (const m of runOrder([...methods.keys()], turn++)) {
                  const method = methods[m];
                  if (!method) continue;
                  const run = await method.run(prompt, trajectories, sampling, runSeed(repetition, s, p));
                  runs[s]?.[m]?.[repetition]?.push(run);
                }
              }
            }
          }
          return costCurve;
        };
        const { spinner } = options;
        const costCurve =
          spinner && keepsCoreAwake(evaluatedTrajectories(trajectories, sampling)) ? await spinner.spinWhile(runCell) : await runCell();
        for (const [s, set] of promptSets.entries()) {
          const summary = summariseMethods(
            methods.map((method, m) => ({ method: method.name, ownLoop: method.ownLoop, runs: runs[s]?.[m] ?? [] })),
            trajectories,
            costCurve,
          );
          const promptSet = promptSets.length > 1 ? { promptSet: set.name } : {};
          const measured = summary.map((row) => ({ trajectories, temperature, ...promptSet, ...row, costCurve }));
          log(`N = ${trajectories}, T = ${temperature}, ${set.name} (${set.prompts.length} prompt${set.prompts.length === 1 ? "" : "s"})`);
          log(formatMethodTable(measured));
          log("");
          rows.push(...measured);
        }
      }
    } finally {
      await Promise.all([
        target.dispose(),
        treeTarget?.dispose(),
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
  // What LlamaCompletion does before it generates: an input-lookup predictor looks up the prompt
  // (without it, the predictor has nothing to look in and predicts nothing).
  sequence.tokenPredictor?.updateInputTokens(prompt.slice());
  for await (const token of sequence.evaluate(prompt, options)) {
    if (stopTokens.includes(token)) break;
    if (++count >= maxTokens) break;
  }
  return count;
}

/**
 * Trajectories our decoders evaluate per call when N decode one prompt: at T = 0 the N are one
 * decode (stand/alikeContexts.ts), so a call evaluates one of them.
 */
function evaluatedTrajectories(trajectories: number, sampling: SamplingOptions): number {
  return isGreedy(sampling) ? 1 : trajectories;
}

/** Rounds of the cost curve, and timed calls of each draft length in a round (after one untimed). */
const COST_CURVE_ROUNDS = 6;
const COST_CURVE_TIMED_CALLS = 3;

/**
 * Cost of one batched call with k draft tokens per trajectory, relative to a call with none,
 * measured on this machine now at this sampling, each call of evaluatedTrajectories' requests. Each
 * round takes every k in an order of its own, a block of calls each: the block's first call is not
 * timed (it pays for llama.cpp's compute graph of a new shape, and for the context the last block
 * left), and a k's cost is the median of its timed calls over the rounds. Measured k by k in one
 * pass instead, the machine's drift over the pass read as cost: a one-token draft measured 0.73× a
 * plain call in one run.
 */
async function measureCostCurve(
  target: LlamaTarget,
  prompt: Token[],
  trajectories: number,
  sampling: SamplingOptions,
): Promise<Record<number, number>> {
  const context = prompt.slice(0, Math.max(2, prompt.length - 8));
  const filler = prompt.slice(-8);
  const draftLengths = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const times = draftLengths.map((): number[] => []);
  const evaluated = evaluatedTrajectories(trajectories, sampling);
  for (let t = 0; t < trajectories; t++) await target.reset(t);
  for (let round = 0; round < COST_CURVE_ROUNDS; round++) {
    for (const k of runOrder(draftLengths, round)) {
      for (let call = 0; call <= COST_CURVE_TIMED_CALLS; call++) {
        const requests = Array.from({ length: evaluated }, (_, trajectory) => {
          const draft = new DraftTree(context);
          for (let i = 0, node = 0; i < k; i++) node = draft.addChild(node, filler[i % filler.length] ?? 0, i + 1);
          return { trajectory, context, draft };
        });
        const started = performance.now();
        await target.evaluate(requests, sampling);
        if (call > 0) times[k]?.push(performance.now() - started);
      }
    }
  }
  const curve: Record<number, number> = {};
  for (const k of draftLengths) curve[k] = median(times[k] ?? []);
  const unit = curve[0] ?? 1;
  for (const [k, cost] of Object.entries(curve)) curve[Number(k)] = cost / unit;
  return curve;
}

// `npm run bench:profile`: where a step's time goes at N = 1 (or --trajectories N), layer by layer, against
// node-llama-cpp's own evaluate() loop. Each arm decodes the same prompt for the same number of
// tokens; arms run interleaved in a balanced order (runOrder), round after round, and each arm's
// time per token is reported as the median over rounds of its ratio to the plain loop in the same
// round, with the min–max. Garbage collection time per arm comes from the runtime's gc entries. With
// --trajectories N, the arms through our loop decode N trajectories of the prompt in one batch
// (tokens counted over all of them), as does parallel; plain, controlled and stream still decode
// one sequence. --gpu MODE runs it on a GPU backend (the GPU kit has it as profile.cjs:
// `run.sh RESULTS_DIR --profile …`).
//
//   plain       node-llama-cpp's sequence.evaluate() loop (one sampler for the whole loop)
//   parallel    the same loop on N sequences of one context at once, a seed each (the benchmark's
//               node-llama-cpp plain row at N; with --trajectories 1, the plain arm again)
//   controlled  one bare controlledEvaluate call per token (what a step with a draft pays natively)
//   stream      node-llama-cpp's evaluateWithMetadata loop reading the probabilities, each token drawn
//               from them by the engine's sampler and fed back (what our plain steps paid natively
//               before they read at once: see language-server/src/model/batchSampling.ts); at T = 0 the generator's token
//   target      LlamaTarget.evaluate per token, no decoder (our adapter)
//   decoder     Decoder with NoDrafter: our batched AR row at N = 1
//   stand       Decoder with STAND's drafter and the draft budget: STAND adaptive at N = 1
//   learn       STAND's drafter under a budget that never drafts: what learning alone costs
//   stand4      STAND's fixed 4-chain, no budget
//
// Also per token: the main thread's busy time (the event loop's active time: all JavaScript and
// the handoffs to the native worker), the process's CPU time, which load disturbs less than wall
// time, and llama.cpp decodes (a batch of N trajectories' one-token steps: 1/N a token; counted
// through node-llama-cpp 3.22.1's internal decodeBatch, "–" where a version lacks it). On an H200
// our batched AR at N = 16, T = 0.7 ran at 0.4× node-llama-cpp's loop on 16 sequences, while on a
// CPU it made one decode per step: the parallel arm and this column are that measurement. With
// --passes, llama.cpp's passes over the weights a token too (a decode that llama.cpp splits is
// several: language-server/src/model/llamaPasses.ts), counted from its debug log, which makes every
// pass dearer: time a run with it apart from one without. With --baseline DIR (a copy of
// language-server/src and common, e.g. from `git archive <commit> language-server/src common | tar
// -x -C DIR`) the arms that go through our loop run from that copy too, suffixed -base, and each
// arm's paired ratio to its twin is printed.
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { restartWithModelProcessEnv } from "../common/modelProcess";
import { LlamaTarget } from "../language-server/src/model/llamaTarget";
import { benchmarkSampling, runOrder } from "../language-server/src/model/benchmarkProtocol";
import { median } from "../language-server/src/model/benchmarkSummary";
import { tokenizePrompt } from "../language-server/src/model/prompt";
import { LlamaPassCounter, reportLlamaPasses } from "../language-server/src/model/llamaPasses";
import { loadRuntime, parseGpuChoice } from "../language-server/src/model/runtime";
import * as stand from "../language-server/src/stand";
import { readPrompts } from "./promptFile";
import type { SamplingOptions } from "../language-server/src/stand";
import { numberOf } from "./optionNumbers";

type Stand = typeof stand;
type ControlledInput = Parameters<LlamaContextSequence["controlledEvaluate"]>[0];

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/stand-code-mini.gguf" },
    prompts: { type: "string", default: "bench/prompts.jsonl" },
    prompt: { type: "string", default: "0" },
    tokens: { type: "string", default: "128" },
    rounds: { type: "string", default: "8" },
    temperature: { type: "string", default: "0" },
    threads: { type: "string", default: "1" },
    trajectories: { type: "string", default: "1" },
    /** auto | cuda | vulkan | metal | false, as `npm run bench` takes it (the GPU kit's profile.cjs). */
    gpu: { type: "string", default: "false" },
    arms: { type: "string", default: "plain,controlled,stream,target,decoder,stand" },
    /** A copy of the repository (language-server/src and common) whose target, decoder and STAND arms run too, suffixed -base: an A/B in one run. */
    baseline: { type: "string" },
    /** Count llama.cpp's passes over the weights per token too (see language-server/src/model/llamaPasses.ts). */
    passes: { type: "boolean", default: false },
  },
});

interface Arm {
  readonly name: string;
  /** Decodes `tokens` tokens after the prompt; returns how many it decoded. */
  readonly run: (seed: number) => Promise<number>;
  /** Counts the decodes of the context the arm runs in. */
  readonly decodes: DecodeCounter | undefined;
}

interface DecodeCounter {
  readonly count: number;
}

/**
 * Counts the llama.cpp decodes of a context by wrapping node-llama-cpp's internal `_ctx.decodeBatch`
 * (3.22.1, which package.json pins); undefined where the internal is not there.
 */
function countDecodes(context: LlamaContext): DecodeCounter | undefined {
  const native = (context as unknown as { _ctx?: { decodeBatch?: unknown } })._ctx;
  const decodeBatch = native?.decodeBatch;
  if (!native || typeof decodeBatch !== "function") return undefined;
  const counter = { count: 0 };
  // An own property over the prototype's method, which is read-only for assignment.
  Object.defineProperty(native, "decodeBatch", {
    configurable: true,
    value: (...args: unknown[]): unknown => {
      counter.count++;
      return (decodeBatch as (...args: unknown[]) => unknown).apply(native, args);
    },
  });
  return counter;
}

async function main(): Promise<void> {
  restartWithModelProcessEnv();
  const tokens = Number(values.tokens);
  const rounds = Number(values.rounds);
  const threads = Number(values.threads);
  const trajectories = numberOf(values.trajectories, "trajectories", { whole: true, least: 1 });
  const sampling: SamplingOptions = benchmarkSampling(Number(values.temperature));
  const passes = values.passes ? new LlamaPassCounter() : undefined;
  const runtime = await loadRuntime(parseGpuChoice(values.gpu), passes?.logTo());
  // Before any context is made: each reads whether to report its passes as it is made.
  if (passes) await reportLlamaPasses(runtime.llama);
  const model = await runtime.llama.loadModel({ modelPath: resolve(values.model) });
  const chosen = readPrompts(values.prompts)[Number(values.prompt)];
  if (!chosen) throw new Error(`${values.prompts} has no prompt ${values.prompt} (counted from 0)`);
  const prompt = await tokenizePrompt(model, chosen);
  const contextSize = prompt.length + tokens + 64;
  const prompts = Array.from({ length: trajectories }, () => prompt);

  const plainContext = await model.createContext({ sequences: 1, contextSize, threads });
  const plain: LlamaContextSequence = plainContext.getSequence();
  const controlledContext = await model.createContext({ sequences: 1, contextSize, threads });
  const controlled: LlamaContextSequence = controlledContext.getSequence();
  const streamContext = await model.createContext({ sequences: 1, contextSize, threads });
  const streamed: LlamaContextSequence = streamContext.getSequence();
  const parallelContext = await model.createContext({ sequences: trajectories, contextSize, threads });
  const parallelSequences = Array.from({ length: trajectories }, () => parallelContext.getSequence());
  const options =
    sampling.temperature === 0
      ? { temperature: 0 }
      : { temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP, minP: sampling.minP };
  const targets: { dispose(): Promise<void> }[] = [];
  /** Tokens per target call of each run of the drafting arms. */
  const calls = new Map<string, number[]>();
  /** The arms that go through our loop, with the engine and adapter of this tree or of a baseline copy (--baseline). */
  async function ourArms(lib: Stand, suffix: string, root?: string): Promise<Arm[]> {
    // This tree's adapter is imported statically, so that the script also runs bundled (the GPU kit).
    const Target =
      root === undefined
        ? LlamaTarget
        : ((await import(resolve(root, "language-server/src/model/llamaTarget.ts"))) as { LlamaTarget: typeof LlamaTarget }).LlamaTarget;
    const target = await Target.create(model, { trajectories, contextSize, threads });
    const resetAll = async (): Promise<void> => {
      for (let t = 0; t < trajectories; t++) await target.reset(t);
    };
    targets.push(target);
    const decodes = countDecodes(target.context);
    const budget = lib.DraftBudget.for(target);
    const table = new lib.NgramTable();
    const learnOnly = new lib.DraftBudget({
      padsToLongestDraft: target.capabilities.padsToLongestDraft,
      cost: { record: () => undefined, estimator: () => (_sequences: number, draftTokens: number) => (draftTokens > 0 ? Infinity : 1) },
      tuning: { ...lib.BUDGET_TUNING.planning, explorationInterval: Number.MAX_SAFE_INTEGER },
    });
    /** A decode of `tokens` tokens through a fresh Decoder: from an empty table where its drafter learns, keeping its tokens per call where asked. */
    const decoderArm = (
      name: string,
      options: Omit<ConstructorParameters<Stand["Decoder"]>[0], "target">,
      { learns = true, recordCalls = false } = {},
    ): Arm => ({
      name,
      decodes,
      run: async (seed) => {
        await resetAll();
        if (learns) table.clear();
        const result = await new lib.Decoder({ target, ...options }).decode({ prompts, maxTokens: tokens, sampling, seed });
        if (recordCalls) calls.set(name, (calls.get(name) ?? []).concat(result.statistics.tokens / result.statistics.targetCalls));
        return result.statistics.tokens;
      },
    });
    return [
      {
        name: `target${suffix}`,
        decodes,
        run: async () => {
          await resetAll();
          const contexts: number[][] = prompts.map((p) => [...p]);
          let count = 0;
          while (count < tokens * trajectories) {
            const results = await target.evaluate(
              contexts.map((context, trajectory) => ({ trajectory, context, draft: new lib.DraftTree(context) })),
              sampling,
            );
            for (const [trajectory, context] of contexts.entries()) {
              const next = results[trajectory]?.[0];
              if (!next) return count;
              // The argmax at T = 0; the likeliest listed token otherwise (the arm measures cost, not sampling).
              let best = 0;
              for (let i = 1; i < next.probs.length; i++) if ((next.probs[i] ?? 0) > (next.probs[best] ?? 0)) best = i;
              context.push(next.tokens[best] ?? 0);
              count++;
            }
          }
          return count;
        },
      },
      decoderArm(`decoder${suffix}`, { drafter: new lib.NoDrafter(), shape: lib.DraftShape.chain(0) }, { learns: false }),
      decoderArm(`stand${suffix}`, { drafter: lib.standDrafter(table), shape: lib.DraftShape.chain(8), budget }, { recordCalls: true }),
      // STAND's drafter under a budget that never drafts nor assesses: what learning alone costs.
      decoderArm(`learn${suffix}`, { drafter: lib.standDrafter(table), shape: lib.DraftShape.chain(8), budget: learnOnly }),
      decoderArm(`stand4${suffix}`, { drafter: lib.standDrafter(table), shape: lib.DraftShape.chain(4) }, { recordCalls: true }),
    ];
  }
  const generateNext = sampling.temperature === 0 ? { token: true, options } : { token: true, options: { ...options, seed: 1 } };

  /** node-llama-cpp's own loop on one sequence: `tokens` tokens after the prompt, or fewer at an end of generation. */
  const evaluateLoop = async (sequence: LlamaContextSequence, seed: number): Promise<number> => {
    await sequence.clearHistory();
    let count = 0;
    const generated = sequence.evaluate(prompt, sampling.temperature === 0 ? options : { ...options, seed });
    while (count < tokens && !(await generated.next()).done) count++;
    await generated.return();
    return count;
  };
  const all: Arm[] = [
    { name: "plain", decodes: countDecodes(plainContext), run: (seed) => evaluateLoop(plain, seed) },
    {
      name: "parallel",
      decodes: countDecodes(parallelContext),
      run: async (seed) => {
        const counts = await Promise.all(parallelSequences.map((sequence, i) => evaluateLoop(sequence, seed + i)));
        return counts.reduce((sum, count) => sum + count, 0);
      },
    },
    {
      name: "controlled",
      decodes: countDecodes(controlledContext),
      run: async () => {
        await controlled.clearHistory();
        let input: Token[] = prompt;
        let count = 0;
        while (count < tokens) {
          const items: ControlledInput = input.map((token, i) => (i === input.length - 1 ? [token, { generateNext }] : token));
          const output = await controlled.controlledEvaluate(items);
          const next = output[input.length - 1]?.next.token;
          if (next == null) break;
          input = [next];
          count++;
        }
        return count;
      },
    },
    {
      name: "stream",
      decodes: countDecodes(streamContext),
      run: async (seed) => {
        await streamed.clearHistory();
        const random = new stand.Random(seed);
        const generation = streamed.evaluateWithMetadata(prompt, { probabilities: true }, { ...options, yieldEogToken: true });
        let count = 0;
        for (let result = await generation.next(); !result.done && count < tokens; count++) {
          const { token, probabilities } = result.value;
          const distribution = { tokens: Int32Array.from(probabilities.keys()), probs: Float64Array.from(probabilities.values()) };
          // The generator's own token at T = 0 (the argmax), as the adapter takes it.
          const next = sampling.temperature > 0 ? (stand.sampleToken(distribution, random) as Token) : token;
          result = await generation.next([next]);
        }
        await generation.return();
        return count;
      },
    },
    ...(await ourArms(stand, "")),
    ...(values.baseline
      ? await ourArms((await import(resolve(values.baseline, "language-server/src/stand/index.ts"))) as Stand, "-base", values.baseline)
      : []),
  ];
  const wanted = values.arms.split(",");
  const arms = all.filter((arm) => wanted.includes(arm.name.replace(/-base$/, "")));

  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  observer.observe({ entryTypes: ["gc"] });

  // Warm-up: every arm once.
  for (const arm of arms) await arm.run(0);
  const msPerToken: number[][] = arms.map(() => []);
  const gcPerToken: number[][] = arms.map(() => []);
  /** Main-thread busy time (the event loop's active time) and process CPU time (both threads), per token. */
  const jsPerToken: number[][] = arms.map(() => []);
  const cpuPerToken: number[][] = arms.map(() => []);
  const decodesPerToken: number[][] = arms.map(() => []);
  const passesPerToken: number[][] = arms.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const a of runOrder([...arms.keys()], round)) {
      const arm = arms[a];
      if (!arm) continue;
      await new Promise((resolve) => setImmediate(resolve));
      const gcBefore = gcMs;
      const eluBefore = performance.eventLoopUtilization();
      const cpuBefore = process.cpuUsage();
      const decodesBefore = arm.decodes?.count;
      const passesBefore = passes?.count;
      const started = performance.now();
      const count = await arm.run(1000 + round);
      const elapsed = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const elu = performance.eventLoopUtilization(performance.eventLoopUtilization(), eluBefore);
      jsPerToken[a]?.push(elu.active / Math.max(1, count));
      cpuPerToken[a]?.push((cpu.user + cpu.system) / 1000 / Math.max(1, count));
      if (arm.decodes && decodesBefore !== undefined) decodesPerToken[a]?.push((arm.decodes.count - decodesBefore) / Math.max(1, count));
      if (passes && passesBefore !== undefined) passesPerToken[a]?.push((passes.count - passesBefore) / Math.max(1, count));
      await new Promise((resolve) => setTimeout(resolve, 1));
      msPerToken[a]?.push(elapsed / Math.max(1, count));
      gcPerToken[a]?.push((gcMs - gcBefore) / Math.max(1, count));
    }
  }
  observer.disconnect();
  const reference = msPerToken[0] ?? [];
  console.log(
    `N = ${trajectories}, T = ${sampling.temperature}, ${tokens} tokens, ${rounds} rounds, backend ${runtime.backend}, ${threads} thread(s), load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const headings = [
    "arm".padEnd(9),
    "ms/token",
    `time vs ${arms[0]?.name ?? "?"} (median, min–max)`,
    "main-thread ms/token",
    "cpu ms/token",
    "gc ms/token",
    "decodes/token",
    ...(passes ? ["passes/token"] : []),
  ];
  console.log(headings.join("   "));
  /** A column's median with `digits` decimals ("–" where it has none), right-aligned under the heading `column`. */
  const cell = (values: number[] | undefined, digits: number, column: number): string =>
    (values?.length ? median(values).toFixed(digits) : "–").padStart(headings[column]?.length ?? 0);
  arms.forEach((arm, a) => {
    const ratios = (msPerToken[a] ?? []).map((ms, r) => ms / (reference[r] ?? ms));
    const spread = `${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`;
    const cells = [
      arm.name.padEnd(headings[0]?.length ?? 0),
      cell(msPerToken[a], 3, 1),
      spread.padEnd(headings[2]?.length ?? 0),
      cell(jsPerToken[a], 3, 3),
      cell(cpuPerToken[a], 3, 4),
      cell(gcPerToken[a], 4, 5),
      cell(decodesPerToken[a], 3, 6),
      ...(passes ? [cell(passesPerToken[a], 3, 7)] : []),
    ];
    console.log(cells.join("   "));
  });
  for (const [name, perCall] of calls)
    console.log(
      `${name}: tokens per call ${median(perCall).toFixed(2)} (${Math.min(...perCall).toFixed(2)}–${Math.max(...perCall).toFixed(2)})`,
    );
  // Each arm against its baseline copy, round by round: the A/B of a change.
  arms.forEach((arm, a) => {
    const b = arms.findIndex((other) => other.name === `${arm.name}-base`);
    if (b < 0) return;
    const paired = (values: number[][]): string => {
      const ratios = (values[a] ?? []).map((x, r) => x / (values[b]?.[r] ?? x));
      return `${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`;
    };
    console.log(
      `${arm.name} vs ${arm.name}-base: time ${paired(msPerToken)}, main thread ${paired(jsPerToken)}, cpu ${paired(cpuPerToken)}`,
    );
  });
  await Promise.all([
    plainContext.dispose(),
    controlledContext.dispose(),
    streamContext.dispose(),
    parallelContext.dispose(),
    ...targets.map((target) => target.dispose()),
  ]);
  await model.dispose();
  await runtime.llama.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

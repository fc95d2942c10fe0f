// `npm run bench:layout`: what a plain step of several context sequences costs by which sequences
// take part. llama.cpp splits a batch into one pass per run of consecutive sequence ids (with a KV
// stream per sequence, as node-llama-cpp makes them), so the same number of sequences costs more
// spread out than side by side: why LlamaTarget packs a call's trajectories (TrajectoryPacking)
// and lays a tree pool out branch by branch (SequencePool). Rows, each one token per sequence per
// step, straight through node-llama-cpp:
//
//   all              every sequence of the context
//   half, together   the first half
//   half, spread     every other one (as many sequences, a run each)
//
// and through LlamaTarget, a step of every trajectory (each on a prompt of its own) without a
// draft, on a context of one sequence per trajectory (chain) and on one that verifies trees (8
// sequences per trajectory). Layouts run
// interleaved in a balanced order (runOrder), round after round; each is reported as its median
// time per step with the min–max over rounds.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { LlamaContextSequence, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { restartWithModelProcessEnv } from "../common/modelProcess";
import { TREE_SHAPE } from "../language-server/src/draftShapes";
import { runOrder } from "../language-server/src/model/benchmarkProtocol";
import { LlamaTarget } from "../language-server/src/model/llamaTarget";
import { tokenizePrompt } from "../language-server/src/model/prompt";
import { loadRuntime } from "../language-server/src/model/runtime";
import { median } from "../language-server/src/model/benchmarkSummary";
import { DraftTree, greedySampling } from "../language-server/src/stand";
import { readPrompts } from "./promptFile";
import { numberOf } from "./optionNumbers";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/stand-code-mini.gguf" },
    prompts: { type: "string", default: "bench/prompts.jsonl" },
    trajectories: { type: "string", default: "16" },
    steps: { type: "string", default: "8" },
    rounds: { type: "string", default: "6" },
    threads: { type: "string", default: "1" },
  },
});

interface Layout {
  readonly name: string;
  /** Gets ready for a round: the sequences hold the prompt again. */
  prepare(): Promise<void>;
  /** One step, which the round times. */
  step(): Promise<void>;
}

/** Sequences of a raw context that evaluate one token each per step, together in one batch. */
function rawLayout(name: string, sequences: readonly LlamaContextSequence[], prompt: readonly Token[]): Layout {
  const token = prompt[prompt.length - 1] ?? (0 as Token);
  return {
    name,
    async prepare() {
      await Promise.all(
        sequences.map(async (sequence) => {
          await sequence.clearHistory();
          await sequence.controlledEvaluate(prompt.slice());
        }),
      );
    },
    async step() {
      await Promise.all(sequences.map((sequence) => sequence.controlledEvaluate([[token, { generateNext: { token: true } }]])));
    },
  };
}

/**
 * Every trajectory of a LlamaTarget, one step without a draft each, each on its own prompt (alike
 * contexts would share one output: see LlamaTarget's shareContextEnds).
 */
function targetLayout(name: string, target: LlamaTarget, prompts: readonly (readonly number[])[]): Layout {
  const contexts: number[][] = [];
  const requests = () => contexts.map((context, trajectory) => ({ trajectory, context, draft: new DraftTree(context) }));
  return {
    name,
    async prepare() {
      contexts.length = 0;
      for (let trajectory = 0; trajectory < target.trajectories; trajectory++) {
        await target.reset(trajectory);
        contexts.push([...(prompts[trajectory % prompts.length] ?? [])]);
      }
      await target.evaluate(requests(), greedySampling);
    },
    async step() {
      const nexts = await target.evaluate(requests(), greedySampling);
      contexts.forEach((context, trajectory) => context.push(nexts[trajectory]?.[0]?.tokens[0] ?? 0));
    },
  };
}

async function main(): Promise<void> {
  restartWithModelProcessEnv();
  const trajectories = numberOf(values.trajectories, "trajectories", { whole: true, least: 2 });
  const steps = numberOf(values.steps, "steps", { whole: true, least: 1 });
  const rounds = numberOf(values.rounds, "rounds", { whole: true, least: 1 });
  const threads = numberOf(values.threads, "threads", { whole: true, least: 1 });
  const runtime = await loadRuntime(false);
  const model = await runtime.llama.loadModel({ modelPath: resolve(values.model) });
  const prompts = await Promise.all(readPrompts(resolve(values.prompts)).map((prompt) => tokenizePrompt(model, prompt)));
  const [prompt] = prompts;
  if (!prompt) throw new Error(`${values.prompts} has no prompt`);
  const contextSize = Math.max(...prompts.map((tokens) => tokens.length)) + steps + 64;
  const context = await model.createContext({ sequences: trajectories, contextSize, threads });
  const sequences = Array.from({ length: trajectories }, () => context.getSequence());
  const half = Math.floor(trajectories / 2);
  const chain = await LlamaTarget.create(model, { trajectories, contextSize, threads });
  const trees = await LlamaTarget.create(model, { trajectories, contextSize, threads, treeBranches: TREE_SHAPE.leaves });
  const layouts: Layout[] = [
    rawLayout(`all ${String(trajectories)}`, sequences, prompt),
    rawLayout(`half, together (${String(half)})`, sequences.slice(0, half), prompt),
    rawLayout(`half, spread (${String(half)})`, sequences.filter((_, i) => i % 2 === 1).slice(0, half), prompt),
    targetLayout("LlamaTarget, chain", chain, prompts),
    targetLayout(`LlamaTarget, ${String(TREE_SHAPE.leaves)} per trajectory`, trees, prompts),
  ];
  const times = new Map<Layout, number[]>(layouts.map((layout) => [layout, []]));
  console.log(
    `${values.model}, ${String(trajectories)} sequences, ${String(steps)} steps × ${String(rounds)} rounds, ${String(threads)} thread(s)`,
  );
  for (let round = 0; round < rounds; round++) {
    for (const layout of runOrder(layouts, round)) {
      await layout.prepare();
      // The first step after another layout rebuilds the compute graph: untimed.
      await layout.step();
      const started = performance.now();
      for (let step = 0; step < steps; step++) await layout.step();
      times.get(layout)?.push((performance.now() - started) / steps);
    }
  }
  for (const [layout, ms] of times) {
    console.log(
      `${layout.name.padEnd(32)} ${median(ms).toFixed(2)} ms per step (${Math.min(...ms).toFixed(2)}–${Math.max(...ms).toFixed(2)})`,
    );
  }
  await Promise.all([chain.dispose(), trees.dispose(), context.dispose()]);
  await model.dispose();
  await runtime.llama.dispose();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

// `npm run tree:optimise:model -- [--model PATH] [--nodes 19] [--temperature 0.7] [--max-tokens 64] [--out FILE]`:
// calibrates a draft tree on a real model. Decodes bench/prompts.jsonl with a large tree (each
// branch on a context sequence of its own, see language-server/src/model/sequencePool.ts), counts
// how often each node's draft is accepted, keeps the best nodes as a connected subtree, and reports
// the acceptance length A (tokens per target call) on the held-out bench/prompts-unseen.jsonl for
// the optimised tree, the paper-like 80-node tree and every chain. Saves the tree and the numbers as JSON.
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { restartWithModelProcessEnv } from "../common/modelProcess";
import { LlamaTarget } from "../language-server/src/model/llamaTarget";
import { tokenizePrompt } from "../language-server/src/model/prompt";
import { loadRuntime } from "../language-server/src/model/runtime";
import { endOfGenerationTokens } from "../language-server/src/model/vocabulary";
import {
  AcceptanceCounter,
  Decoder,
  DraftShape,
  NgramTable,
  optimiseShape,
  standDrafter,
  verifyDraft,
  type SamplingOptions,
} from "../language-server/src/stand";
import { writeFileAtomically } from "../tools/writeFileAtomically";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/stand-code-mini.gguf" },
    nodes: { type: "string", default: "19" },
    temperature: { type: "string", default: "0.7" },
    "max-tokens": { type: "string", default: "64" },
    out: { type: "string", default: "bench/results/optimised-tree-model.json" },
  },
});
const maxNodes = Number(values.nodes);
const maxTokens = Number(values["max-tokens"]);
const sampling: SamplingOptions = { temperature: Number(values.temperature), topK: 40, topP: 0.95, minP: 0.05 };

/** 84 draft nodes over 12 levels, wide near the root: what a CPU can verify branch by branch in a few minutes. */
const CALIBRATION_WIDTHS = [6, 12, 14, 12, 10, 8, 6, 5, 4, 3, 2, 2];

function readPrompts(file: string): { text: string; kind: "code" | "chat" }[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { prompt: string; kind: "code" | "chat" })
    .map(({ prompt, kind }) => ({ text: prompt, kind }));
}

async function main(): Promise<void> {
  restartWithModelProcessEnv();
  const runtime = await loadRuntime(false);
  const model = await runtime.llama.loadModel({ modelPath: resolve(values.model) });
  const tokenized = (file: string) => Promise.all(readPrompts(file).map((prompt) => tokenizePrompt(model, prompt)));
  const calibration = await tokenized("bench/prompts.jsonl");
  const heldOut = await tokenized("bench/prompts-unseen.jsonl");
  const stopTokens = endOfGenerationTokens(model);
  const large = DraftShape.fromWidths(CALIBRATION_WIDTHS);
  const paper = DraftShape.paperTree();
  const contextSize = Math.max(...[...calibration, ...heldOut].map((prompt) => prompt.length)) + maxTokens + 32;
  const target = await LlamaTarget.create(model, {
    trajectories: 1,
    contextSize,
    threads: 2,
    treeBranches: Math.max(large.leaves, paper.leaves),
  });

  /** A over the prompts with one table across them (as in a session), the whole shape drafted every step. */
  async function acceptanceLength(shape: DraftShape, prompts: number[][], counter?: AcceptanceCounter): Promise<number> {
    const decoder = new Decoder({
      target,
      drafter: standDrafter(new NgramTable()),
      shape,
      verifier: (draft, distributions, random) => {
        const verification = verifyDraft(draft, distributions, random);
        counter?.record(verification.acceptedNodes.flatMap((node) => draft.shapeNodes[node] ?? []));
        return verification;
      },
    });
    let tokens = 0;
    let calls = 0;
    for (const [i, prompt] of prompts.entries()) {
      await target.reset(0);
      const result = await decoder.decode({ prompts: [prompt], maxTokens, sampling, seed: 100 + i, stopTokens });
      tokens += result.statistics.tokens;
      calls += result.statistics.targetCalls;
    }
    return tokens / calls;
  }

  try {
    const counter = new AcceptanceCounter(large);
    const calibrated = await acceptanceLength(large, calibration, counter);
    const optimised = optimiseShape(large, counter.counts, maxNodes);
    console.log(`calibrated on ${String(counter.steps)} steps with a ${String(large.size)}-node tree (A = ${calibrated.toFixed(2)})`);
    const evaluated: Record<string, { nodes: number; branches: number; a: number }> = {};
    const shapes: [string, DraftShape][] = [
      [`optimised ${String(optimised.size - 1)}-node tree`, optimised],
      ["paper-like 80-node tree", paper],
      ...Array.from({ length: 8 }, (_, i): [string, DraftShape] => [`chain ${String(i + 1)}`, DraftShape.chain(i + 1)]),
    ];
    for (const [name, shape] of shapes) {
      const a = await acceptanceLength(shape, heldOut);
      evaluated[name] = { nodes: shape.size - 1, branches: shape.leaves, a };
      console.log(`held-out A, ${name} (${String(shape.leaves)} branches): ${a.toFixed(2)}`);
    }
    const out = values.out;
    const json = {
      ...optimised.toJSON(),
      calibration: {
        model: basename(values.model),
        prompts: "bench/prompts.jsonl",
        heldOut: "bench/prompts-unseen.jsonl",
        sampling,
        maxTokens,
        steps: counter.steps,
        nodes: large.size,
      },
      heldOutAcceptanceLength: evaluated,
    };
    writeFileAtomically(out, JSON.stringify(json, null, 2) + "\n");
    console.log(`kept ${String(optimised.size)} nodes, widths by depth ${optimised.widths().join("/")}; saved ${out}`);
  } finally {
    await target.dispose();
    await model.dispose();
    await runtime.llama.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

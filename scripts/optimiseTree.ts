// `npm run tree:optimise -- [--nodes 80] [--out FILE]`: calibrates a draft tree. Decodes
// calibration prompts with a large 625-node, depth-20 tree, counts how often each node's draft
// is accepted, keeps the best nodes as a connected subtree and saves it as JSON. Then compares
// it with the default 80-node tree on held-out prompts.
import { parseArgs } from "node:util";
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
import { MarkovTarget } from "../fixtures/markovTarget";
import { writeFileAtomically } from "../tools/writeFileAtomically";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "80" },
    out: { type: "string", default: "bench/results/optimised-tree.json" },
    temperature: { type: "string", default: "1" },
  },
});
const maxNodes = Number(values.nodes);
const sampling: SamplingOptions = { temperature: Number(values.temperature), topK: 0, topP: 1, minP: 0 };

/** 624 draft nodes over 20 levels, wide near the root and thinning out. */
const CALIBRATION_WIDTHS = [10, 40, 60, 70, 70, 65, 60, 50, 45, 40, 30, 25, 20, 15, 10, 4, 4, 3, 2, 1];

const target = new MarkovTarget({ vocabularySize: 64, order: 2, support: 6, logitScale: 3, seed: 2024 });

function prompt(seed: number): number[] {
  return target.sample([seed % 64, (seed * 31) % 64], 64, sampling, seed);
}

async function meanTokensPerCall(shape: DraftShape, seeds: number[], counter?: AcceptanceCounter): Promise<number> {
  const decoder = new Decoder({
    target,
    drafter: standDrafter(new NgramTable()),
    shape,
    verifier: (draft, distributions, random) => {
      const verification = verifyDraft(draft, distributions, random);
      // Every drafted node stands at a node of the shape.
      counter?.record(verification.acceptedNodes.flatMap((node) => draft.shapeNodes[node] ?? []));
      return verification;
    },
  });
  let tokens = 0;
  let calls = 0;
  for (const seed of seeds) {
    const result = await decoder.decode({ prompts: Array.from({ length: 4 }, () => prompt(seed)), maxTokens: 256, sampling, seed });
    for (const trajectory of result.trajectories) {
      tokens += trajectory.statistics.tokens;
      calls += trajectory.statistics.targetCalls;
    }
  }
  return tokens / calls;
}

async function main(): Promise<void> {
  const large = DraftShape.fromWidths(CALIBRATION_WIDTHS);
  const counter = new AcceptanceCounter(large);
  const calibration = Array.from({ length: 8 }, (_, i) => 1 + i);
  const heldOut = Array.from({ length: 8 }, (_, i) => 101 + i);
  await meanTokensPerCall(large, calibration, counter);
  const optimised = optimiseShape(large, counter.counts, maxNodes);
  writeFileAtomically(
    values.out,
    JSON.stringify(
      { ...optimised.toJSON(), calibration: { steps: counter.steps, nodes: large.size, target: "synthetic Markov" } },
      null,
      2,
    ) + "\n",
  );
  console.log(`calibrated on ${counter.steps} verification steps with a ${large.size}-node, depth-${large.maxDepth} tree`);
  console.log(`kept ${optimised.size} nodes, widths by depth ${optimised.widths().join("/")}; saved ${values.out}`);
  for (const [name, shape] of [
    ["large 625-node tree", large],
    ["default 80-node tree", DraftShape.paperTree()],
    [`optimised ${optimised.size}-node tree`, optimised],
  ] as const) {
    console.log(`held-out tokens per target call, ${name}: ${(await meanTokensPerCall(shape, heldOut)).toFixed(2)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

// Tree drafts on the real model are lossless: at T = 0.7 the joint law of the first two tokens,
// decoded with STAND trees through the sequence pool (language-server/src/model/sequencePool.ts),
// equals the one the model's own sampler gives, by a chi-square test on 10,000 samples; a verifier
// that is wrong on purpose is rejected by the same test. About two minutes per arm on a loaded
// 2-core machine (16 trajectories × 3 branches × 625 decodes), so it runs in `npm run test:slow`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import { LlamaTarget } from "../../language-server/src/model/llamaTarget";
import { loadRuntime, type Runtime } from "../../language-server/src/model/runtime";
import {
  Decoder,
  DraftShape,
  DraftTree,
  NgramTable,
  standDrafter,
  verifyDraft,
  type SamplingOptions,
  type Verifier,
} from "../../language-server/src/stand";
import { countOutcomes, goodnessOfFit } from "../support/chiSquare";

const MODEL_PATH = join(__dirname, "..", "..", "models", "stand-code-mini.gguf");
const PROMPT = "export function ";
const SAMPLING: SamplingOptions = { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05 };
const LENGTH = 2;
const TRAJECTORIES = 16;
const SAMPLES = 10_000;
/** Decodes that only warm the table, so that most counted tokens come from drafts. */
const WARM_UP = 8;
/** Three candidates for the first token, and children under the likeliest. */
const SHAPE = DraftShape.fromWidths([3, 4]);
/** Two tests on fixed seeds share the family's 1 %; the broken verifier must clear the same bar. */
const SIGNIFICANCE = 0.01 / 2;

/**
 * Wrong on purpose: tries a node's children last-drawn first. The children were drawn without
 * replacement, so only the first follows q: the right ratio test on the wrong child (what a route
 * that mixed up its branches' order would do).
 */
const verifierLastChildFirst: Verifier = (draft, distributions, random) => {
  const reversed = new DraftTree([]);
  const copies = new Map([[0, 0]]);
  for (let node = 0; node < draft.size; node++) {
    const copy = copies.get(node);
    if (copy === undefined) continue;
    for (const child of [...draft.children(node)].reverse()) copies.set(child, reversed.addChild(copy, draft.tokens[child] ?? -1, 0));
    reversed.childDistributions[copy] = draft.childDistributions[node];
  }
  const byCopy = new Map([...copies].map(([node, copy]) => [copy, node]));
  const verification = verifyDraft(
    reversed,
    Array.from(
      { length: reversed.size },
      (_, copy) => distributions[byCopy.get(copy) ?? -1] ?? { tokens: new Int32Array(), probs: new Float64Array() },
    ),
    random,
  );
  return { ...verification, acceptedNodes: verification.acceptedNodes.map((copy) => byCopy.get(copy) ?? -1) };
};

describe("tree drafts on the embedded model are lossless (T = 0.7, first two tokens)", () => {
  let runtime: Runtime;
  let model: LlamaModel;
  let target: LlamaTarget;
  let prompt: number[];
  const exact = new Map<string, number>();

  before(async () => {
    runtime = await loadRuntime(false);
    model = await runtime.llama.loadModel({ modelPath: MODEL_PATH });
    prompt = model.tokenize(PROMPT);
    target = await LlamaTarget.create(model, { trajectories: TRAJECTORIES, contextSize: 64, threads: 1, treeBranches: SHAPE.leaves });
    // The sampler's law of the first two tokens, from the model itself, one plain step at a time.
    const next = async (context: number[]) =>
      (await target.evaluate([{ trajectory: 0, context, draft: new DraftTree(context) }], SAMPLING))[0]?.[0];
    const first = await next(prompt);
    assert.ok(first, "the model gave a distribution");
    for (let i = 0; i < first.tokens.length; i++) {
      const token = first.tokens[i] ?? -1;
      const second = await next([...prompt, token]);
      assert.ok(second, "the model gave a distribution");
      second.tokens.forEach((after, j) => exact.set(`${String(token)},${String(after)}`, (first.probs[i] ?? 0) * (second.probs[j] ?? 0)));
    }
  });

  after(async () => {
    await target.dispose();
    await model.dispose();
    await runtime.llama.dispose();
  });

  /** Samples the first two tokens SAMPLES times, TRAJECTORIES at a time, with one table warmed first. */
  async function sample(verifier: Verifier): Promise<{ counts: Map<string, number>; draftShare: number }> {
    const table = new NgramTable();
    const decoder = new Decoder({ target, drafter: standDrafter(table), shape: SHAPE, verifier });
    const outcomes: string[] = [];
    let fromDraft = 0;
    let tokens = 0;
    for (let batch = 0; outcomes.length < SAMPLES; batch++) {
      const warming = batch < WARM_UP;
      const result = await decoder.decode({
        prompts: Array.from({ length: TRAJECTORIES }, () => prompt),
        maxTokens: LENGTH,
        sampling: SAMPLING,
        seed: 1000 + batch,
        onStep: (step) => {
          if (warming) return;
          fromDraft += step.fromDraft;
          tokens += step.tokens.length;
        },
      });
      if (!warming) outcomes.push(...result.trajectories.map((trajectory) => trajectory.tokens.join(",")));
    }
    return { counts: countOutcomes(outcomes), draftShare: fromDraft / tokens };
  }

  test("STAND trees through the sequence pool follow the sampler's law", async () => {
    const { counts, draftShare } = await sample(verifyDraft);
    const fit = goodnessOfFit(counts, exact);
    console.log(
      `  trees: p = ${fit.pValue.toFixed(4)}, χ² = ${fit.statistic.toFixed(1)}, df = ${String(fit.degreesOfFreedom)}, tokens from drafts ${(100 * draftShare).toFixed(1)} %`,
    );
    assert.deepEqual(fit.impossible, []);
    assert.ok(fit.degreesOfFreedom >= 10, "the test needs enough cells to have power");
    assert.ok(draftShare > 0.5, `only ${String(draftShare)} of tokens came from drafts`);
    assert.ok(fit.pValue > SIGNIFICANCE, `equality rejected: p = ${String(fit.pValue)}`);
  });

  test("the same test rejects a verifier that tries the children last-drawn first", async () => {
    const { counts } = await sample(verifierLastChildFirst);
    const fit = goodnessOfFit(counts, exact);
    console.log(`  broken verifier: p = ${fit.pValue.toExponential(2)}, χ² = ${fit.statistic.toFixed(1)}`);
    assert.ok(fit.pValue < SIGNIFICANCE, `the broken verifier went unnoticed: p = ${String(fit.pValue)}`);
  });
});

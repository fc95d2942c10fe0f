// Draft trees on the embedded model through the node-llama-cpp adapter: each branch on its own
// context sequence (language-server/src/model/sequencePool.ts), exact at temperature 0 against
// node-llama-cpp's own greedy generation.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { LlamaTarget } from "../../language-server/src/model/llamaTarget";
import { copySequencePrefix } from "../../language-server/src/model/sequenceCopy";
import {
  Decoder,
  DraftShape,
  DraftTree,
  NgramTable,
  greedySampling,
  standDrafter,
  verifyDraft,
  type Verifier,
} from "../../language-server/src/stand";
import { assertLeftPacked, decodingWithEarlyStops, stoppedEarly } from "../support/earlyStops";
import { loadGreedyReference, MAX_TOKENS, type GreedyReference } from "../support/greedyReference";

/** A small skewed tree: 3 candidates for the next token, then chains and a few side branches. */
const TREE = DraftShape.fromWidths([3, 4, 3, 3, 2, 2, 1, 1]);

describe("draft trees on the embedded model", () => {
  let reference: GreedyReference;
  let model: LlamaModel;
  let prompts: Token[][];
  let stopTokens: Token[];
  let greedy: Token[][];

  before(async () => {
    reference = await loadGreedyReference();
    ({ model, prompts, stopTokens, greedy } = reference);
  });

  after(async () => {
    await reference.dispose();
  });

  test("the pinned node-llama-cpp copies a sequence's prefix, and the copy continues as the original does", async () => {
    const context = await model.createContext({ sequences: 2, contextSize: 256, threads: 1 });
    try {
      const [source, copy] = [context.getSequence(), context.getSequence()];
      const prompt = prompts[0] ?? [];
      const next = async (sequence: typeof source, tokens: Token[]): Promise<Token | undefined> => {
        const [output] = await sequence.controlledEvaluate([[tokens[0] ?? prompt[0] ?? 0, { generateNext: { token: true } }]] as never);
        return (output as { next?: { token?: Token | null } } | undefined)?.next?.token ?? undefined;
      };
      await source.evaluateWithoutGeneratingNewTokens(prompt);
      const keep = prompt.length - 3;
      assert.equal(await copySequencePrefix(source, copy, keep), true);
      assert.deepEqual(copy.contextTokens, prompt.slice(0, keep));
      // Both evaluate the same next token on top of the same prefix: the copy holds the prefix's state.
      await source.eraseContextTokenRanges([{ start: keep, end: source.contextTokens.length }]);
      const tail = prompt.slice(keep);
      await copy.evaluateWithoutGeneratingNewTokens(tail.slice(0, -1));
      await source.evaluateWithoutGeneratingNewTokens(tail.slice(0, -1));
      assert.equal(await next(copy, tail.slice(-1)), await next(source, tail.slice(-1)));
    } finally {
      await context.dispose();
    }
  });

  test("a target with tree branches says it verifies trees, and refuses a shape with more branches", async () => {
    const target = await LlamaTarget.create(model, { trajectories: 2, contextSize: 256, threads: 1, treeBranches: TREE.leaves });
    try {
      assert.equal(target.capabilities.trees, true);
      assert.equal(target.capabilities.treeBranches, TREE.leaves);
      assert.throws(() => new Decoder({ target, drafter: standDrafter(new NgramTable()), shape: DraftShape.paperTree() }), /branches/);
    } finally {
      await target.dispose();
    }
    const chains = await LlamaTarget.create(model, { trajectories: 1, contextSize: 256, threads: 1 });
    try {
      assert.equal(chains.capabilities.trees, false);
      const tree = new DraftTree(prompts[0] ?? []);
      tree.addChild(0, 1, 1);
      tree.addChild(0, 2, 2);
      await assert.rejects(chains.evaluate([{ trajectory: 0, context: prompts[0] ?? [], draft: tree }], greedySampling), /branches/);
    } finally {
      await chains.dispose();
    }
  });

  test("when candidates finish early, the others' branches move to consecutive sequences and decode as before", async () => {
    const target = await LlamaTarget.create(model, { trajectories: 4, contextSize: 256, threads: 1, treeBranches: TREE.leaves });
    try {
      const table = new NgramTable();
      // The second decode warms up the table, so that the trajectories that move verify trees.
      for (let run = 0; run < 2; run++) {
        const decoder = new Decoder({ target, drafter: standDrafter(table), shape: TREE });
        const result = await decoder.decode(decodingWithEarlyStops(reference));
        assert.deepEqual(
          result.trajectories.map((trajectory) => trajectory.tokens),
          stoppedEarly(greedy),
          `run ${String(run)}`,
        );
        assert.ok(run === 0 || result.statistics.accepted > 0, "no draft was accepted, so the moved branches were never read");
        assertLeftPacked(target);
      }
    } finally {
      await target.dispose();
    }
  });

  for (const trajectories of [1, 4]) {
    test(`at T = 0 tree drafts reproduce plain greedy decoding token for token (N = ${trajectories})`, async () => {
      const target = await LlamaTarget.create(model, { trajectories, contextSize: 256, threads: 1, treeBranches: TREE.leaves });
      // Counts accepted tokens that were not their parent's first child: drafts that only a tree could offer.
      let acceptedOffFirstBranch = 0;
      const verifier: Verifier = (draft, distributions, random) => {
        const verification = verifyDraft(draft, distributions, random);
        for (const node of verification.acceptedNodes) if (draft.children(draft.parents[node] ?? -1)[0] !== node) acceptedOffFirstBranch++;
        return verification;
      };
      try {
        // N = 4 decodes the four prompts side by side, three times over, with one table: it warms up.
        const batches = trajectories === 1 ? prompts.map((prompt) => [prompt]) : [prompts, prompts, prompts];
        const table = new NgramTable();
        const outputs: Token[][] = [];
        let accepted = 0;
        for (const batch of batches) {
          const decoder = new Decoder({ target, drafter: standDrafter(table), shape: TREE, verifier });
          const result = await decoder.decode({ prompts: batch, maxTokens: MAX_TOKENS, sampling: greedySampling, seed: 3, stopTokens });
          outputs.push(...result.trajectories.map((trajectory) => trajectory.tokens as Token[]));
          accepted += result.statistics.accepted;
        }
        assert.deepEqual(outputs, trajectories === 1 ? greedy : [...greedy, ...greedy, ...greedy]);
        assert.ok(accepted > 0, "no draft token was accepted, so the test proved little");
        assert.ok(acceptedOffFirstBranch > 0, "no token off a first branch was accepted: the other branches' sequences were never read");
      } finally {
        await target.dispose();
      }
    });
  }
});

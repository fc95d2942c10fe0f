// Chat and reasoning models, end to end on the scripted fixtures: node-llama-cpp picks the chat
// wrapper for each real template, the solve prompt is the template's own rendering, decoding stops
// at the end of the turn, thinking is separated from the answer and the code block extracted, and
// greedy STAND decodes exactly what plain greedy decoding does.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { defaultSettings, type TrajectoryProgress } from "../../common/protocol";
import { splitThinking } from "../../language-server/src/candidates";
import { LlamaTarget } from "../../language-server/src/model/llamaTarget";
import type { ModelSession } from "../../language-server/src/model/session";
import { solve } from "../../language-server/src/solve";
import { Decoder, DraftBudget, DraftShape, greedySampling, NgramTable, standDrafter } from "../../language-server/src/stand";
import { CHAT_ANSWER, FIM_CASE } from "../../tools/fixtures/scripts";
import { FAMILIES, referenceTokenizer, type FamilyName } from "../../tools/fixtures/tokenizers";
import { openFixture } from "./fixtureSession";

const PROBLEM = "Write a Python function add(x, y) that returns the sum.";
const WRAPPERS: Record<FamilyName, string> = { qwen3: "QwenChatWrapper", llama3: "Llama3ChatWrapper", deepseek3: "DeepSeekChatWrapper" };
const THINKS: Record<FamilyName, boolean> = { qwen3: true, llama3: false, deepseek3: true };
/** Thinking at moderate entropy: the alternatives of tools/fixtures/scripts.ts. */
const VARIED_THINKING = /^The (user|caller) (wants|needs|asks) the (sum|total) of two (numbers|values)\.$/;

/** node-llama-cpp's own greedy loop: the reference, independent of our decoder and adapter. */
async function plainGreedy(model: LlamaModel, prompt: Token[], stopTokens: readonly number[], maxTokens: number): Promise<number[]> {
  const context = await model.createContext({ contextSize: 1024, threads: 1 });
  try {
    const tokens: number[] = [];
    for await (const token of context.getSequence().evaluate(prompt, { temperature: 0 })) {
      if (stopTokens.includes(token) || tokens.length >= maxTokens) break;
      tokens.push(token);
    }
    return tokens;
  } finally {
    await context.dispose();
  }
}

for (const family of Object.keys(FAMILIES) as FamilyName[]) {
  describe(`chat on the ${family} fixture`, () => {
    let low: ModelSession;
    let moderate: ModelSession;
    before(async () => {
      low = await openFixture(`${family}-scripted-low`);
      moderate = await openFixture(`${family}-scripted-moderate`);
    });
    after(async () => {
      await low.dispose();
      await moderate.dispose();
    });

    test(`node-llama-cpp resolves the ${WRAPPERS[family]} from the template, and the solve prompt is the template's rendering`, async () => {
      const { resolveChatWrapper } = await import("node-llama-cpp");
      assert.equal(resolveChatWrapper(low.model).constructor.name, WRAPPERS[family]);
      const prompt = low.model.detokenize((await low.tokenize({ text: PROBLEM, kind: "chat" })), true);
      // The template from the GGUF run by Hugging Face's Jinja engine, as transformers' apply_chat_template runs it.
      const { Template } = await import("@huggingface/jinja");
      const metadata = low.model.fileInfo.metadata.tokenizer;
      const rendered = new Template(String(metadata.chat_template)).render({
        messages: [{ role: "user", content: PROBLEM }],
        add_generation_prompt: true,
        bos_token: low.model.tokens.bosString ?? "",
        eos_token: low.model.tokens.eosString ?? "",
      });
      assert.equal(prompt, rendered);
      // And the tokenizer package's own apply_chat_template, where its Jinja can run the template
      // (it cannot parse Qwen3's, whose `messages[::-1]` it does not know).
      let reference: string | undefined;
      try {
        reference = referenceTokenizer(FAMILIES[family]).applyChatTemplate([{ role: "user", content: PROBLEM }]);
      } catch (error) {
        assert.equal(family, "qwen3", `the package renders ${family}'s template: ${String(error)}`);
      }
      if (reference !== undefined) assert.equal(prompt, reference);
    });

    test("a solve stops at the end of the turn, separates the thinking, extracts the code, and streams the text it returns", async () => {
      for (const [session, temperature, trajectories] of [
        [low, 0, 1],
        [moderate, 0.7, 4],
      ] as const) {
        const progress: TrajectoryProgress[] = [];
        const result = await solve(
          session,
          { problem: PROBLEM, kind: "chat", trajectories, temperature, seed: 7, maxTokens: 200 },
          { ...defaultSettings, draftShape: "auto" },
          {
            partial: (partial) => {
              if (partial.type === "progress") progress.push(...partial.trajectories);
            },
            log: () => undefined,
          },
          new AbortController().signal,
        );
        assert.equal(result.candidates.length, trajectories);
        for (const candidate of result.candidates) {
          const where = `T = ${temperature}, candidate ${candidate.trajectory}: ${JSON.stringify(candidate.text)}`;
          assert.equal(candidate.finishReason, "stop", where);
          assert.ok(candidate.statistics.tokens < 60, where);
          if (THINKS[family]) {
            assert.ok(candidate.thinking !== undefined, where);
            if (temperature === 0) assert.equal(candidate.thinking, CHAT_ANSWER.thinking, where);
            else assert.match(candidate.thinking, VARIED_THINKING, where);
          } else assert.equal(candidate.thinking, undefined, where);
          assert.deepEqual(candidate.codeBlocks, [{ language: CHAT_ANSWER.language, code: CHAT_ANSWER.code }], where);
          const updates = progress.filter((update) => update.trajectory === candidate.trajectory);
          const streamed = updates.flatMap((update) => update.spans.map((span) => span.text)).join("");
          assert.equal(streamed, candidate.text, where);
          // The thinking so far rides with the progress that changes it, for the panel's thinking section.
          let soFar = "";
          let lastThinking: string | undefined;
          for (const update of updates) {
            soFar += update.spans.map((span) => span.text).join("");
            const { thinking, answerStart } = splitThinking(soFar);
            if (update.thinking !== undefined) {
              assert.equal(update.thinking, thinking, where);
              assert.equal(update.answerStart, answerStart, `${where}: where the answer starts, for the panel's streaming view`);
              lastThinking = update.thinking;
            } else assert.equal(thinking, lastThinking, `${where}: a change of the thinking went unsent`);
          }
          assert.equal(lastThinking, candidate.thinking, where);
        }
        // Every candidate has the same code: one vote group.
        assert.equal(result.groups.length, 1);
      }
    });

    test("greedy STAND equals plain greedy decoding on the chat prompt and a code prompt (N = 1 and 4)", async () => {
      const session = moderate;
      const chat = (await session.tokenize({ text: PROBLEM, kind: "chat" }));
      const code = (await session.tokenize({ text: FIM_CASE.prefix, kind: "code", suffix: FIM_CASE.suffix }));
      const prompts = [chat, code];
      const expected = await Promise.all(prompts.map((prompt) => plainGreedy(session.model, prompt, session.stopTokens, 48)));
      assert.ok((expected[0]?.length ?? 0) > 10, "the chat answer is more than a few tokens");
      for (const trajectories of [1, 4]) {
        const target = await LlamaTarget.create(session.model, { trajectories, contextSize: 1024, threads: 1 });
        try {
          const table = new NgramTable();
          let accepted = 0;
          // Twice: the second decode drafts from what the first taught the table.
          for (let round = 0; round < 2; round++) {
            for (const [index, prompt] of prompts.entries()) {
              const decoder = new Decoder({
                target,
                drafter: standDrafter(table),
                shape: DraftShape.chain(4),
                budget: round === 0 ? DraftBudget.for(target) : undefined,
              });
              const result = await decoder.decode({
                prompts: Array.from({ length: trajectories }, () => prompt),
                maxTokens: 48,
                sampling: greedySampling,
                seed: 1,
                stopTokens: session.stopTokens,
              });
              for (const trajectory of result.trajectories) assert.deepEqual(trajectory.tokens, expected[index], `N = ${trajectories}`);
              accepted += result.statistics.accepted;
            }
          }
          assert.ok(accepted > 0, `N = ${trajectories}: no draft was accepted, so nothing was verified`);
        } finally {
          await target.dispose();
        }
      }
    });
  });
}

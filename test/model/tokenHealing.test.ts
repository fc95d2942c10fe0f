// Token healing for inline completions: the constraint logic on a fake vocabulary, then the real
// server on the embedded model.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { DidOpenTextDocumentNotification, InlineCompletionRequest, InlineCompletionTriggerKind } from "vscode-languageserver-protocol";
import { trimCompletion } from "../../language-server/src/inlineCompletion";
import type { SamplingOptions, SparseDistribution, TargetModel, TargetRequest } from "../../language-server/src/stand";
import {
  advance,
  constrainedDistribution,
  healedStarts,
  healingCut,
  isAllowed,
  isSpelt,
  stripRemoved,
  type Constraint,
} from "../../language-server/src/tokenHealing";
import { startServer, type ServerHandle } from "../../fixtures/serverProcess";
import { EMBEDDED_MODEL_FILE } from "../../common/product";
import { defined } from "../support/defined";
import { toyVocabulary } from "../support/toyVocabulary";

// A byte-level-BPE-like vocabulary: words carry their leading space, indentation is split off.
const VOCABULARY = [
  "<eos>",
  " ",
  "  ",
  "   ",
  " return",
  " returns",
  " ret",
  "urn",
  "ur",
  "r",
  " b",
  ";",
  "\n",
  " {\n",
  "function",
  " add",
  " const",
  " constructor",
  " re",
  "turn",
  " n",
  " new",
];
const EOS = 0;
const { token, textOf } = toyVocabulary(VOCABULARY, EOS);
const tokens = (...texts: string[]): number[] => texts.map(token);
const free: SamplingOptions = { temperature: 1, topK: 0, topP: 1, minP: 0 };

function distribution(weights: Record<string, number>): SparseDistribution {
  const entries = Object.entries(weights);
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  return { tokens: Int32Array.from(entries, ([text]) => token(text)), probs: Float64Array.from(entries, ([, weight]) => weight / total) };
}

/** A target whose next-token distribution depends only on the last token of the context. */
class LastTokenTarget implements TargetModel {
  readonly capabilities = { trees: true, padsToLongestDraft: false };
  readonly calls: TargetRequest[][] = [];
  constructor(private readonly next: (last: string) => SparseDistribution) {}
  evaluate(requests: readonly TargetRequest[]): Promise<SparseDistribution[][]> {
    this.calls.push([...requests]);
    return Promise.resolve(requests.map((request) => [this.next(textOf(defined(request.context.at(-1), "the context's last token")))]));
  }
}

describe("token healing: the constraint", () => {
  test("the prompt backs off the last token, or the whole word when the cut splits one", () => {
    assert.deepEqual(healingCut("f() {\n  return", tokens(" {\n", " ", " return"), textOf), {
      text: "f() {\n ",
      constraint: { remaining: " return", thenCode: false },
      typed: tokens(" return"),
    });
    assert.deepEqual(healingCut("f() {\n  retur", tokens(" {\n", " ", " ret", "ur"), textOf), {
      text: "f() {\n ",
      constraint: { remaining: " retur", thenCode: false },
      typed: tokens(" ret", "ur"),
    });
    // Only the end of the prefix needs tokenizing (its last line).
    assert.deepEqual(healingCut("x;\n  return", tokens(" ", " return"), textOf)?.text, "x;\n ");
    // A line of nothing but indentation: code must follow it.
    assert.deepEqual(healingCut("f() {\n  ", tokens(" {\n", "  "), textOf), {
      text: "f() {\n",
      constraint: { remaining: "  ", thenCode: true },
      typed: tokens("  "),
    });
    // A space typed after a word: the space is the start of the next token, so code must follow it.
    assert.deepEqual(healingCut("f() {\n  return ", tokens(" {\n", " ", " return", " "), textOf), {
      text: "f() {\n  return",
      constraint: { remaining: " ", thenCode: true },
      typed: tokens(" "),
    });
    assert.equal(healingCut("f() {\n", tokens(" {\n"), textOf), undefined, "a line end is a boundary in any tokenization");
    assert.equal(healingCut("", [], textOf), undefined);
    assert.equal(healingCut("f() {\n  returns", tokens(" {\n", " ", " return"), textOf), undefined, "tokens that do not end the prefix");
  });

  test("allowed tokens spell what remains and maybe more, or indentation less the space a word carries", () => {
    const spell = (remaining: string, thenCode = false): Constraint => ({ remaining, thenCode });
    assert.ok(isAllowed(" return", spell(" return")));
    assert.ok(isAllowed(" returns", spell(" return")), "the word may go on: that is the model's to say");
    assert.ok(!isAllowed(" ret", spell(" return")), "a part of a word");
    assert.ok(!isAllowed(" ", spell(" return")), '" " before "return" is not how the text is tokenized');
    assert.ok(!isAllowed(" b", spell(" return")));
    assert.ok(!isAllowed("", spell(" return")), "control tokens and the end of text");
    assert.ok(isAllowed(" ", spell("  ")), '"  return" is " " + " return"');
    assert.ok(!isAllowed(" ", spell("    ")), "only the last space goes with the word");
    // Indentation only: whatever follows it is code.
    assert.ok(isAllowed(" ", spell("  ", true)));
    assert.ok(!isAllowed("  ", spell("  ", true)), "code must follow in the same token");
    assert.ok(!isAllowed("   ", spell("  ", true)));
    assert.ok(isAllowed(" return", spell(" ", true)));
    assert.ok(!isAllowed(" \n", spell(" ", true)));
    // After "return " the space goes with the next word: not a lone space, not more whitespace.
    assert.ok(!isAllowed(" ", spell(" ", true)), "a lone space after the typed one");
    assert.ok(!isAllowed("  ", spell(" ", true)));
    assert.ok(isAllowed(" b", spell(" ", true)));

    assert.deepEqual(advance(spell("  ", true), " "), spell(" ", true));
    assert.ok(isSpelt(advance(spell(" ", true), " return")));
    assert.ok(isSpelt(advance(spell(" return"), " returns")));
    assert.ok(!isSpelt(spell(" ")));
    assert.equal(stripRemoved(" returns x", " return"), "s x");
  });

  test("the constrained distribution is the model's, restricted and renormalised, under the request's sampler", () => {
    const p = distribution({ " return": 0.3, " returns": 0.1, r: 0.4, " b": 0.2 });
    const restricted = defined(constrainedDistribution(p, { remaining: " return", thenCode: false }, textOf, free), "the constrained law");
    const probability = (id: number) => restricted.probs[[...restricted.tokens].indexOf(id)] ?? 0;
    assert.equal(restricted.tokens.length, 2);
    assert.ok(Math.abs(probability(token(" return")) - 0.75) < 1e-12);
    assert.ok(Math.abs(probability(token(" returns")) - 0.25) < 1e-12);
    // Greedy: the most likely allowed token, not the most likely token.
    assert.deepEqual(
      [
        ...defined(
          constrainedDistribution(p, { remaining: " return", thenCode: false }, textOf, { ...free, temperature: 0 }),
          "the greedy law",
        ).tokens,
      ],
      [token(" return")],
    );
    // top-k applies among the allowed tokens.
    assert.deepEqual(
      [
        ...defined(constrainedDistribution(p, { remaining: " return", thenCode: false }, textOf, { ...free, topK: 1 }), "the top-1 law")
          .tokens,
      ],
      [token(" return")],
    );
    // Nothing allowed has probability: the caller falls back to the unhealed prompt.
    assert.equal(constrainedDistribution(distribution({ r: 1 }), { remaining: " return", thenCode: false }, textOf, free), undefined);
    assert.equal(
      constrainedDistribution(distribution({ "<eos>": 1, "  ": 1 }), { remaining: "  ", thenCode: true }, textOf, free, new Set([EOS])),
      undefined,
    );
  });

  test("healed starts follow the restricted law, take one more step for a part, and are reproducible", async () => {
    const prompt = tokens(" {\n");
    const word = new LastTokenTarget(() => distribution({ "  ": 0.1, " return": 0.2, " returns": 0.05, r: 0.3, "\n": 0.35 }));
    const request = { prompt, constraint: { remaining: " return", thenCode: false }, trajectories: 4000, sampling: free, seed: 11, textOf };
    const { starts } = defined(await healedStarts(word, request), "the healed starts");
    assert.equal(word.calls.length, 1, "one batched call when a single token spells it");
    assert.equal(word.calls[0]?.length, 4000);
    const share = starts.filter((start) => start.length === 1 && start[0] === token(" returns")).length / starts.length;
    assert.ok(Math.abs(share - 0.2) < 0.03, `P(" returns" | starts with " return") = 0.05 / 0.25, sampled ${share}`);
    assert.ok(starts.every(([first, ...rest]) => first !== undefined && rest.length === 0 && textOf(first).startsWith(" return")));
    assert.deepEqual((await healedStarts(word, request))?.starts, starts, "the same seed gives the same starts");

    // "  " then code: " " + " return" (two steps), never more indentation.
    const target = new LastTokenTarget((last) =>
      last === " "
        ? distribution({ " return": 0.5, " b": 0.3, "  ": 0.2 })
        : distribution({ " ": 0.1, "  ": 0.1, "   ": 0.1, " return": 0.2, r: 0.3, "\n": 0.2 }),
    );
    const indented = defined(
      (await healedStarts(target, { ...request, trajectories: 200, constraint: { remaining: "  ", thenCode: true } }))?.starts,
      "the indented starts",
    );
    assert.equal(target.calls.length, 2);
    for (const start of indented)
      assert.ok(
        start.length === 2 && start[0] === token(" ") && [token(" return"), token(" b")].includes(start[1] ?? EOS),
        start.map(textOf).join("|"),
      );

    // No allowed token has probability: undefined (decode unhealed).
    const hopeless = new LastTokenTarget(() => distribution({ r: 1 }));
    assert.equal(await healedStarts(hopeless, { ...request, trajectories: 2 }), undefined);
  });

  test("trimming: no more indentation on a line of only indentation, no closing lines with nothing to close", () => {
    assert.equal(trimCompletion("  return b;\n}\n", false, "\n}\n", "  "), "return b;");
    assert.equal(trimCompletion("  return b;", true, "", "x = "), "  return b;", "a line with code keeps what the model wrote");
    assert.equal(trimCompletion("return value\n  }\n}", false, "\n}\n", "  "), "return value", "closing lines with nothing to close");
    assert.equal(
      trimCompletion("if (x) {\n    y();\n  }\n}", false, "\n}\n", "  "),
      "if (x) {\n    y();\n  }",
      "a block it opened stays closed",
    );
  });
});

const WORD_START = /^[\p{L}\p{N}_$]/u;
const MODEL_PATH = join(__dirname, "..", "..", EMBEDDED_MODEL_FILE);

describe("token healing: inline completions through the server on the embedded model", () => {
  let started: ServerHandle | undefined;
  let vocabulary: string[] = [];
  let version = 0;
  before(async () => {
    started = await startServer({
      storagePath: mkdtempSync(join(tmpdir(), "stand-healing-")),
      settings: { inlineCandidates: 3, inlineMaxTokens: 24 },
    });
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: MODEL_PATH, vocabOnly: true });
    vocabulary = Array.from({ length: model.fileInfo.metadata.tokenizer.ggml.tokens.length }, (_, token) =>
      model.detokenize([token as Token]),
    );
    await model.dispose();
    await llama.dispose();
    assert.equal((await started.settled()).state, "ready");
  });
  after(async () => {
    await started?.stop();
  });

  /** The items for a document with the cursor at "|". */
  async function complete(document: string): Promise<string[]> {
    const offset = document.indexOf("|");
    const text = document.slice(0, offset) + document.slice(offset + 1);
    const server = defined(started, "the server");
    const uri = `file:///healing/${version++}.ts`;
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text },
    });
    const lines = text.slice(0, offset).split("\n");
    const items = await server.connection.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri },
      position: { line: lines.length - 1, character: (lines.at(-1) ?? "").length },
      context: { triggerKind: InlineCompletionTriggerKind.Invoked },
    });
    const list = Array.isArray(items) ? items : (items?.items ?? []);
    return list.map((item) => (typeof item.insertText === "string" ? item.insertText : item.insertText.value));
  }

  test("after a complete keyword no item glues a word onto it; the word goes on only into a whole token of the vocabulary", async () => {
    // " returns" and " returned" are tokens: the model may choose them (its distribution given
    // "  return" has them), but nothing else may follow "return" without a break.
    const longer = vocabulary
      .filter((text) => text.startsWith(" return") && text !== " return")
      .map((text) => text.slice(" return".length));
    assert.ok(longer.length > 0 && longer.every((rest) => WORD_START.test(rest)));
    for (const document of [
      "function add(a, b) {\n  return|\n}\n",
      "export function add(a: number, b: number): number {\n  return|\n}\n",
      "class Stack {\n  pop() {\n    return|\n  }\n}\n",
    ]) {
      const items = await complete(document);
      assert.ok(items.length > 0, document);
      for (const item of items) {
        const ok = !WORD_START.test(item) || longer.some((rest) => item.startsWith(rest) && !WORD_START.test(item.slice(rest.length)));
        assert.ok(ok, `${JSON.stringify(document)} → ${JSON.stringify(item)}`);
      }
    }
  });

  test("after a typed space the items start with code: no more whitespace, no repeated keyword", async () => {
    // Each document with the statement's keyword, which the ghost text repeated.
    for (const [document, keyword] of [
      ["export function capitalize(words) {\n  return |\n}\n", "return"],
      ["function add(a, b) {\n  return |\n}\n", "return"],
      ["function join(words) {\n  const first = |\n}\n", "const"],
      ["function f(xs) {\n  if (xs.length === 0) return |\n}\n", "return"],
    ] as const) {
      const items = await complete(document);
      for (const item of items) {
        assert.ok(/^\S/.test(item), `${JSON.stringify(document)} → ${JSON.stringify(item)}: starts with whitespace`);
        assert.ok(!new RegExp(`^${keyword}\\b`).test(item), `${JSON.stringify(document)} → ${JSON.stringify(item)}: repeats "${keyword}"`);
      }
    }
  });

  test("inside a word the items finish it", async () => {
    const items = await complete("function add(a, b) {\n  retur|\n}\n");
    assert.ok(items.length > 0);
    for (const item of items) assert.ok(item.startsWith("n"), JSON.stringify(item));
  });

  test("mid-statement completions come back on one line", async () => {
    const items = await complete("const total = values.reduce(|\n");
    assert.ok(items.length > 0);
    for (const item of items) assert.ok(!item.includes("\n"), JSON.stringify(item));
  });

  test("on a line of only indentation the items start with code, not more indentation", async () => {
    for (const document of ["export function add(a: number, b: number): number {\n  |\n}\n", "class A {\n  run() {\n    |\n  }\n}\n"]) {
      const items = await complete(document);
      assert.ok(items.length > 0, document);
      for (const item of items) assert.ok(/^\S/.test(item), `${JSON.stringify(document)} → ${JSON.stringify(item)}`);
    }
  });
});

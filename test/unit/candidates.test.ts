import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { endsInThinking, extractCodeBlocks, groupByVote, parseAnswer, splitThinking, voteKey } from "../../language-server/src/candidates";
import { completionBoundary, trimCompletion } from "../../language-server/src/inlineCompletion";
import { TextStream } from "../../language-server/src/textStream";

describe("candidates", () => {
  test("the thinking segment is separated from the answer, also when the template opened it", () => {
    assert.deepEqual(splitThinking("<think>try 2 and 3</think>\nThe answer is 5."), {
      thinking: "try 2 and 3",
      answer: "The answer is 5.",
      answerStart: 27,
    });
    assert.deepEqual(splitThinking("first, add\n</think>\n\n5"), { thinking: "first, add", answer: "5", answerStart: 21 });
    assert.deepEqual(splitThinking("<think>still going"), { thinking: "still going", answer: "", answerStart: 18 });
    assert.deepEqual(splitThinking("plain answer"), { answer: "plain answer", answerStart: 0 });
  });

  test("a template that opened the thinking makes the output thinking until the segment closes", () => {
    assert.equal(endsInThinking("<|Assistant|><think>\n"), true);
    assert.equal(endsInThinking("<think>a</think>\n<|Assistant|>"), false);
    assert.equal(endsInThinking("<|im_start|>assistant\n"), false);
    // Streaming: before the tag closes, all of it is thinking; after, the answer follows.
    assert.deepEqual(splitThinking("first, ", true), { thinking: "first,", answer: "", answerStart: 7 });
    assert.deepEqual(splitThinking("first, add\n</think>\n\n5", true), { thinking: "first, add", answer: "5", answerStart: 21 });
    assert.deepEqual(splitThinking("first, ", false), { answer: "first, ", answerStart: 0 });
    // A candidate cut off while thinking has no answer to apply.
    const cut = parseAnswer("still thinking about it", "chat", "", true);
    assert.equal(cut.answer, "");
    assert.equal(cut.thinking, "still thinking about it");
  });

  test("code blocks are extracted, with the editor's language for unlabelled or unfenced code", () => {
    assert.deepEqual(extractCodeBlocks("Here:\n```ts\nconst a = 1;\n```\nand\n```\nb()\n```", "chat", "typescript"), [
      { language: "ts", code: "const a = 1;" },
      { language: "typescript", code: "b()" },
    ]);
    assert.deepEqual(extractCodeBlocks("return a + b;", "code", "typescript"), [{ language: "typescript", code: "return a + b;" }]);
    assert.deepEqual(extractCodeBlocks("no code here", "chat"), []);
  });

  test("the applied part is a range of the text: what the card marks is what is applied and copied", () => {
    const applied = (text: string, kind: "code" | "chat") => {
      const parsed = parseAnswer(text, kind, "typescript");
      return { kind: parsed.applied.kind, text: text.slice(parsed.applied.start, parsed.applied.end) };
    };
    // A chat answer: its first code block, else all of it.
    const chat = "<think>add them</think>\nHere:\n```ts\nconst a = 1;\n```\nDone.";
    assert.deepEqual(applied(chat, "chat"), { kind: "code block", text: "const a = 1;" });
    assert.deepEqual(applied("<think>hm</think>\n\nFive.", "chat"), { kind: "answer", text: "Five." });
    // A code solve continues the selection: a fence the model writes later is not the code.
    const stray = "  const n = values.length;\n  return n;\n}\n\n```typescript\nmean([1, 2]);\n```\n";
    assert.deepEqual(applied(stray, "code"), { kind: "code", text: "  const n = values.length;\n  return n;\n}" });
    assert.deepEqual(parseAnswer(stray, "code", "typescript").codeBlocks, [
      { language: "typescript", code: "  const n = values.length;\n  return n;\n}" },
    ]);
    assert.deepEqual(applied("  return a + b;\n}\n", "code"), { kind: "code", text: "  return a + b;\n}\n" });
    // In Markdown, fences are the document's own: a continuation keeps them.
    const notes = "more text\n```js\nx();\n```\n";
    assert.deepEqual(applied(notes, "code").text, "more text", "in TypeScript, a fence ends the code");
    assert.deepEqual(parseAnswer(notes, "code", "markdown").applied, { start: 0, end: notes.length, kind: "code", language: "markdown" });
    // ... unless the answer is itself fenced.
    assert.deepEqual(applied("\n```ts\nreturn a + b;\n```\n", "code"), { kind: "code block", text: "return a + b;" });
  });

  test("votes: equal code (modulo spacing, comments and trailing semicolons) or equal answers group together, largest group first", () => {
    const answers = [
      "```ts\nreturn a+b; // sum\n```",
      "The answer is 5.",
      "```ts\n  return a+b;\n```",
      "the answer is   5",
      "```ts\nreturn a-b;\n```",
      "```ts\nreturn a + b /* sum */\n```",
      "```js\nreturn a+b;\n```",
      "Here:\n```typescript\nreturn 'a+b';\n```\nand a second block\n```ts\nreturn a-b;\n```",
    ];
    const keys = answers.map((answer) => voteKey(parseAnswer(answer, "chat")));
    assert.deepEqual(groupByVote(keys), [
      { members: [0, 2, 5, 6], representative: 0 },
      { members: [1, 3], representative: 1 },
      { members: [4], representative: 4 },
      { members: [7], representative: 7 },
    ]);
  });
});

describe("inline completion text", () => {
  test("a completion ends at the end of the line when the cursor's line has text, else at a blank line", () => {
    assert.equal(completionBoundary("a + b;\n  return", true), 6);
    assert.equal(completionBoundary("if (x) {\n  y();\n}\n\nfunction z", false), 17);
    assert.equal(completionBoundary("no boundary yet", false), undefined);
  });

  test("trimming drops trailing space and a last line the suffix already has", () => {
    assert.equal(trimCompletion("return a + b;\n}\n\nexport", false, "\n}\n"), "return a + b;");
    assert.equal(trimCompletion("x = 1;   \ny = 2;\n", false, ""), "x = 1;\ny = 2;");
    assert.equal(trimCompletion("a + b; // sum\nmore", true, ""), "a + b; // sum");
    assert.equal(trimCompletion("}\n\nfunction next", false, "\n}\n"), "", "nothing but what follows the cursor already");
  });
});

describe("text stream", () => {
  test("spans carry provenance and concatenate to the final text, holding back incomplete characters", () => {
    // A toy tokenizer: each token is one byte of UTF-8.
    const bytes = [...Buffer.from("héllo 🚀!")];
    const stream = new TextStream((tokens) => Buffer.from(tokens).toString("utf8"));
    const spans = [
      ...stream.push(bytes.slice(0, 2), 1), // "h" + the first half of "é"
      ...stream.push(bytes.slice(2, 8), 3),
      ...stream.push(bytes.slice(8), 0),
      ...stream.flush(),
    ];
    assert.equal(spans.map((span) => span.text).join(""), "héllo 🚀!");
    assert.deepEqual(spans[0], { text: "h", origin: "draft" });
    assert.ok(spans.every((span) => !span.text.includes("\uFFFD")));
    assert.equal(stream.text, "héllo 🚀!");
  });
});

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { ContextChunk } from "../../language-server/src/model/prompt";
import { CHUNK_CHARACTERS, CHUNK_LINES, MAX_PLACES, WorkspaceContext } from "../../language-server/src/workspaceContext";

/** One token per word or punctuation mark, and one per line break, plus a header of 3. */
function countTokens(chunk: ContextChunk): number {
  return 3 + (chunk.text.match(/\w+|[^\w\s]|\n/g)?.length ?? 0);
}

function file(
  name: string,
  lines: number,
  line = (i: number) => `export const ${name}${i} = ${i} * 2; // ${name} line ${i}`,
): TextDocument {
  const text = Array.from({ length: lines }, (_, i) => line(i)).join("\n") + "\n";
  return TextDocument.create(`file:///work/src/${name}.ts`, "typescript", 1, text);
}

function workspaceOf(...documents: TextDocument[]): { context: WorkspaceContext; open: Map<string, TextDocument> } {
  const open = new Map(documents.map((document) => [document.uri, document]));
  return { context: new WorkspaceContext(open, () => ["file:///work"]), open };
}

/** A prompt window somewhere no place is. */
const elsewhere = { uri: "file:///work/src/current.ts", startLine: 0, endLine: 40 };

describe("workspace context", () => {
  test("chunks are windows of the places' files, oldest first, named by their path in the workspace", () => {
    const a = file("alpha", 500);
    const b = file("beta", 50);
    const { context } = workspaceOf(a, b);
    context.touched(a.uri, 300);
    context.touched(b.uri, 10);
    const chunks = context.chunksFor(elsewhere, 10_000, countTokens);
    assert.deepEqual(
      chunks.map((chunk) => chunk.path),
      ["src/alpha.ts", "src/beta.ts"],
    );
    const [alpha, beta] = chunks;
    assert.ok(alpha && beta);
    const alphaLines = alpha.text.trimEnd().split("\n");
    assert.equal(alphaLines.length, CHUNK_LINES, "a window of the 500-line file, not the file");
    assert.ok(alphaLines.includes(`export const alpha300 = 300 * 2; // alpha line 300`), "centred on the place");
    assert.equal(beta.text, b.getText({ start: { line: 0, character: 0 }, end: { line: 50, character: 0 } }), "a short file whole");
  });

  test("a place near a known one moves it and makes it the newest; the oldest of more than 16 is forgotten", () => {
    const documents = Array.from({ length: MAX_PLACES + 1 }, (_, i) => file(`f${i}`, 20));
    const { context } = workspaceOf(...documents);
    for (const document of documents) context.touched(document.uri, 5);
    const names = (): string[] => context.chunksFor(elsewhere, 1e6, countTokens).map((chunk) => chunk.path);
    assert.equal(names().length, MAX_PLACES);
    assert.ok(!names().includes("src/f0.ts"), "the oldest place is gone");
    context.touched(documents[1]?.uri ?? "", 12);
    assert.equal(names().at(-1), "src/f1.ts", "touched again: the newest");
    assert.equal(names().length, MAX_PLACES, "moved, not added");
  });

  test("a chunk much like a newer one is left out", () => {
    const original = file("original", 30);
    const copy = TextDocument.create(
      "file:///work/src/copy.ts",
      "typescript",
      1,
      original.getText().replace("line 29", "line twenty-nine"),
    );
    const other = file("other", 30);
    const { context } = workspaceOf(original, copy, other);
    context.touched(original.uri, 10);
    context.touched(other.uri, 10);
    context.touched(copy.uri, 10);
    assert.deepEqual(
      context.chunksFor(elsewhere, 1e6, countTokens).map((chunk) => chunk.path),
      ["src/other.ts", "src/copy.ts"],
    );
  });

  test("places the prompt's own window shows are left out", () => {
    const current = file("current", 1000);
    const { context } = workspaceOf(current);
    context.touched(current.uri, 20);
    context.touched(current.uri, 700);
    const chunks = context.chunksFor({ uri: current.uri, startLine: 0, endLine: 40 }, 1e6, countTokens);
    assert.equal(chunks.length, 1);
    assert.ok(chunks[0]?.text.includes("current line 700"));
    assert.ok(!chunks[0]?.text.includes("current line 20\n"));
  });

  test("the chunks stay within the budget: the newest whole, then the middle lines of the next that fit, and no more", () => {
    const documents = Array.from({ length: 6 }, (_, i) => file(`g${String(i)}`, 64));
    const { context } = workspaceOf(...documents);
    for (const document of documents) context.touched(document.uri, 32);
    const each = countTokens({ path: "", text: documents[0]?.getText() ?? "" });
    assert.deepEqual(context.chunksFor(elsewhere, 0, countTokens), []);
    for (const budget of [each - 1, each, 2 * each + 200, 10 * each]) {
      const chunks = context.chunksFor(elsewhere, budget, countTokens);
      const used = chunks.reduce((sum, chunk) => sum + countTokens(chunk), 0);
      assert.ok(used <= budget, `${String(used)} tokens in a budget of ${String(budget)}`);
      const whole = Math.min(6, Math.floor(budget / each));
      const newest = documents.slice(6 - chunks.length).reverse();
      chunks.reverse().forEach((chunk, i) => {
        const document = newest[i];
        assert.ok(document);
        assert.equal(chunk.path, context.pathOf(document.uri), "the newest first");
        if (i < whole) assert.equal(chunk.text, document.getText(), "whole");
        else {
          assert.ok(document.getText().includes(chunk.text) && chunk.text.length < document.getText().length, "a part");
          assert.ok(chunk.text.includes("line 32\n"), "around its place");
          assert.ok(used > budget - 30, "the part fills what the whole ones left, to a line");
        }
      });
      assert.ok(chunks.length === whole || chunks.length === whole + 1);
    }
  });

  test("a file of very long lines gives a chunk of at most CHUNK_CHARACTERS around the place", () => {
    const minified = file("minified", 200, (i) => `var v${i}=` + "x".repeat(900) + ";");
    const { context } = workspaceOf(minified);
    context.touched(minified.uri, 100);
    const [chunk] = context.chunksFor(elsewhere, 1e6, countTokens);
    assert.ok(chunk);
    assert.ok(chunk.text.length <= CHUNK_CHARACTERS);
    assert.ok(chunk.text.includes("var v100="), "the place's own line is kept");
  });

  test("a closed document's chunks are kept as they were; a place in a document that is gone is skipped", () => {
    const closed = file("closed", 40);
    const { context, open } = workspaceOf(closed);
    context.touched(closed.uri, 10);
    context.touched("file:///work/src/never-opened.ts", 3);
    context.closing(closed);
    open.delete(closed.uri);
    const chunks = context.chunksFor(elsewhere, 1e6, countTokens);
    assert.deepEqual(
      chunks.map((chunk) => chunk.path),
      ["src/closed.ts"],
    );
    assert.ok(chunks[0]?.text.includes("closed line 10"));
  });

  test("tiny chunks are not worth their header", () => {
    const tiny = TextDocument.create("file:///work/tiny.ts", "typescript", 1, "x\n\n");
    const { context } = workspaceOf(tiny);
    context.touched(tiny.uri, 0);
    assert.deepEqual(context.chunksFor(elsewhere, 1e6, countTokens), []);
  });
});

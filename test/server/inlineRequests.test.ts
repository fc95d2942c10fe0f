// Inline completions as the server serves them, over LSP on the embedded model: the completion
// cache, its invalidation, and the prefetch after an acceptance.
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import {
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  InlineCompletionTriggerKind,
  type Position,
} from "vscode-languageserver-protocol";
import { AcceptedCompletionNotification, InlineStatisticsRequest, VisitedNotification, type InlineStatistics } from "../../common/protocol";
import { INLINE_CONTEXT_TOKENS, INLINE_PROMPT_TOKENS } from "../../language-server/src/promptWindow";
import { inlineStatisticsWhen, inlineTexts, startServer, type ServerHandle } from "../../fixtures/serverProcess";
import { defined } from "../support/defined";

const SETTINGS = { inlineCandidates: 3, inlineMaxTokens: 24 };
const TEXT = `export function add(a: number, b: number): number {
  return a + b;
}

export function scale(values: number[], factor: number): number[] {
  
}

export function total(values: number[]): number {
  
}
`;

describe("inline requests over LSP", () => {
  let started: ServerHandle | undefined;
  const server = (): ServerHandle => defined(started, "the server");
  let version = 1;
  let text = TEXT;
  const uri = "file:///work/inline.ts";

  const complete = (position: Position): Promise<string[]> => inlineTexts(server().connection, uri, position);
  const statistics = (): Promise<InlineStatistics> => server().connection.sendRequest(InlineStatisticsRequest);
  /** Inserts `inserted` at `position` as the editor would, returning the new version. */
  const insert = async (position: Position, inserted: string): Promise<number> => {
    const lines = text.split("\n");
    const line = lines[position.line] ?? "";
    lines[position.line] = line.slice(0, position.character) + inserted + line.slice(position.character);
    text = lines.join("\n");
    version++;
    await server().connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: position, end: position }, text: inserted }],
    });
    return version;
  };
  /** Where the cursor is after inserting `inserted` at `position`. */
  const cursorAfter = (position: Position, inserted: string): Position => {
    const lines = inserted.split("\n");
    return lines.length === 1
      ? { line: position.line, character: position.character + inserted.length }
      : { line: position.line + lines.length - 1, character: (lines.at(-1) ?? "").length };
  };
  /** The server's settings, as the client sends them when the user changes them. */
  const configure = (settings: typeof SETTINGS): Promise<void> =>
    server().connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { stand: settings } });
  const waitFor = (condition: (statistics: InlineStatistics) => boolean): Promise<InlineStatistics> =>
    inlineStatisticsWhen(server().connection, condition);

  before(async () => {
    started = await startServer({ settings: SETTINGS });
    assert.equal((await server().settled()).state, "ready");
    await server().connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version, text },
    });
  });
  after(async () => {
    await started?.stop();
  });

  test("the same window again is answered from the cache, with the same items", async () => {
    const before = await statistics();
    const first = await complete({ line: 5, character: 2 });
    const second = await complete({ line: 5, character: 2 });
    const now = await statistics();
    assert.deepEqual(second, first);
    assert.equal(now.requests - before.requests, 2);
    assert.equal(now.cacheHits - before.cacheHits, 1, "the second request is a hit");
  });

  test("a settings change empties the cache", async () => {
    await complete({ line: 9, character: 2 });
    const before = await statistics();
    await configure({ ...SETTINGS, inlineMaxTokens: 20 });
    await complete({ line: 9, character: 2 });
    const now = await statistics();
    assert.equal(now.cacheHits, before.cacheHits, "computed again with the new settings");
    assert.equal(now.cacheEntries, 1, "the old entries are gone");
  });

  test("after an acceptance the next completion is computed ahead, and the request for it waits for it or finds it cached", async () => {
    const position = { line: 5, character: 2 };
    const [accepted = "values.map((value) => value * factor);"] = await complete(position);
    const before = await statistics();
    const next = cursorAfter(position, accepted);
    await server().connection.sendNotification(AcceptedCompletionNotification, {
      text: accepted,
      uri,
      version: await insert(position, accepted),
      position: next,
    });
    await waitFor((current) => current.prefetches > before.prefetches);
    await complete(next);
    const now = await statistics();
    assert.equal(now.prefetchesUsed - before.prefetchesUsed, 1);
    assert.equal(now.prefetchesCancelled, before.prefetchesCancelled);
    assert.equal(now.cacheHits - before.cacheHits, 1);
  });

  test("a request elsewhere does not wait for a prefetch: the prefetch is cancelled if still running, else its completion stays cached for its own place", async (t) => {
    // Whether the prefetch is still running when the request comes is a race on a model this fast
    // (a completion can take a few milliseconds), so the test asserts what holds either way.
    await configure({ ...SETTINGS, inlineMaxTokens: 256 });
    try {
      const position = { line: 9, character: 2 };
      const accepted = "let sum = 0;";
      const next = cursorAfter(position, accepted);
      const before = await statistics();
      await server().connection.sendNotification(AcceptedCompletionNotification, {
        text: accepted,
        uri,
        version: await insert(position, accepted),
        position: next,
      });
      await waitFor((current) => current.prefetches > before.prefetches);
      await complete({ line: 1, character: 15 });
      const afterElsewhere = await statistics();
      const cancelled = afterElsewhere.prefetchesCancelled - before.prefetchesCancelled;
      assert.equal(afterElsewhere.prefetchesUsed, before.prefetchesUsed, "the request elsewhere used the prefetch");
      await complete(next);
      const used = (await statistics()).prefetchesUsed - before.prefetchesUsed;
      // Cancelled: the prefetched place is computed afresh. Finished first: it is found cached.
      assert.equal(cancelled + used, 1, `cancelled ${cancelled}, then used ${used}`);
      t.diagnostic(cancelled === 1 ? "the prefetch was running and was cancelled" : "the prefetch had finished; its place was a cache hit");
    } finally {
      await configure(SETTINGS);
    }
  });

  test("edits and visits elsewhere become context chunks of the prompt, within the budget the model's context leaves", async () => {
    const open = async (name: string, lines: number): Promise<string> => {
      const other = `file:///work/${name}.ts`;
      const body = Array.from({ length: lines }, (_, i) => `export const ${name}${String(i)} = ${String(i)}; // ${name} ${String(i)}`);
      await server().connection.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri: other, languageId: "typescript", version: 1, text: body.join("\n") + "\n" },
      });
      return other;
    };
    // Small files: the embedded model's context leaves room for two of them whole.
    const edited = await open("edited", 16);
    const visited = await open("visited", 16);
    await server().connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: edited, version: 2 },
      contentChanges: [{ range: { start: { line: 8, character: 0 }, end: { line: 8, character: 0 } }, text: "// changed\n" }],
    });
    await complete({ line: 1, character: 2 });
    const afterEdit = (await statistics()).lastContext;
    assert.equal(afterEdit.chunks, 1, `the edited place: ${JSON.stringify(afterEdit)}`);
    await server().connection.sendNotification(VisitedNotification, { uri: visited, line: 5 });
    await server().connection.sendNotification(VisitedNotification, { uri: "file:///work/not-open.ts", line: 3 });
    await complete({ line: 1, character: 3 });
    const afterVisit = (await statistics()).lastContext;
    assert.equal(afterVisit.chunks, 2, "the edited and the visited place (a document the server does not have is no place)");
    const model = defined((await server().settled()).model, "the model");
    const budget = Math.min(INLINE_CONTEXT_TOKENS, model.contextSize - SETTINGS.inlineMaxTokens - 16 - INLINE_PROMPT_TOKENS);
    assert.ok(
      afterVisit.tokens > afterEdit.tokens && afterVisit.tokens <= budget,
      `${String(afterVisit.tokens)} tokens, budget ${String(budget)}`,
    );
  });

  test("asked for alternatives after typing through a cached completion, the window's own are computed after it", async () => {
    const position = { line: 9, character: 2 };
    await configure({ ...SETTINGS, inlineMaxTokens: 24 });
    const completions = await complete(position);
    const cached = completions.find((completion) => completion.trim().length > 1);
    if (cached === undefined) throw new Error("no completion of two characters or more to type through");
    // The user types the completion's first character: the cache answers with the rest of each
    // completion that starts so, and nothing else.
    const typed = cached.slice(0, 1);
    const rest = completions
      .filter((completion) => completion.startsWith(typed) && completion.length > 1)
      .map((completion) => completion.slice(1));
    const next = cursorAfter(position, typed);
    await insert(position, typed);
    const before = await statistics();
    assert.deepEqual(await complete(next), rest);
    assert.equal((await statistics()).typedThroughHits - before.typedThroughHits, 1, "a typed-through hit");
    // Alt+]: VS Code asks again, explicitly, for every alternative.
    const alternatives = await inlineTexts(server().connection, uri, next, InlineCompletionTriggerKind.Invoked);
    assert.deepEqual(alternatives.slice(0, rest.length), rest, "what the user was looking at stays first");
    assert.equal(new Set(alternatives).size, alternatives.length, "no completion twice");
    // Computed for this window and cached under it: typing pauses again, and the cache has them all.
    const again = await complete(next);
    const now = await statistics();
    assert.deepEqual(again, alternatives);
    assert.equal(now.typedThroughHits - before.typedThroughHits, 2, "the alternatives request typed through too, the last one did not");
    assert.equal(now.cacheHits - before.cacheHits, 3);
  });

  test("an acceptance the document has moved past starts no prefetch", async () => {
    const before = await statistics();
    await server().connection.sendNotification(AcceptedCompletionNotification, {
      text: "x",
      uri,
      version: version - 1,
      position: { line: 0, character: 0 },
    });
    // The statistics request is answered after the notification is handled.
    await delay(50);
    assert.equal((await statistics()).prefetches, before.prefetches);
  });
});

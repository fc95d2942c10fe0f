// The warm-up of a visited place over LSP on the embedded model: where the cursor rests
// (stand/visited), the inline prompt is evaluated ahead, and the request there returns exactly
// what it returns cold. The completion cache is off, so that every request reaches the model.
// Greedy, one candidate: sampled candidates follow the drafts, which the table learns from every
// completion, so the same request sampled again may differ (losslessly, in distribution) whatever
// the sequences hold; a greedy completion is the model's alone.
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { DidOpenTextDocumentNotification, type Position } from "vscode-languageserver-protocol";
import { InlineStatisticsRequest, VisitedNotification, type InlineStatistics } from "../../common/protocol";
import { inlineStatisticsWhen, inlineTexts, startServer, type ServerHandle } from "../../fixtures/serverProcess";
import { defined } from "../support/defined";

const SETTINGS = { inlineCandidates: 1, temperature: 0, inlineMaxTokens: 24 };

/** 200 lines of small functions: the window around any place in the middle is full. */
const TEXT = Array.from(
  { length: 40 },
  (_, i) =>
    `export function scale${String(i)}(values: number[]): number[] {\n  const factor = ${String(i)};\n  return values.map((value) => value * factor);\n}\n`,
).join("\n");

describe("warm-up of a visited place over LSP", () => {
  let started: ServerHandle | undefined;
  const server = (): ServerHandle => defined(started, "the server");
  const uri = "file:///work/warm.ts";
  const lines = TEXT.split("\n");
  /** The end of line `line`, where the cursor rests. */
  const endOf = (line: number): Position => ({ line, character: (lines[line] ?? "").length });

  const complete = (position: Position): Promise<string[]> => inlineTexts(server().connection, uri, position);
  const statistics = (): Promise<InlineStatistics> => server().connection.sendRequest(InlineStatisticsRequest);
  const visit = (position: Position): Promise<void> =>
    server().connection.sendNotification(VisitedNotification, { uri, line: position.line, character: position.character });
  const waitFor = (condition: (statistics: InlineStatistics) => boolean): Promise<InlineStatistics> =>
    inlineStatisticsWhen(server().connection, condition);

  before(async () => {
    started = await startServer({ settings: SETTINGS, inline: { cache: false } });
    assert.equal((await server().settled()).state, "ready");
    await server().connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text: TEXT },
    });
  });
  after(async () => {
    await started?.stop();
  });

  test("a request at a visited place finds it warm and returns exactly the items it returns cold", async () => {
    // Places far apart: their windows share nothing, so the second evicts the first from the sequences.
    for (const [place, elsewhere] of [
      // After "  return values." and after a line's indentation.
      [{ line: 122, character: 16 }, endOf(21)],
      [{ line: 152, character: 2 }, endOf(41)],
    ] as const) {
      const cold = await complete(place);
      assert.ok(cold.length > 0, "the cold request has items");
      await complete(elsewhere);
      const before = await statistics();
      await visit(place);
      await waitFor((current) => current.warmUps > before.warmUps);
      const warm = await complete(place);
      const now = await statistics();
      assert.deepEqual(warm, cold);
      assert.equal(now.warmUpsUsed - before.warmUpsUsed, 1, "the request found the warmed window");
      assert.equal(now.warmUpsCancelled, before.warmUpsCancelled);
    }
  });

  test("a request elsewhere cancels a warm-up in flight, and the next request at either place is unchanged", async () => {
    const visited = { line: 182, character: 16 };
    const elsewhere = endOf(11);
    const coldVisited = await complete(visited);
    const coldElsewhere = await complete(elsewhere);
    await complete(endOf(91));
    const before = await statistics();
    await visit(visited);
    const cancelling = await complete(elsewhere);
    const now = await statistics();
    assert.equal(now.warmUpsCancelled - before.warmUpsCancelled, 1, JSON.stringify(now));
    assert.equal(now.warmUps, before.warmUps, "the warm-up did not finish");
    assert.deepEqual(cancelling, coldElsewhere);
    assert.deepEqual(await complete(visited), coldVisited);
  });

  test("a visit while a request is in flight warms nothing", async () => {
    const before = await statistics();
    const request = complete(endOf(61));
    await visit(endOf(71));
    await request;
    await delay(50);
    const now = await statistics();
    assert.equal(now.warmUps, before.warmUps);
    assert.equal(now.warmUpsCancelled, before.warmUpsCancelled);
  });
});

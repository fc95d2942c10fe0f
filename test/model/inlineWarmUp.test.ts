// The warm-up of an inline place on the embedded model (inlineCompletion.ts warmInline): after it,
// a completion there, or one character typed there, evaluates far fewer tokens than cold, and a
// greedy completion is the same; inside a word, token healing's reading is kept, so neither reads
// the model for its start. Tokens are counted at node-llama-cpp's controlledEvaluate.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { defaultSettings, type StandSettings } from "../../common/protocol";
import { completeInline, inlineRequestAt, warmInline } from "../../language-server/src/inlineCompletion";
import { ModelSession } from "../../language-server/src/model/session";
import { countEvaluatedTokens, type EvaluatedTokens } from "../support/evaluatedTokens";

const MODEL_PATH = join(__dirname, "..", "..", "models", "stand-code-mini.gguf");

/** 200 lines of small functions: the window around any place in the middle is full. */
const TEXT = Array.from(
  { length: 40 },
  (_, i) =>
    `export function scale${String(i)}(values: number[]): number[] {\n  const factor = ${String(i)};\n  return values.map((value) => value * factor);\n}\n`,
).join("\n");

function offsetOf(text: string, line: number, character: number): number {
  const lines = text.split("\n").slice(0, line);
  return lines.reduce((sum, content) => sum + content.length + 1, 0) + character;
}

describe("inline warm-up on the embedded model", () => {
  let session: ModelSession;
  let counter: EvaluatedTokens | undefined;
  /** Tokens node-llama-cpp evaluated since the counter was installed. */
  const evaluated = (): number => counter?.count ?? 0;

  before(async () => {
    session = await ModelSession.open({ path: MODEL_PATH, gpu: false });
    counter = await countEvaluatedTokens();
  });

  after(async () => {
    counter?.restore();
    await session.dispose();
  });

  /** Completes at `offset` of `text` after a completion far away, warmed at `warmAt` of TEXT first or not; with the tokens it evaluated. */
  const completeAfterElsewhere = async (
    settings: StandSettings,
    text: string,
    offset: number,
    warmAt: number | undefined,
  ): Promise<{ items: string[]; evaluated: number }> => {
    const signal = new AbortController().signal;
    // Only the warm-up may have kept a healing reading here, not an earlier test's completion.
    session.healingReadings.clear();
    await completeInline(session, inlineRequestAt(session, TEXT, offsetOf(TEXT, 21, 0), settings), settings, signal);
    if (warmAt !== undefined) await warmInline(session, inlineRequestAt(session, TEXT, warmAt, settings), settings, signal);
    const before = evaluated();
    const items = await completeInline(session, inlineRequestAt(session, text, offset, settings), settings, signal);
    return { items, evaluated: evaluated() - before };
  };

  for (const candidates of [1, 3]) {
    test(`${String(candidates)} candidate(s): warmed, the place itself and one character typed there evaluate a fraction of the tokens${candidates === 1 ? ", with the same greedy items" : ""}`, async (t) => {
      const settings: StandSettings = { ...defaultSettings, inlineCandidates: candidates, temperature: 0, inlineMaxTokens: 16 };
      // After "  return values." and after a line's indentation.
      for (const [line, character] of [
        [122, 16],
        [152, 2],
      ] as const) {
        const place = offsetOf(TEXT, line, character);
        const typed = TEXT.slice(0, place) + "m" + TEXT.slice(place);
        for (const [text, offset] of [
          [TEXT, place],
          [typed, place + 1],
        ] as const) {
          const cold = await completeAfterElsewhere(settings, text, offset, undefined);
          const warm = await completeAfterElsewhere(settings, text, offset, place);
          const what = `line ${String(line)}:${String(character)}${text === typed ? " + 1 typed" : ""}: ${String(warm.evaluated)} tokens warm, ${String(cold.evaluated)} cold`;
          t.diagnostic(what);
          assert.ok(cold.evaluated > 200, what);
          assert.ok(warm.evaluated * 2 < cold.evaluated, what);
          if (candidates === 1) assert.deepEqual(warm.items, cold.items, what);
        }
      }
    });
  }

  test("a warm-up inside a word keeps healing's reading: a completion there and one with the word typed on read no start", async () => {
    const settings: StandSettings = { ...defaultSettings, inlineCandidates: 3, temperature: 0.7, inlineMaxTokens: 8 };
    const signal = new AbortController().signal;
    // "  return val|ues.map(…", then "u" typed: "  return valu|ues.map(…". Both back off to "  return"
    // (" val" and " val" + "u"); typing a token that starts a new cut (".map" after ".ma") reads again.
    const place = offsetOf(TEXT, 122, 12);
    const typed = TEXT.slice(0, place) + "u" + TEXT.slice(place);
    const target = await session.inlineTargetFor(settings.inlineCandidates);
    const evaluateReadings = target.evaluateReadings.bind(target);
    let healingReads = 0;
    target.evaluateReadings = (...args) => {
      healingReads++;
      return evaluateReadings(...args);
    };
    try {
      session.healingReadings.clear();
      await completeInline(session, inlineRequestAt(session, TEXT, place, settings), settings, signal);
      assert.ok(healingReads > 0, "without a kept reading, healing reads the model");

      session.healingReadings.clear();
      await warmInline(session, inlineRequestAt(session, TEXT, place, settings), settings, signal);
      healingReads = 0;
      const there = await completeInline(session, inlineRequestAt(session, TEXT, place, settings), settings, signal);
      const typedOn = await completeInline(session, inlineRequestAt(session, typed, place + 1, settings), settings, signal);
      assert.equal(healingReads, 0, "a healing read after the warm-up");
      assert.ok(there.length > 0 && typedOn.length > 0, "both completions have items");
    } finally {
      Reflect.deleteProperty(target, "evaluateReadings");
    }
  });

  test("a warm-up whose signal is aborted stops, and the completion after it is the cold one", async () => {
    const settings: StandSettings = { ...defaultSettings, inlineCandidates: 1, temperature: 0, inlineMaxTokens: 16 };
    const place = offsetOf(TEXT, 182, 16);
    const cold = await completeAfterElsewhere(settings, TEXT, place, undefined);
    const controller = new AbortController();
    const warming = warmInline(session, inlineRequestAt(session, TEXT, place, settings), settings, controller.signal);
    controller.abort();
    await assert.rejects(warming);
    const items = await completeInline(session, inlineRequestAt(session, TEXT, place, settings), settings, new AbortController().signal);
    assert.deepEqual(items, cold.items);
  });
});

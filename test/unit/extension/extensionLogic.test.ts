// The extension's logic that needs no VS Code: settings mapping, crash back-off, status bar text
// and what an applied candidate inserts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defaultSettings, type ServerStatus } from "../../../common/protocol";
import { candidateEditText } from "../../../extension/src/candidateEdit";
import { bestCandidateNote, unavailableReason } from "../../../extension/src/checksText";
import { CrashBackoff } from "../../../extension/src/crashBackoff";
import { serverSettingsFrom } from "../../../extension/src/settingsMapping";
import { inlineStatusContent, statusBarContent } from "../../../extension/src/statusBarText";
import { followChange } from "../../../extension/src/trackedRange";

describe("extension logic", () => {
  test("settings: defaults when unset, flat inline keys mapped, bad values clamped or ignored", () => {
    assert.deepEqual(serverSettingsFrom(() => undefined).server, defaultSettings);
    const values: Record<string, unknown> = {
      model: "  /models/x.gguf ",
      gpu: "quantum",
      trajectories: 500,
      temperature: -1,
      topK: 12.4,
      "inline.candidates": 5,
      "inline.enabled": false,
      "inline.disabledLanguages": ["markdown", 3],
      "inline.debounceMs": 75,
      draftShape: "chain",
      persistTable: false,
      busyWait: false,
    };
    const settings = serverSettingsFrom((key) => values[key]);
    assert.equal(settings.server.model, "/models/x.gguf");
    assert.equal(settings.server.gpu, "auto");
    assert.equal(settings.server.trajectories, 64);
    assert.equal(settings.server.temperature, 0);
    assert.equal(settings.server.topK, 12);
    assert.equal(settings.server.inlineCandidates, 5);
    assert.equal(settings.server.draftShape, "chain");
    const shapeOf = (value: unknown) => serverSettingsFrom((key) => (key === "draftShape" ? value : undefined)).server.draftShape;
    assert.equal(shapeOf("tree"), "tree");
    assert.equal(shapeOf("bush"), "auto");
    assert.equal(settings.server.persistTable, false);
    assert.equal(settings.server.busyWait, false);
    assert.deepEqual(settings.inline, { enabled: false, disabledLanguages: ["markdown"], debounceMs: 75 });
  });

  test("checks settings: ask by default, an unknown mode falls back to ask, the test command is trimmed", () => {
    assert.deepEqual(serverSettingsFrom(() => undefined).checks, { run: "ask", testCommand: "" });
    const values: Record<string, unknown> = { "checks.run": "always", "checks.testCommand": "  node --test  " };
    assert.deepEqual(serverSettingsFrom((key) => values[key]).checks, { run: "always", testCommand: "node --test" });
    assert.equal(serverSettingsFrom((key) => (key === "checks.run" ? "sometimes" : undefined)).checks.run, "ask");
    assert.equal(serverSettingsFrom((key) => (key === "checks.run" ? "never" : undefined)).checks.run, "never");
  });

  test("checks never run in an untrusted workspace, whatever the setting, nor when they are off", () => {
    assert.equal(unavailableReason({ mode: "always", trusted: false })?.kind, "untrusted");
    assert.equal(unavailableReason({ mode: "never", trusted: false })?.kind, "untrusted");
    assert.equal(unavailableReason({ mode: "never", trusted: true })?.kind, "off");
    assert.equal(unavailableReason({ mode: "ask", trusted: true }), undefined);
    assert.equal(unavailableReason({ mode: "always", trusted: true }), undefined);
  });

  test("Apply Best says which candidate it chose and why, and when none passed", () => {
    const result = (passed: number, message?: string) => ({
      trajectory: 2,
      status: passed === 3 ? ("passed" as const) : ("failed" as const),
      passed,
      total: 3,
      results: [],
      message,
      durationMs: 5,
    });
    assert.equal(
      bestCandidateNote({ by: "checks", trajectory: 2, result: result(3), passed: true }, 4),
      "applied candidate 3: it passed all 3 checks.",
    );
    assert.equal(
      bestCandidateNote({ by: "checks", trajectory: 0, result: { ...result(3), total: 1, passed: 1 }, passed: true }, 4),
      "applied candidate 1: it passed the check.",
    );
    assert.equal(
      bestCandidateNote({ by: "checks", trajectory: 2, result: result(1, "SyntaxError: Unexpected token"), passed: false }, 4),
      "no candidate passed every check. The best, candidate 3, passed 1 of 3 (SyntaxError: Unexpected token).",
    );
    assert.equal(
      bestCandidateNote({ by: "vote", trajectory: 0, agreeing: 2 }, 4, "There is nothing to check: write @example lines"),
      "applied candidate 1, the one most candidates agree with (2 of 4). No checks ran: there is nothing to check: write @example lines",
    );
  });

  test("crash back-off doubles the pause, gives up after five crashes in five minutes, forgives old ones", () => {
    const backoff = new CrashBackoff(1000, 30_000, 5, 300_000);
    const delays = [0, 1, 2, 3, 4].map((i) => backoff.onCrash(i * 1000));
    assert.deepEqual(
      delays.map((d) => d.delayMs),
      [1000, 2000, 4000, 8000, 16_000],
    );
    assert.ok(delays.every((d) => d.restart));
    assert.deepEqual(backoff.onCrash(6000), { restart: false, delayMs: 0, crashes: 6 });
    assert.deepEqual(backoff.onCrash(6000 + 300_000), { restart: true, delayMs: 1000, crashes: 1 });
    backoff.reset();
    assert.equal(backoff.onCrash(400_000).delayMs, 1000);
  });

  test("the status bar shows loading, the model and backend, live speed, and errors", () => {
    const ready: ServerStatus = {
      version: "0.1.0",
      state: "ready",
      model: {
        path: "/m/stand-code-mini.gguf",
        name: "stand-code-mini.gguf",
        sizeBytes: 1,
        backend: "cuda",
        devices: ["H100"],
        contextSize: 1024,
        fillInTheMiddle: true,
        chatTemplate: false,
        threads: 1,
        embedded: false,
        memory: { ram: 0, vram: 0 },
      },
      table: { entries: 1234, bytes: 0 },
      requestsInFlight: 0,
    };
    assert.match(
      statusBarContent({ kind: "running" }, { ...ready, state: "loading", model: undefined }, undefined).text,
      /loading~spin.*loading model/,
    );
    const idle = statusBarContent({ kind: "running" }, ready, undefined);
    assert.equal(idle.text, "$(sparkle) stand-code-mini · CUDA");
    assert.match(idle.tooltip, /H100/);
    assert.match(idle.tooltip, /1,234 entries/);
    assert.equal(
      statusBarContent({ kind: "running" }, ready, { tokensPerSecond: 812.4, tokensPerCall: 2.345 }).text,
      "$(sync~spin) stand-code-mini · 812 tok/s · 2.35 tok/step",
    );
    // The built-in model says what it is, in the item and its tooltip.
    const demo = statusBarContent({ kind: "running" }, { ...ready, model: ready.model && { ...ready.model, embedded: true } }, undefined);
    assert.equal(demo.text, "$(sparkle) stand-code-mini (demo) · CUDA");
    assert.match(demo.tooltip, /demo: it shows how STAND works.*Select Model/);
    assert.doesNotMatch(idle.text + idle.tooltip, /demo/, "a model the user chose is not called a demo");
    const failed = statusBarContent(
      { kind: "running" },
      { ...ready, state: "error", model: undefined, error: { code: 1001, message: "No model file at /x." } },
      undefined,
    );
    assert.ok(failed.error);
    assert.match(failed.tooltip, /No model file at \/x\./);
    assert.match(statusBarContent({ kind: "restarting", inSeconds: 4 }, ready, undefined).text, /restarting in 4 s/);
  });

  test("a code solve keeps the selection in front of its continuation, except when inserted at the cursor", () => {
    const candidate = {
      trajectory: 0,
      text: "  return a + b;\n}",
      answer: "  return a + b;\n}",
      answerStart: 0,
      codeBlocks: [{ language: "js", code: "  return a + b;\n}" }],
      applied: { start: 0, end: 17, kind: "code" as const, language: "js" },
      finishReason: "stop" as const,
      statistics: { tokens: 1, targetCalls: 1, tokensPerCall: 1, acceptedDraftTokens: 0, draftedTokens: 0, tokensPerSecond: 1 },
      group: 0,
    };
    const code = { kind: "code" as const, problem: "function add(a, b) {\n" };
    assert.equal(candidateEditText(code, candidate, "insert"), "  return a + b;\n}");
    assert.equal(candidateEditText(code, candidate, "replace"), "function add(a, b) {\n  return a + b;\n}");
    const chat = { kind: "chat" as const, problem: "Write add" };
    assert.equal(
      candidateEditText(
        chat,
        {
          ...candidate,
          text: "```js\nconst add = (a, b) => a + b;\n```",
          applied: { start: 6, end: 34, kind: "code block", language: "js" },
        },
        "replace",
      ),
      "const add = (a, b) => a + b;",
    );
  });

  test("inline completions: the status item says on, off, or off for this language", () => {
    assert.equal(inlineStatusContent(true, "typescript", ["markdown"]).text, "$(check) Inline");
    assert.equal(inlineStatusContent(false, "typescript", ["markdown"]).text, "$(circle-slash) Inline");
    const markdown = inlineStatusContent(true, "markdown", ["markdown"]);
    assert.equal(markdown.text, "$(circle-slash) Inline");
    assert.match(markdown.tooltip, /off for markdown/);
  });

  test("a solve's range follows edits: moved by edits before it, kept by edits after, widened by edits in it", () => {
    const range = { start: 100, end: 150 };
    // Two lines typed at the top of the file.
    assert.deepEqual(followChange(range, { rangeOffset: 0, rangeLength: 0, text: "// a\n// b\n" }), { start: 110, end: 160 });
    // A line deleted above it, and text typed right at its start (it stays in front of the range).
    assert.deepEqual(followChange(range, { rangeOffset: 40, rangeLength: 20, text: "" }), { start: 80, end: 130 });
    assert.deepEqual(followChange(range, { rangeOffset: 100, rangeLength: 0, text: "xy" }), { start: 102, end: 152 });
    // Edits after it, or right at its end, leave it alone.
    assert.deepEqual(followChange(range, { rangeOffset: 150, rangeLength: 3, text: "" }), range);
    // An edit inside or across it: the range covers the edit (the caller then finds the text changed).
    assert.deepEqual(followChange(range, { rangeOffset: 120, rangeLength: 5, text: "abc" }), { start: 100, end: 148 });
    assert.deepEqual(followChange(range, { rangeOffset: 90, rangeLength: 20, text: "" }), { start: 90, end: 130 });
    // An empty range (a cursor) moves with text typed before it.
    assert.deepEqual(followChange({ start: 10, end: 10 }, { rangeOffset: 10, rangeLength: 0, text: "abc" }), { start: 13, end: 13 });
  });
});

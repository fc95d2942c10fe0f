// The candidates panel in real Chromium: the built dist/webview/ bundle in the page panelHtml()
// makes, under its real CSP, fed a solve recorded from the language server on the embedded model
// (fixtures/panel/record.ts), with acquireVsCodeApi played by test/webview/harness.ts.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import {
  agreement,
  emptyPanelState,
  reducePanel,
  type FromPanel,
  type PanelEvent,
  type PanelState,
  type SolveState,
  type ToPanel,
} from "../../common/panel";
import type { Candidate, SolveResult } from "../../common/protocol";
import { contentSecurityPolicy, panelHtml } from "../../extension/src/panelHtml";
import { defined } from "../support/defined";
import { BRIDGE_SCRIPT, NONCE, startPanelServer, type PanelServer, type ThemeName } from "./harness";

const ROOT = join(__dirname, "..", "..");
/** Debian's chromium package; STAND_TEST_CHROMIUM points elsewhere (and lets the skip rule be tried). */
const CHROMIUM = process.env.STAND_TEST_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, ".test-artifacts", "webview");
const STRICT = process.env.STAND_TEST_STRICT === "1";
const MISSING = `Chromium not found at ${CHROMIUM}: apt-get install chromium`;

const recording = JSON.parse(readFileSync(join(ROOT, "fixtures", "panel", "solve.json"), "utf8")) as { events: PanelEvent[] };
const events = recording.events;
const fold = (messages: readonly ToPanel[], state: PanelState = emptyPanelState): PanelState => messages.reduce(reducePanel, state);
const finalState = fold(events);
const recordedSolve = (): SolveState => defined(finalState.solve, "the recorded solve");
const result = (events.find((event) => event.type === "solveFinished") as Extract<PanelEvent, { type: "solveFinished" }>).result;
const benchmark = (events.find((event) => event.type === "benchmarkFinished") as Extract<PanelEvent, { type: "benchmarkFinished" }>).result;
const finishedAt = events.findIndex((event) => event.type === "solveFinished");
const halfway = Math.floor(finishedAt / 2);

interface Violation {
  readonly directive: string;
  readonly blocked: string;
  readonly sample: string;
}

/** What the page exposes for the tests (see BRIDGE_SCRIPT). */
interface Harness {
  readonly posted: FromPanel[];
  readonly violations: Violation[];
  readonly setStateCalls: number;
  deliver(messages: readonly ToPanel[], gapMs: number): Promise<void>;
  takePosted(): FromPanel[];
  observe(selector: string): boolean;
  stopObserving(selector: string): number;
  activeElement(): { tag: string; action: string | null; card: string | null; isCard: boolean } | null;
  outline(selector: string): { style: string; width: string; color: string };
  injectInlineScript(): boolean;
  fontsReady(): Promise<boolean>;
  cspMeta(): string;
}
/** In page functions (serialised, so no closures): `(globalThis as unknown as InPage).__stand`. */
interface InPage {
  readonly __stand: Harness;
}

interface Opened {
  readonly page: Page;
  /** Console errors and uncaught exceptions: any one fails the test. */
  readonly errors: string[];
  readonly deliver: (messages: readonly ToPanel[], gapMs?: number) => Promise<void>;
  readonly takePosted: () => Promise<FromPanel[]>;
  readonly violations: () => Promise<Violation[]>;
  /** No CSP violation and no console error so far. */
  readonly assertClean: () => Promise<void>;
}

describe("candidates panel (webview in Chromium)", () => {
  const available = existsSync(CHROMIUM);

  test("panelHtml: strict CSP with a nonce, codicons stylesheet for the elements, no inline code", () => {
    const html = panelHtml({
      cspSource: "https://file+.vscode-resource.vscode-cdn.net",
      nonce: "abc123+/=",
      scriptUri: "S.js",
      styleUri: "M.css",
      codiconsUri: "C.css",
    });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1];
    assert.equal(
      csp,
      "default-src 'none'; script-src 'nonce-abc123+/='; style-src https://file+.vscode-resource.vscode-cdn.net; font-src https://file+.vscode-resource.vscode-cdn.net; img-src https://file+.vscode-resource.vscode-cdn.net data:",
    );
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
    assert.match(html, /<link rel="stylesheet" id="vscode-codicon-stylesheet" href="C.css">/);
    assert.match(html, /<link rel="stylesheet" href="M.css">/);
    assert.match(html, /<script nonce="abc123\+\/=" src="S.js"><\/script>/);
    assert.equal(html.match(/<script/g)?.length, 1, "one script, external");
    assert.doesNotMatch(html, /<style|\sstyle=|\son\w+=/, "no inline style or handler");
    assert.throws(() => panelHtml({ cspSource: "x", nonce: "a' 'unsafe-inline", scriptUri: "", styleUri: "", codiconsUri: "" }));
  });

  describe("in Chromium", { skip: !available && !STRICT ? MISSING : false }, () => {
    // Set by before(); undefined where it failed.
    let browser: Browser | undefined;
    let panelServer: PanelServer | undefined;
    const server = (): PanelServer => defined(panelServer, "the panel server");
    const pages: Page[] = [];

    before(async () => {
      if (!available) throw new Error(`${MISSING} (STAND_TEST_STRICT=1 makes this a failure)`);
      if (!existsSync(join(ROOT, "dist", "webview", "main.js")))
        throw new Error("dist/webview/main.js is missing: run node scripts/build.mjs");
      [browser, panelServer] = await Promise.all([
        // Chromium's crash reports and caches go under the artifacts, not the user's home.
        chromium.launch({
          executablePath: CHROMIUM,
          args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-crash-reporter", "--disable-breakpad"],
          env: { ...process.env, XDG_CONFIG_HOME: join(ARTIFACTS, "xdg", "config"), XDG_CACHE_HOME: join(ARTIFACTS, "xdg", "cache") },
        }),
        startPanelServer(ROOT),
      ]);
      mkdirSync(ARTIFACTS, { recursive: true });
    });
    after(async () => {
      await browser?.close();
      await panelServer?.close();
    });

    async function open(theme: ThemeName = "dark", page?: Page): Promise<Opened> {
      if (!page) {
        page = await defined(browser, "chromium").newPage({ viewport: { width: 420, height: 900 } });
        pages.push(page);
        await page.addInitScript(BRIDGE_SCRIPT);
      }
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (error) => {
        errors.push(error.message);
      });
      await page.goto(server().url(theme));
      await page.waitForFunction(() => (globalThis as unknown as InPage).__stand.posted.some((message) => message.type === "ready"));
      const opened: Opened = {
        page,
        errors,
        deliver: (messages, gapMs = 0) =>
          page.evaluate(([list, gap]) => (globalThis as unknown as InPage).__stand.deliver(list, gap), [messages, gapMs] as const),
        takePosted: () => page.evaluate(() => (globalThis as unknown as InPage).__stand.takePosted()),
        violations: () => page.evaluate(() => (globalThis as unknown as InPage).__stand.violations),
        assertClean: async () => {
          assert.deepEqual(await opened.violations(), [], "no CSP violation");
          assert.deepEqual(errors, [], "no console error");
        },
      };
      return opened;
    }

    const card = (page: Page, trajectory: number) => page.locator(`.candidate-card[data-trajectory="${trajectory}"]`);

    test("renders the recorded stream card by card: provenance marks, votes, statistics and charts", async () => {
      const { page, deliver, assertClean } = await open("dark");
      assert.equal(await page.locator("#empty").isVisible(), true, "the empty state comes first");
      assert.match((await page.locator("#empty").textContent()) ?? "", /Solve Selection with N Candidates/);

      // The first half of the stream, message by message as the extension would post it.
      await deliver(events.slice(0, halfway), 2);
      assert.equal(await page.locator("#empty").isVisible(), false);
      assert.equal(await page.locator('#solve[data-phase="running"]').count(), 1);
      assert.equal(await page.locator(".candidate-card").count(), 3);
      assert.equal(await page.locator('.candidate-card[data-finished="true"]').count(), 0);
      assert.equal(await page.locator('[data-action="cancel"]').isVisible(), true, "cancel while running");
      assert.equal(await page.locator(".model-name").textContent(), "stand-code-mini");
      assert.equal(await page.locator(".backend").textContent(), "cpu");
      const running = defined(fold(events.slice(0, halfway)).solve, "the solve at half way");
      for (const state of running.cards) {
        assert.equal(
          await card(page, state.trajectory).locator(".candidate-text").textContent(),
          state.spans.map((span) => span.text).join(""),
          "streamed text so far",
        );
        assert.equal(await card(page, state.trajectory).getAttribute("aria-busy"), "true");
      }
      await page.screenshot({ path: join(ARTIFACTS, "panel-streaming.png"), fullPage: true });

      // A message for one card leaves the other cards' DOM untouched.
      const next = events.findIndex((event, index) => index >= halfway && event.type === "solveProgress" && event.trajectory === 0);
      await deliver(events.slice(halfway, next));
      await page.evaluate(
        () =>
          (globalThis as unknown as InPage).__stand.observe('.candidate-card[data-trajectory="0"]') &&
          (globalThis as unknown as InPage).__stand.observe('.candidate-card[data-trajectory="1"]'),
      );
      await deliver([defined(events[next], "the next progress of card 0")]);
      const [changed, untouched] = await page.evaluate(() => [
        (globalThis as unknown as InPage).__stand.stopObserving('.candidate-card[data-trajectory="0"]'),
        (globalThis as unknown as InPage).__stand.stopObserving('.candidate-card[data-trajectory="1"]'),
      ]);
      assert.ok(changed > 0, "the card that got tokens changed");
      assert.equal(untouched, 0, "the other card was not touched");

      // The rest and the result; then the benchmark.
      await deliver(events.slice(next + 1, finishedAt + 1));
      await page.locator('#solve[data-phase="done"]').waitFor({ state: "attached" });
      assert.match(
        (await page.locator(".live-summary").textContent()) ?? "",
        /^Done: 3 candidates in \d+ ms\. 2 of 3 agree/,
        "the live region says the solve is done",
      );
      await deliver(events.slice(finishedAt + 1));
      assert.equal(await page.locator('.candidate-card[data-finished="true"]').count(), 3);
      assert.equal(await page.locator('[data-action="cancel"]').isVisible(), false, "no cancel once done");

      let draftSpans = 0;
      let modelSpans = 0;
      for (const candidate of result.candidates) {
        const view = card(page, candidate.trajectory);
        const spans = defined(recordedSolve().cards[candidate.trajectory], `card ${candidate.trajectory}`).spans;
        const text = view.locator(".candidate-text");
        assert.equal(await text.textContent(), candidate.text, "the text is the candidate's");
        assert.equal(await text.textContent(), spans.map((span) => span.text).join(""), "the text is the concatenated spans");
        const drafts = await text.locator("span.span-draft").count();
        const models = await text.locator("span.span-model").count();
        assert.equal(drafts + models, spans.length, "one mark per merged span");
        assert.equal(drafts, spans.filter((span) => span.origin === "draft").length);
        draftSpans += drafts;
        modelSpans += models;
        const agree = defined(agreement(recordedSolve(), candidate.trajectory), `the agreement of ${candidate.trajectory}`);
        assert.equal(await view.locator(".vote-group").textContent(), `${agree.agreeing} of ${agree.of} candidates agree`);
        const stats = (await view.locator(".card-stats").textContent()) ?? "";
        assert.match(stats, new RegExp(`${candidate.statistics.tokens} tokens`));
        assert.match(stats, /tok\/s/);
        assert.match(stats, /tokens\/call/);
        assert.match(
          stats,
          candidate.finishReason === "stop" ? /complete/ : candidate.finishReason === "length" ? /token limit/ : /cancelled/,
        );
        // The embedded model writes code: the marked text is the code block, in the editor font.
        assert.equal(await view.locator("pre.code-block > code.candidate-text").count(), 1);
        assert.match(
          (await view.getAttribute("aria-label")) ?? "",
          new RegExp(`Candidate ${candidate.trajectory + 1} of 3, .*candidates agree`),
        );
        assert.equal(await view.getAttribute("tabindex"), "0");
        for (const action of ["insert", "replace", "diff", "copy"])
          assert.equal(await view.locator(`[data-action="${action}"]`).count(), 1);
      }
      assert.ok(draftSpans > 0 && modelSpans > 0, `both marks appear (${draftSpans} draft, ${modelSpans} model)`);
      assert.ok((await page.locator(".vote-group.majority").count()) >= 2, "the majority group is marked");
      assert.match((await page.locator(".legend").textContent()) ?? "", /draft.*accepted STAND draft token.*model.*sampled by the model/s);

      // Charts, each with a text alternative that states the numbers.
      const histogram = page.locator("svg.chart-histogram");
      assert.equal(await histogram.locator("rect.bar").count(), result.statistics.histogram.length);
      const histogramLabel = (await histogram.getAttribute("aria-label")) ?? "";
      for (const [accepted, count] of result.statistics.histogram.entries())
        assert.match(histogramLabel, new RegExp(`${accepted} accepted: ${count} steps?`));
      assert.equal(await histogram.getAttribute("role"), "img");
      assert.equal(await histogram.locator("title").first().textContent(), histogramLabel);
      const throughput = page.locator("svg.chart-throughput");
      assert.ok(((await throughput.locator("polyline").getAttribute("points")) ?? "").split(" ").length > 2, "a throughput line");
      assert.match((await throughput.getAttribute("aria-label")) ?? "", /Throughput: \d+ tokens in .* tokens per second/);
      const speedup = page.locator("svg.chart-speedup");
      assert.equal(await speedup.locator("rect.bar").count(), benchmark.rows.length);
      const speedupLabel = (await speedup.getAttribute("aria-label")) ?? "";
      for (const row of benchmark.rows)
        assert.ok(
          speedupLabel.includes(
            `${row.method} at N = ${row.trajectories}, T = ${row.temperature}: ${row.speedup.toFixed(2)}× (bound ${row.bound.toFixed(2)}×)`,
          ),
          row.method,
        );
      assert.match((await page.locator(".solve-stats").textContent()) ?? "", new RegExp(`${result.statistics.tokens} tokens in`));
      assert.equal(await page.locator(".live-summary").textContent(), "Benchmark finished.", "the live region announced the last change");
      assert.equal(
        await page.locator('[aria-live]:not([aria-live="off"]), [role="alert"], [role="status"]').count(),
        1,
        "one live region only",
      );

      await assertClean();
      for (const theme of ["dark", "light", "high-contrast"] as const) {
        if (theme !== "dark") {
          // The same page in another theme: state from setState, as after re-showing the view.
          await open(theme, page);
          await page.locator('.candidate-card[data-finished="true"]').nth(2).waitFor();
        }
        assert.equal(await page.evaluate(() => (globalThis as unknown as InPage).__stand.fontsReady()), true, "the codicon font loaded");
        await page.screenshot({ path: join(ARTIFACTS, theme === "dark" ? "panel.png" : `panel-${theme}.png`), fullPage: true });
      }
      await assertClean();
    });

    test("every button posts its message, by click and by keyboard (Tab, Enter, Space)", async () => {
      const { page, deliver, takePosted, assertClean } = await open("light");
      await deliver(events.slice(0, halfway));
      await takePosted();
      const cancel = page.locator('[data-action="cancel"]');
      await cancel.click();
      assert.deepEqual(await takePosted(), [{ type: "cancel" }]);
      await cancel.focus();
      await page.keyboard.press("Enter");
      assert.deepEqual(await takePosted(), [{ type: "cancel" }], "Enter on the focused cancel button");
      assert.equal(await page.locator('[data-action="solveAgain"]').getAttribute("disabled"), "", "no solving again while running");

      await deliver([{ type: "snapshot", state: finalState }]);
      await page.locator('.candidate-card[data-finished="true"]').nth(2).waitFor();
      const solveId = recordedSolve().id;
      for (const mode of ["insert", "replace", "diff"] as const) {
        await card(page, 1).locator(`[data-action="${mode}"]`).click();
        assert.deepEqual(await takePosted(), [{ type: "apply", solveId, trajectory: 1, mode }]);
      }
      await card(page, 2).locator('[data-action="copy"]').click();
      assert.deepEqual(await takePosted(), [{ type: "copy", solveId, trajectory: 2 }]);
      await page.locator('[data-action="solveAgain"]').click();
      await page.locator('[data-action="runBenchmark"]').click();
      assert.deepEqual(await takePosted(), [{ type: "solveAgain" }, { type: "runBenchmark" }]);

      // Keyboard only: from a focused card, Tab reaches its buttons; Enter and Space press them.
      await card(page, 0).focus();
      const active = () => page.evaluate(() => (globalThis as unknown as InPage).__stand.activeElement());
      assert.deepEqual(await active(), { tag: "article", action: null, card: "0", isCard: true });
      const pressed: FromPanel[] = [];
      for (const [mode, key] of [
        ["insert", "Enter"],
        ["replace", " "],
        ["diff", "Enter"],
        ["copy", " "],
      ] as const) {
        await page.keyboard.press("Tab");
        assert.deepEqual(await active(), { tag: "vscode-button", action: mode, card: "0", isCard: false }, `Tab reaches ${mode}`);
        await page.keyboard.press(key === " " ? "Space" : key);
        pressed.push(...(await takePosted()));
      }
      assert.deepEqual(pressed, [
        { type: "apply", solveId, trajectory: 0, mode: "insert" },
        { type: "apply", solveId, trajectory: 0, mode: "replace" },
        { type: "apply", solveId, trajectory: 0, mode: "diff" },
        { type: "copy", solveId, trajectory: 0 },
      ]);
      // Arrow keys move between cards; the header's buttons come first in Tab order.
      await card(page, 0).focus();
      await page.keyboard.press("ArrowDown");
      assert.equal((await active())?.card, "1");
      const outline = await page.evaluate(() => (globalThis as unknown as InPage).__stand.outline('.candidate-card[data-trajectory="1"]'));
      assert.equal(outline.style, "solid", "a visible focus ring on the card");
      assert.equal(outline.color, "rgb(0, 95, 184)", "in the theme's focusBorder colour");
      await page.locator('[data-action="runBenchmark"]').focus();
      await page.keyboard.press("Tab");
      assert.deepEqual(
        await active(),
        { tag: "article", action: null, card: "0", isCard: true },
        "Tab from the toolbar goes to the first card",
      );
      await assertClean();
    });

    test("a snapshot replaces the state, and setState/getState bring the panel back after a reload", async () => {
      const { page, deliver, takePosted, assertClean } = await open("dark");
      await deliver(events, 0);
      assert.ok(
        (await page.evaluate(() => (globalThis as unknown as InPage).__stand.setStateCalls)) >= events.length,
        "setState after every message",
      );
      await page.reload();
      await page.waitForFunction(() => (globalThis as unknown as InPage).__stand.posted.some((message) => message.type === "ready"));
      // No message since the reload: everything comes from getState.
      assert.equal(await page.locator('.candidate-card[data-finished="true"]').count(), 3);
      assert.equal(await card(page, 2).locator(".candidate-text").textContent(), defined(result.candidates[2], "candidate 3").text);
      assert.equal(await page.locator("svg.chart-speedup").count(), 1);
      assert.deepEqual(await takePosted(), [{ type: "ready" }]);

      // A reasoning model's answer: thinking collapsed, prose and fenced code laid out.
      const thinking = "The sum of two numbers.\nUse the + operator.";
      const text = `<think>${thinking}</think>\nHere is the function:\n\n\`\`\`ts\nfunction add(a: number, b: number) {\n  return a + b;\n}\n\`\`\`\nIt adds.`;
      const candidate: Candidate = {
        trajectory: 0,
        text,
        thinking,
        answer: text.slice(text.indexOf("</think>") + 8).trim(),
        codeBlocks: [{ language: "ts", code: "function add(a: number, b: number) {\n  return a + b;\n}" }],
        finishReason: "stop",
        statistics: { tokens: 30, targetCalls: 12, tokensPerCall: 2.5, acceptedDraftTokens: 18, draftedTokens: 20, tokensPerSecond: 41.5 },
        group: 0,
      };
      const chat: SolveResult = {
        candidates: [candidate],
        groups: [{ members: [0], representative: 0 }],
        statistics: { ...candidate.statistics, trajectories: 1, elapsedMs: 723, histogram: [4, 2, 6] },
      };
      const state = fold([
        {
          type: "solveStarted",
          solveId: "chat",
          problem: "Write add(a, b) in TypeScript.\nKeep it short.",
          trajectories: 1,
          temperature: 0.7,
          startedAt: 0,
        },
        {
          type: "solveProgress",
          solveId: "chat",
          trajectory: 0,
          spans: [
            { text: text.slice(0, 40), origin: "model" },
            { text: text.slice(40), origin: "draft" },
          ],
          statistics: candidate.statistics,
          at: 700,
        },
        { type: "solveFinished", solveId: "chat", result: chat },
      ]);
      await deliver([{ type: "snapshot", state }]);
      await page.locator('.candidate-card[data-layout="structured"]').waitFor();
      assert.equal(await page.locator(".candidate-card").count(), 1);
      const view = card(page, 0);
      assert.equal(await view.locator("details.thinking").getAttribute("open"), null, "thinking starts collapsed");
      assert.match((await view.locator("details.thinking").textContent()) ?? "", /Use the \+ operator/);
      assert.equal(
        await view.locator("pre.code-block > code").first().textContent(),
        defined(candidate.codeBlocks[0], "the first code block").code,
      );
      assert.deepEqual(await view.locator(".answer-text").allTextContents(), ["Here is the function:", "It adds."]);
      assert.equal(await view.locator(".candidate-text").textContent(), text, "the marked output is kept");
      assert.equal(await view.locator(".vote-group").textContent(), "1 of 1 candidates agree");
      assert.equal(await page.locator(".problem").getAttribute("title"), "Write add(a, b) in TypeScript.\nKeep it short.");
      assert.equal(await page.locator(".problem").textContent(), "Write add(a, b) in TypeScript. …");
      await view.locator("details.thinking > summary").click();
      await page.screenshot({ path: join(ARTIFACTS, "panel-reasoning.png"), fullPage: true });

      // Failure and cancellation show the message; an empty snapshot shows the empty state again.
      await deliver([{ type: "solveFailed", solveId: "chat", message: "The model ran out of context.", cancelled: false }]);
      assert.equal(await page.locator('#solve[data-phase="failed"]').count(), 1);
      assert.equal(await page.locator(".solve-error").textContent(), "The model ran out of context.");
      await deliver([{ type: "snapshot", state: emptyPanelState }]);
      assert.equal(await page.locator("#empty").isVisible(), true);
      assert.equal(await page.locator("#solve").count(), 0);
      await assertClean();
    });

    test("the CSP is active: an injected inline script is blocked (negative control)", async () => {
      const { page, violations, errors } = await open("dark");
      assert.equal(
        await page.evaluate(() => (globalThis as unknown as InPage).__stand.cspMeta()),
        contentSecurityPolicy(server().origin, NONCE),
      );
      assert.deepEqual(await violations(), [], "nothing violated the CSP before the injection");
      assert.equal(
        await page.evaluate(() => (globalThis as unknown as InPage).__stand.injectInlineScript()),
        false,
        "the inline script did not run",
      );
      await page.waitForFunction(() => (globalThis as unknown as InPage).__stand.violations.length > 0);
      const [violation, ...rest] = await violations();
      assert.equal(rest.length, 0);
      assert.match(defined(violation, "the violation").directive, /^script-src/);
      assert.ok(
        errors.some((error) => /Content Security Policy/.test(error)),
        "Chromium reported the blocked script",
      );
    });
  });
});

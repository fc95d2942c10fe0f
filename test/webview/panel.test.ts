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
  shownCards,
  tokensPerStep,
  type FromPanel,
  type PanelEvent,
  type PanelState,
  type ToPanel,
} from "../../common/panel";
import { BASELINE_METHOD, formatSpeedupRange, noiseVerdict, STAND_METHOD, STAND_THEN_LOOKUP_METHOD } from "../../common/benchmarkTable";
import type { BenchmarkRow, Candidate, CandidateCheckResult, RunChecksResult, SolveResult } from "../../common/protocol";
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
const fold = (list: readonly PanelEvent[], state: PanelState = emptyPanelState): PanelState => list.reduce(reducePanel, state);
const finalState = fold(events);
const finished = events.find((event) => event.type === "solveFinished");
const benchmarkFinished = events.find((event) => event.type === "benchmarkFinished");
assert.ok(
  finished?.type === "solveFinished" && benchmarkFinished?.type === "benchmarkFinished",
  "the recording has a result and a benchmark",
);
const result = finished.result;
const benchmark = benchmarkFinished.result;
const finishedAt = events.indexOf(finished);
const halfway = Math.floor(finishedAt / 2);
/** The extension posts events in batches: here one event per batch, as a slow stream would. */
const batches = (list: readonly PanelEvent[]): ToPanel[] => list.map((event) => ({ type: "events", events: [event] }));
const snapshot = (state: PanelState): ToPanel => ({ type: "snapshot", state });
/** Text with its runs of white space as one space, as a screen shows it. */
const normalise = (text: string): string => text.replace(/\s+/g, " ").trim();

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
  /** What the panel last saved with setState, as JSON ("" before any save). */
  savedState(): string;
  deliver(messages: readonly ToPanel[], gapMs: number): Promise<void>;
  takePosted(): FromPanel[];
  observe(selector: string): boolean;
  stopObserving(selector: string): number;
  /** For each element the selector matches, how many elements it holds. */
  descendants(selector: string): number[];
  /** An attribute of each element the selector matches ("" when missing). */
  attributes(selector: string, name: string): string[];
  activeElement(): { tag: string; action: string | null; card: string | null; isCard: boolean } | null;
  outline(selector: string): { style: string; width: string; color: string };
  injectInlineScript(): boolean;
  fontsReady(): Promise<boolean>;
  cspMeta(): string;
  style(selector: string, property: string): string;
  boxed(selector: string): number;
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
    const shown = shownCards(finalState.solve ?? { id: "", problem: "", startedAt: 0, phase: "done", cards: [], throughput: [] });

    test("renders the recorded stream: provenance marks, highlighting, identical candidates as one card, votes, statistics, charts", async () => {
      const { page, deliver, takePosted, assertClean } = await open("dark");
      assert.equal(await page.locator("#empty").isVisible(), true, "the empty state comes first");
      assert.match((await page.locator("#empty").textContent()) ?? "", /Solve Selection with N Candidates/);

      // A batch for one card leaves the other cards' DOM untouched: the recording's first batch of one trajectory.
      const single = events.findIndex((event) => event.type === "solveProgress" && event.trajectories.length === 1);
      const only = events[single];
      assert.ok(only?.type === "solveProgress" && single < halfway, "the recording starts with a batch for one trajectory");
      const touched = only.trajectories[0]?.trajectory ?? 0;
      const other = (touched + 1) % result.plan.trajectories;
      await deliver(batches(events.slice(0, single)), 2);
      await page.evaluate(
        ([a, b]) =>
          (globalThis as unknown as InPage).__stand.observe(`.candidate-card[data-trajectory="${a}"]`) &&
          (globalThis as unknown as InPage).__stand.observe(`.candidate-card[data-trajectory="${b}"]`),
        [touched, other] as const,
      );
      await deliver(batches([only]));
      const [changed, untouched] = await page.evaluate(
        ([a, b]) => [
          (globalThis as unknown as InPage).__stand.stopObserving(`.candidate-card[data-trajectory="${a}"]`),
          (globalThis as unknown as InPage).__stand.stopObserving(`.candidate-card[data-trajectory="${b}"]`),
        ],
        [touched, other] as const,
      );
      assert.ok(changed > 0, "the card that got tokens changed");
      assert.equal(untouched, 0, "the other card was not touched");

      // The first half of the stream, batch by batch as the extension would post it.
      await deliver(batches(events.slice(single + 1, halfway)), 2);
      assert.equal(await page.locator("#empty").isVisible(), false);
      assert.equal(await page.locator('#solve[data-phase="running"]').count(), 1);
      assert.equal(await page.locator(".candidate-card").count(), result.plan.trajectories, "one card per trajectory while streaming");
      assert.equal(await page.locator('.candidate-card[data-finished="true"]').count(), 0);
      assert.equal(await page.locator('[data-action="cancel"]').isVisible(), true, "cancel while running");
      assert.equal(await page.locator(".model-name").textContent(), "stand-code-mini");
      assert.equal(await page.locator(".backend").textContent(), "cpu");
      const running = fold(events.slice(0, halfway)).solve;
      for (const state of running?.cards ?? []) {
        assert.equal(
          await card(page, state.trajectory).locator(".candidate-text").textContent(),
          state.spans.map((span) => span.text).join(""),
          "streamed text so far",
        );
        assert.equal(await card(page, state.trajectory).getAttribute("aria-busy"), "true");
      }
      const posted = await takePosted();
      assert.ok(
        posted.some((message) => message.type === "rendered"),
        "the panel says when it has rendered a batch",
      );
      await page.screenshot({ path: join(ARTIFACTS, "panel-streaming.png"), fullPage: true });

      // The rest and the result; then the benchmark.
      await deliver(batches(events.slice(halfway, finishedAt + 1)));
      await page.locator('#solve[data-phase="done"]').waitFor({ state: "attached" });
      assert.match(
        (await page.locator(".live-summary").textContent()) ?? "",
        /^Done: 3 candidates in \d+ ms\./,
        "the live region says the solve is done",
      );
      await deliver(batches(events.slice(finishedAt + 1)));
      assert.equal(await page.locator('.candidate-card[data-finished="true"]').count(), shown.length);
      assert.equal(await page.locator('[data-action="cancel"]').isVisible(), false, "no cancel once done");

      let draftMarks = 0;
      for (const { card: state, copies } of shown) {
        const candidate = state.candidate;
        assert.ok(candidate);
        const view = card(page, state.trajectory);
        const spans = state.spans;
        const text = view.locator(".candidate-text");
        assert.equal(await text.textContent(), candidate.text, "one text per card: the candidate's");
        // Provenance marks survive highlighting: the draft-marked text is exactly the draft spans' text.
        const drafted = (await text.locator("span.span-draft").allTextContents()).join("");
        assert.equal(
          drafted,
          spans
            .filter((span) => span.origin === "draft")
            .map((span) => span.text)
            .join(""),
        );
        draftMarks += drafted.length;
        assert.ok((await text.locator(".tok-keyword").count()) > 0, "TypeScript keywords are highlighted");
        if (copies.length > 1) {
          assert.equal(await view.locator(".copies").textContent(), `×${copies.length}`);
          assert.equal(await view.locator(".card-title").textContent(), `Candidates ${copies.map((copy) => copy + 1).join(" and ")}`);
        } else {
          assert.equal(await view.locator(".copies").isVisible(), false);
        }
        const agree = agreement(
          finalState.solve ?? { id: "", problem: "", startedAt: 0, phase: "done", cards: [], throughput: [] },
          state.trajectory,
        );
        assert.ok(agree);
        assert.equal(await view.locator(".vote-group").textContent(), `${agree.agreeing} of ${agree.of} candidates agree`);
        const stats = (await view.locator(".card-stats").textContent()) ?? "";
        assert.match(stats, new RegExp(`${candidate.statistics.tokens} tokens`));
        assert.match(stats, /tok\/s/);
        assert.match(stats, /tokens\/step/);
        assert.match(
          stats,
          candidate.finishReason === "stop" ? /complete/ : candidate.finishReason === "length" ? /token limit/ : /cancelled/,
        );
        assert.equal(await view.locator(".applied-note").isVisible(), false, "a code solve applies its whole text: nothing to mark");
        assert.equal(await view.getAttribute("tabindex"), "0");
        for (const action of ["insert", "replace", "diff", "copy"])
          assert.equal(await view.locator(`[data-action="${action}"]`).count(), 1);
      }
      assert.ok(draftMarks > 0, "draft marks appear");
      assert.match((await page.locator(".legend").textContent()) ?? "", /draft.*accepted STAND draft token.*model.*sampled by the model/s);

      // Charts, each with a text alternative that states the numbers.
      const histogram = page.locator("svg.chart-histogram");
      assert.equal(await histogram.locator("rect.bar").count(), result.statistics.histogram.length);
      const histogramLabel = (await histogram.getAttribute("aria-label")) ?? "";
      for (const [accepted, count] of result.statistics.histogram.entries())
        assert.match(histogramLabel, new RegExp(`${accepted} accepted: ${count} steps?`));
      assert.equal(await histogram.getAttribute("role"), "img");
      const throughput = page.locator("svg.chart-throughput");
      assert.ok(((await throughput.locator("polyline").getAttribute("points")) ?? "").split(" ").length > 2, "a throughput line");
      const speedup = page.locator("svg.chart-speedup");
      assert.equal(await speedup.locator("rect.bar").count(), benchmark.rows.length);
      const speedupLabel = (await speedup.getAttribute("aria-label")) ?? "";
      for (const row of benchmark.rows) {
        const spread = row.withinNoise === undefined ? "" : ` (${formatSpeedupRange(row)}, ${noiseVerdict(row)})`;
        assert.ok(
          speedupLabel.includes(
            `${row.method} at N = ${row.trajectories}, T = ${row.temperature}: ${row.speedup.toFixed(2)}×${spread}, bound ${row.bound.toFixed(2)}×`,
          ),
          row.method,
        );
      }
      // Each ratio's spread as a whisker, dashed where it is within noise.
      const judged = benchmark.rows.filter((row) => row.withinNoise !== undefined);
      assert.ok(judged.length > 0, "the recording has repetitions");
      assert.equal(await speedup.locator("line.spread").count(), judged.length);
      assert.equal(await speedup.locator("line.spread.within-noise").count(), judged.filter((row) => row.withinNoise).length);
      // The benchmark's table: every column explained, and nothing wraps.
      const headers = page.locator("table.benchmark-table thead th");
      assert.deepEqual(await headers.allTextContents(), ["method", "tok/s", "speedup", "spread", "bound", "tok/call", "drafter %"]);
      for (const row of benchmark.rows) {
        const cells = await page.locator(`table.benchmark-table tbody tr`, { hasText: row.method }).first().locator("td").allTextContents();
        const expected = row.method === BASELINE_METHOD ? "–" : `${formatSpeedupRange(row)}, ${noiseVerdict(row)}`;
        assert.equal(cells[2], expected, `${row.method}: its spread and what it says`);
        assert.equal(cells[3]?.endsWith(" *"), row.boundNote !== undefined, `${row.method}: a bound below its speedup is marked`);
      }
      assert.equal(await page.locator("ul.benchmark-notes li").count(), benchmark.rows.filter((row) => row.boundNote).length);
      for (const title of await page.evaluate(() =>
        (globalThis as unknown as InPage).__stand.attributes("table.benchmark-table thead th", "title"),
      ))
        assert.ok(title.length > 10, "each column header explains itself");
      assert.equal(await page.locator("table.benchmark-table tbody tr").count(), benchmark.rows.length);
      assert.equal(
        await page.evaluate(() => (globalThis as unknown as InPage).__stand.style("table.benchmark-table", "white-space")),
        "nowrap",
      );
      const stand = benchmark.rows.find((row) => row.method === STAND_METHOD);
      assert.ok(stand?.withinNoise !== undefined, "the recording's STAND row has a spread");
      assert.match(
        (await page.locator(".benchmark-headline").textContent()) ?? "",
        stand.withinNoise
          ? /^STAND chain, adaptive: .*, within noise of plain decoding \(its speedup ranged .* over 3 interleaved runs\)/
          : /^STAND chain, adaptive: .* plain decoding in each of 3 interleaved runs/,
        "the headline says whether the difference is more than noise",
      );
      // The recording's fastest other method (plain decoding and STAND's fixed chain aside) and its spread against STAND's.
      assert.match(
        (await page.locator(".benchmark-headline").textContent()) ?? "",
        /on this machine and model\. The fastest method here was node-llama-cpp InputLookup, 3\.16×: faster than STAND in every run\.$/,
        "the headline names the fastest method a user could run instead",
      );
      const perStep = tokensPerStep(result.candidates.map((candidate) => candidate.statistics));
      assert.match(
        (await page.locator(".solve-stats").textContent()) ?? "",
        new RegExp(`${result.statistics.tokens} tokens in .* ${perStep.toFixed(2)} tokens per step per candidate`),
        "the totals use the cards' measure",
      );
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
          await page
            .locator('.candidate-card[data-finished="true"]')
            .nth(shown.length - 1)
            .waitFor();
        }
        assert.equal(await page.evaluate(() => (globalThis as unknown as InPage).__stand.fontsReady()), true, "the codicon font loaded");
        await page.screenshot({ path: join(ARTIFACTS, theme === "dark" ? "panel.png" : `panel-${theme}.png`), fullPage: true });
      }
      // High contrast: drafts keep a thick underline, and no text in a card is boxed.
      const draft = page.locator(".candidate-text span.span-draft").first();
      assert.ok(await draft.count(), "a draft mark to look at");
      assert.equal(
        await page.evaluate(() =>
          (globalThis as unknown as InPage).__stand.style(".candidate-text span.span-draft", "text-decoration-thickness"),
        ),
        "2px",
      );
      assert.equal(
        await page.evaluate(() => (globalThis as unknown as InPage).__stand.boxed(".candidate-text span")),
        0,
        "no token is boxed",
      );
      await assertClean();
    });

    test("every button posts its message, by click and by keyboard; Escape cancels a running solve", async () => {
      const { page, deliver, takePosted, assertClean } = await open("light");
      await deliver(batches(events.slice(0, halfway)));
      await takePosted();
      const cancel = page.locator('[data-action="cancel"]');
      await cancel.click();
      assert.deepEqual(await takePosted(), [{ type: "cancel" }]);
      await cancel.focus();
      await page.keyboard.press("Enter");
      assert.deepEqual(await takePosted(), [{ type: "cancel" }], "Enter on the focused cancel button");
      // Escape with the focus anywhere in the panel: on a card, or on the page itself.
      await card(page, 1).focus();
      await page.keyboard.press("Escape");
      assert.deepEqual(await takePosted(), [{ type: "cancel" }], "Escape on a card");
      await page.locator("body").focus();
      await page.keyboard.press("Escape");
      assert.deepEqual(await takePosted(), [{ type: "cancel" }], "Escape on the page");
      assert.equal(await page.locator('[data-action="solveAgain"]').getAttribute("disabled"), "", "no solving again while running");
      await deliver(batches([{ type: "solveCancelling", solveId: "recorded-solve" }]));
      assert.equal(await page.locator(".phase").textContent(), "Cancelling…");
      assert.equal(await cancel.getAttribute("disabled"), "", "one cancel is enough");
      await takePosted();
      await page.keyboard.press("Escape");
      assert.deepEqual(await takePosted(), [], "no Escape once the solve is not running");

      // The solve alone (a benchmark run after it would come first in the panel).
      await deliver([snapshot({ ...finalState, benchmark: undefined })]);
      await page
        .locator('.candidate-card[data-finished="true"]')
        .nth(shown.length - 1)
        .waitFor();
      const solveId = finalState.solve?.id ?? "";
      const second = shown[1]?.card.trajectory ?? 1;
      for (const mode of ["insert", "replace", "diff"] as const) {
        await card(page, second).locator(`[data-action="${mode}"]`).click();
        assert.deepEqual(await takePosted(), [{ type: "apply", solveId, trajectory: second, mode }]);
      }
      await card(page, 0).locator('[data-action="copy"]').click();
      assert.deepEqual(await takePosted(), [{ type: "copy", solveId, trajectory: 0 }]);
      assert.match(
        (await card(page, 0).locator('[data-action="insert"]').getAttribute("title")) ?? "",
        /^Insert .* after the text this was solved from/,
      );
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
      assert.equal((await active())?.card, String(second));
      const outline = await page.evaluate(
        (selector) => (globalThis as unknown as InPage).__stand.outline(selector),
        `.candidate-card[data-trajectory="${second}"]`,
      );
      assert.equal(outline.style, "solid", "a visible focus ring on the card");
      assert.equal(outline.color, "rgb(0, 95, 184)", "in the theme's focusBorder colour");
      // Tab from the toolbar: the checks box, Run checks, Apply best, then the first card.
      await page.locator('[data-action="runBenchmark"]').focus();
      await page.keyboard.press("Tab");
      assert.equal((await active())?.tag, "vscode-textarea", "Tab from the toolbar goes to the checks box");
      for (const action of ["runChecks", "applyBest"]) {
        await page.keyboard.press("Tab");
        assert.equal((await active())?.action, action);
      }
      await page.keyboard.press("Tab");
      assert.deepEqual(await active(), { tag: "article", action: null, card: "0", isCard: true }, "then to the first card");
      await assertClean();
    });

    test("a snapshot replaces the state, and the saved state brings the panel back after a reload", async () => {
      const { page, deliver, takePosted, assertClean } = await open("dark");
      await deliver(batches(events), 0);
      const saves = await page.evaluate(() => (globalThis as unknown as InPage).__stand.setStateCalls);
      assert.ok(saves < events.length, `setState is throttled while streaming (${saves} saves for ${events.length} batches)`);
      await page.reload();
      await page.waitForFunction(() => (globalThis as unknown as InPage).__stand.posted.some((message) => message.type === "ready"));
      // No message since the reload: everything comes from getState, saved when the solve finished.
      assert.equal(await page.locator('.candidate-card[data-finished="true"]').count(), shown.length);
      assert.equal(await card(page, 1).locator(".candidate-text").textContent(), finalState.solve?.cards[1]?.candidate?.text);
      assert.equal(await page.locator("svg.chart-speedup").count(), 1);
      assert.deepEqual(await takePosted(), [{ type: "ready" }]);
      await assertClean();
    });

    test("a benchmark on a GPU backend is headed by the row the server decodes with there, STAND then prompt lookup", async () => {
      const { page, deliver, assertClean } = await open("dark");
      const row = (method: string, speedup: number, low: number, high: number): BenchmarkRow => ({
        ...defined(benchmark.rows[0], "a row of the recording"),
        method,
        speedup,
        speedupRange: { low, high },
        withinNoise: method === BASELINE_METHOD ? undefined : low <= 1 && high >= 1,
      });
      const rows = [
        row(BASELINE_METHOD, 1, 1, 1),
        row("prompt lookup", 2.3, 2.2, 2.45),
        row(STAND_METHOD, 1.9, 1.85, 1.95),
        row(STAND_THEN_LOOKUP_METHOD, 2.4, 2.35, 2.5),
      ];
      await deliver([snapshot({ benchmark: { phase: "done", startedAt: 1, result: { rows, table: "", backend: "cuda" } } })]);
      assert.match(
        (await page.locator(".benchmark-headline").textContent()) ?? "",
        /^STAND, then prompt lookup, adaptive: 2\.40×, faster than plain decoding in each of 3 interleaved runs .* The fastest other method, prompt lookup, 2\.30×, was within this run's noise of it\.$/,
      );
      // One repetition has no spread: the sentence names the method and judges nothing.
      const single = rows.map((one) => ({
        ...one,
        repetitions: 1,
        withinNoise: undefined,
        speedupRange: { low: one.speedup, high: one.speedup },
      }));
      await deliver([snapshot({ benchmark: { phase: "done", startedAt: 2, result: { rows: single, table: "", backend: "cuda" } } })]);
      assert.match(
        (await page.locator(".benchmark-headline").textContent()) ?? "",
        /in a single run, which has no spread to judge by; .* The fastest other method: prompt lookup, 2\.30×\.$/,
      );
      await assertClean();
    });

    test("a reasoning model's thinking streams into its collapsed section, the answer into the card's box", async () => {
      const { page, deliver, assertClean } = await open("dark");
      const plan = { trajectories: 1, temperature: 0.7, maxTokens: 256, kind: "chat" as const };
      const statistics = { tokens: 9, targetCalls: 6, tokensPerCall: 1.5, acceptedDraftTokens: 3, draftedTokens: 4, tokensPerSecond: 30 };
      // A template that opened <think> in the prompt: the output starts inside the segment.
      const thinkingLines = Array.from({ length: 30 }, (_, line) => `step ${String(line + 1)}`).join("\n");
      const step = (text: string, answerStart?: number): PanelEvent => ({
        type: "solveProgress",
        solveId: "stream",
        trajectories: [
          {
            trajectory: 0,
            spans: [{ text, origin: "model" }],
            statistics,
            ...(answerStart === undefined ? {} : { thinking: "…", answerStart }),
          },
        ],
        at: 100,
      });
      const view = card(page, 0);
      const thinkingText = view.locator("details.thinking .thinking-text");
      const answerText = view.locator("pre.candidate-output > code.candidate-text").last();
      await deliver(
        batches([
          { type: "solveStarted", solveId: "stream", problem: "Sum two numbers.", startedAt: 0 },
          { type: "solvePlanned", solveId: "stream", plan },
          step(thinkingLines, thinkingLines.length),
        ]),
      );
      await page.locator('.card-text[data-drawn="streaming"]').waitFor();
      assert.equal(await view.locator("details.thinking").isVisible(), true, "the section shows while the model thinks");
      assert.equal(await view.locator("details.thinking").getAttribute("open"), null, "collapsed");
      assert.equal(await view.locator("details.thinking > summary").textContent(), " Thinking…");
      assert.equal(await answerText.textContent(), "", "no answer yet");
      const tail = await thinkingText.textContent();
      assert.ok(tail?.endsWith("step 30") && !tail.includes("step 1\n"), `only the thinking's last lines are drawn: ${String(tail)}`);

      const closing = "\n</think>\n\n";
      const answer = "return a + b;";
      await deliver(batches([step(closing, thinkingLines.length + closing.length), step(answer)]));
      await view.locator("pre.candidate-output > code.candidate-text", { hasText: answer }).waitFor();
      assert.equal(await view.locator("details.thinking > summary").textContent(), " Thinking (31 lines)");
      assert.ok((await thinkingText.textContent())?.endsWith("step 30\n</think>\n\n"));
      assert.equal(await answerText.textContent(), answer, "the answer alone in the box");
      await view.locator("details.thinking > summary").click();
      await page.screenshot({ path: join(ARTIFACTS, "panel-thinking-streaming.png"), fullPage: true });
      await assertClean();
    });

    test("a reasoning model's answer: thinking collapsed, one text, the applied code block marked and the rest dimmed", async () => {
      const { page, deliver, assertClean } = await open("dark");
      const thinking = "The sum of two numbers.\nUse the + operator.";
      const text = `<think>${thinking}</think>\nHere is the function:\n\n\`\`\`ts\nfunction add(a: number, b: number) {\n  return a + b;\n}\n\`\`\`\nIt adds.`;
      const answerStart = text.indexOf("Here");
      const code = "function add(a: number, b: number) {\n  return a + b;\n}";
      const codeStart = text.indexOf(code);
      const candidate: Candidate = {
        trajectory: 0,
        text,
        thinking,
        answer: text.slice(answerStart),
        answerStart,
        codeBlocks: [{ language: "ts", code }],
        applied: { start: codeStart, end: codeStart + code.length, kind: "code block", language: "ts" },
        finishReason: "stop",
        statistics: { tokens: 30, targetCalls: 12, tokensPerCall: 2.5, acceptedDraftTokens: 18, draftedTokens: 20, tokensPerSecond: 41.5 },
        group: 0,
      };
      const plan = { trajectories: 1, temperature: 0.7, maxTokens: 256, kind: "chat" as const };
      const chat: SolveResult = {
        plan,
        candidates: [candidate],
        groups: [{ members: [0], representative: 0 }],
        statistics: { ...candidate.statistics, trajectories: 1, elapsedMs: 723, histogram: [4, 2, 6] },
      };
      const state = fold([
        { type: "solveStarted", solveId: "chat", problem: "Write add(a, b) in TypeScript.\nKeep it short.", startedAt: 0 },
        { type: "solvePlanned", solveId: "chat", plan },
        {
          type: "solveProgress",
          solveId: "chat",
          trajectories: [
            {
              trajectory: 0,
              spans: [
                { text: text.slice(0, 40), origin: "model" },
                { text: text.slice(40), origin: "draft" },
              ],
              statistics: candidate.statistics,
            },
          ],
          at: 700,
        },
        { type: "solveFinished", solveId: "chat", result: chat },
      ]);
      await deliver([snapshot(state)]);
      await page.locator('.candidate-card[data-finished="true"]').waitFor();
      const view = card(page, 0);
      assert.equal(await view.locator("details.thinking").getAttribute("open"), null, "thinking starts collapsed");
      assert.equal(await view.locator("details.thinking .thinking-text").textContent(), text.slice(0, answerStart));
      const shownText = view.locator("pre.candidate-output > code.candidate-text").last();
      assert.equal(await shownText.textContent(), text.slice(answerStart), "the answer in the same font and marks");
      assert.equal((await shownText.locator(".applied").allTextContents()).join(""), code, "the applied part is marked");
      assert.equal((await shownText.locator(".not-applied").allTextContents()).join(""), "Here is the function:\n\n```ts\n\n```\nIt adds.");
      assert.equal(
        await view.locator(".applied-note").textContent(),
        "Insert, Replace and Copy use the marked code block (lines 4–6); the dimmed text is not applied.",
      );
      assert.ok((await shownText.locator(".applied.span-draft").count()) > 0, "draft marks inside the applied part");
      assert.equal(await page.locator(".problem").getAttribute("title"), "Write add(a, b) in TypeScript.\nKeep it short.");
      await view.locator("details.thinking > summary").click();
      await page.screenshot({ path: join(ARTIFACTS, "panel-reasoning.png"), fullPage: true });

      // Failure is an error; a cancel is not, and its candidates stay usable.
      await deliver(batches([{ type: "solveFailed", solveId: "chat", message: "The model ran out of context." }]));
      assert.equal(await page.locator('#solve[data-phase="failed"]').count(), 1);
      assert.equal(await page.locator(".solve-message").textContent(), "The model ran out of context.");
      assert.equal(await page.locator(".solve-message.error").count(), 1);
      const runningChat: PanelState = { ...state, solve: state.solve && { ...state.solve, phase: "running" } };
      await deliver([snapshot(fold([{ type: "solveCancelled", solveId: "chat", result: chat }], runningChat))]);
      assert.match((await page.locator(".solve-message").textContent()) ?? "", /^Cancelled\. The candidates so far can still be/);
      assert.equal(await page.locator(".solve-message.error").count(), 0, "a cancel is not shown as an error");
      assert.equal(
        await page.evaluate(() => (globalThis as unknown as InPage).__stand.style(".solve-message", "color")),
        "rgb(157, 157, 157)",
        "muted",
      );
      assert.equal(await card(page, 0).locator('[data-action="insert"]').count(), 1, "a cancelled solve's candidate can be applied");
      await deliver([snapshot(emptyPanelState)]);
      assert.equal(await page.locator("#empty").isVisible(), true);
      assert.equal(await page.locator("#solve").count(), 0);
      await assertClean();
    });

    test("16 candidates × 1,000 tokens: the DOM per card stays bounded while streaming, and Done is drawn soon after the result", async (t) => {
      const { page, deliver, assertClean } = await open("dark");
      const trajectories = 16;
      const tokens = 1000;
      const plan = { trajectories, temperature: 0.7, maxTokens: tokens, kind: "code" as const };
      const line = (trajectory: number, index: number): string => `  const value${index} = compute(${trajectory}, ${index}); // step\n`;
      const streamed: PanelEvent[] = [
        { type: "solveStarted", solveId: "big", problem: "function big() {\n", startedAt: Date.now() },
        { type: "solvePlanned", solveId: "big", plan },
      ];
      // Batches as the server coalesces them: every trajectory gains a line (about 12 tokens) per batch.
      const batchesCount = Math.ceil(tokens / 12);
      for (let batch = 0; batch < batchesCount; batch++)
        streamed.push({
          type: "solveProgress",
          solveId: "big",
          at: Date.now(),
          trajectories: Array.from({ length: trajectories }, (_, trajectory) => ({
            trajectory,
            spans: [
              { text: line(trajectory, batch).slice(0, 20), origin: "draft" as const },
              { text: line(trajectory, batch).slice(20), origin: "model" as const },
            ],
            statistics: {
              tokens: (batch + 1) * 12,
              targetCalls: (batch + 1) * 8,
              tokensPerCall: 1.5,
              acceptedDraftTokens: batch,
              draftedTokens: 2 * batch,
              tokensPerSecond: 100,
            },
          })),
        });
      const streamState = fold(streamed);
      const candidates: Candidate[] = (streamState.solve?.cards ?? []).map((state) => {
        const text = state.spans.map((span) => span.text).join("");
        return {
          trajectory: state.trajectory,
          text,
          answer: text,
          answerStart: 0,
          codeBlocks: [{ language: "typescript", code: text }],
          applied: { start: 0, end: text.length, kind: "code", language: "typescript" },
          finishReason: "length",
          statistics: { tokens, targetCalls: 667, tokensPerCall: 1.5, acceptedDraftTokens: 80, draftedTokens: 160, tokensPerSecond: 100 },
          group: state.trajectory,
        };
      });
      const big: SolveResult = {
        plan,
        candidates,
        groups: candidates.map((candidate) => ({ members: [candidate.trajectory], representative: candidate.trajectory })),
        statistics: {
          tokens: tokens * trajectories,
          targetCalls: 667,
          tokensPerCall: 24,
          acceptedDraftTokens: 1280,
          draftedTokens: 2560,
          tokensPerSecond: 1600,
          trajectories,
          elapsedMs: 10_000,
          histogram: [400, 200, 67],
        },
      };
      // Many batches at once, as a flood the panel must fold and draw per frame.
      const streamStart = performance.now();
      await deliver([{ type: "events", events: streamed }]);
      const streamMs = performance.now() - streamStart;
      const nodes = await page.evaluate(() => (globalThis as unknown as InPage).__stand.descendants(".candidate-card"));
      assert.equal(nodes.length, trajectories);
      const lines = (await page.locator(".candidate-card .candidate-text").first().textContent())?.split("\n").length ?? 0;
      assert.ok(lines <= 17, `a streaming card holds its last lines only (${lines})`);
      assert.ok(Math.max(...nodes) < 200, `DOM nodes per streaming card: at most ${Math.max(...nodes)}`);
      const finishStart = performance.now();
      await deliver([{ type: "events", events: [{ type: "solveFinished", solveId: "big", result: big }] }]);
      await page.locator('#solve[data-phase="done"] .phase-line, .phase[data-phase="done"]').first().waitFor({ state: "attached" });
      const doneMs = performance.now() - finishStart;
      const finishedNodes = await page.evaluate(() => (globalThis as unknown as InPage).__stand.descendants(".candidate-card"));
      t.diagnostic(
        `${streamed.length} events folded and drawn in ${streamMs.toFixed(0)} ms; Done drawn ${doneMs.toFixed(0)} ms after the result; DOM nodes per card: streaming ≤ ${Math.max(...nodes)}, finished ≤ ${Math.max(...finishedNodes)}`,
      );
      assert.ok(Math.max(...finishedNodes) < 1200, `a finished card shows its first lines only (${Math.max(...finishedNodes)} nodes)`);
      assert.match((await page.locator(".candidate-card .show-all").first().textContent()) ?? "", /^Show all \d+ lines$/);
      await page.locator(".candidate-card .show-all").first().click();
      await page.screenshot({ path: join(ARTIFACTS, "panel-show-all.png") });
      assert.equal(
        await page.locator(".candidate-card .candidate-text").first().textContent(),
        candidates[0]?.text,
        "Show all shows the whole text",
      );
      await assertClean();
    });

    test("checks: the box, Run checks and Apply best, a badge and the first failure per card, cards by checks passed, the best marked", async () => {
      const { page, deliver, takePosted, assertClean } = await open("dark");
      const recorded = defined(finalState.solve, "the recorded solve");
      const solveId = recorded.id;
      const problem = recorded.problem;
      const checkResult = (trajectory: number, passed: number): CandidateCheckResult => ({
        trajectory,
        status: passed === 2 ? "passed" : "failed",
        passed,
        total: 2,
        results: [
          { outcome: "passed", actual: "0" },
          passed === 2 ? { outcome: "passed", actual: "1" } : { outcome: "failed", actual: "undefined" },
        ],
        durationMs: 31,
      });
      const checks: RunChecksResult = {
        checks: [
          { source: "example", code: "fibonacci(0)", expected: "0", line: 5 },
          { source: "user", code: "fibonacci(1)", expected: "1", line: 1 },
        ],
        // Trajectory 1 passes; 0 and 2 (one card: the same text) fail the user's check.
        candidates: [checkResult(0, 1), checkResult(1, 2), checkResult(2, 1)],
        groups: [
          { members: [0, 2], representative: 0 },
          { members: [1], representative: 1 },
        ],
        ranking: [1, 0, 2],
        sandbox: { permissionModel: true, runtime: "Node 20.20.2", timeoutMs: 2000, memoryMb: 256, outputBytes: 65536 },
      };
      // Mid-solve: the box takes checks already, Run checks waits for the result.
      await deliver(batches(events.slice(0, halfway)));
      assert.equal(await page.locator("#checks-input").count(), 1);
      assert.equal(await page.locator('[data-action="runChecks"]').getAttribute("disabled"), "", "no checks before the solve ends");
      await deliver(batches(events.slice(halfway, finishedAt + 1)));
      await page.locator('#solve[data-phase="done"]').waitFor({ state: "attached" });
      assert.equal(await page.locator('[data-action="runChecks"]').getAttribute("disabled"), null);
      assert.equal(await page.locator(".candidate-card[data-check-status]").count(), 0, "no results before a run");

      // Typing in the box tells the extension, per problem; Run checks and Apply best name the solve.
      await takePosted();
      await page.locator("#checks-input").click();
      await page.keyboard.type("fibonacci(1) // => 1");
      const typed = (await takePosted()).filter((message) => message.type === "userChecksEdited");
      assert.deepEqual(typed.at(-1), { type: "userChecksEdited", problem, checks: "fibonacci(1) // => 1" });
      // Saved with the keystroke, not at a later, deferred save: a view hidden now comes back with it.
      const saved = await page.evaluate(() => (globalThis as unknown as InPage).__stand.savedState());
      assert.ok(saved.includes(JSON.stringify("fibonacci(1) // => 1")), "the typed checks are in the saved state at once");
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await page.locator('[data-action="applyBest"]').click();
      assert.deepEqual(await takePosted(), [
        { type: "runChecks", solveId },
        { type: "applyBest", solveId },
      ]);

      // Results stream in per candidate, then the whole run.
      await deliver(batches([{ type: "checksStarted", solveId, runId: "r1" }]));
      assert.equal(await page.locator('[data-action="runChecks"]').getAttribute("disabled"), "", "one run at a time");
      assert.match((await page.locator(".checks-summary").textContent()) ?? "", /Running checks… 0 of 3/);
      assert.equal(await page.locator(".live-summary").textContent(), "Running checks.");
      await deliver(batches([{ type: "checksProgress", solveId, runId: "r1", result: checkResult(0, 1) }]));
      assert.equal(await card(page, 0).getAttribute("data-check-status"), "failed");
      await deliver(batches([{ type: "checksFinished", solveId, runId: "r1", result: checks }]));
      assert.deepEqual(
        await page.evaluate(() => (globalThis as unknown as InPage).__stand.attributes(".candidate-card", "data-trajectory")),
        ["1", "0"],
        "the passing card first; 0 and 2 share a card",
      );
      assert.equal(await card(page, 1).getAttribute("data-best"), "true");
      assert.equal(await page.locator('.candidate-card[data-best="true"]').count(), 1, "one best");
      assert.equal(normalise(await card(page, 1).locator(".check-status").innerText()), "passed 2/2");
      assert.equal(normalise(await card(page, 0).locator(".check-status").innerText()), "failed 1/2");
      assert.equal(await card(page, 1).locator(".check-detail").isVisible(), false, "nothing failed");
      assert.equal(
        normalise(await card(page, 0).locator(".check-detail").innerText()),
        "your check: fibonacci(1) expected 1, got undefined",
      );
      assert.match((await card(page, 1).getAttribute("aria-label")) ?? "", /passed 2 of 2 checks, the best$/);
      assert.equal(
        await page.locator(".checks-summary").textContent(),
        "1 of 3 candidates passes all 2 checks (1 @example line, 1 of yours) · Node 20.20.2, permission model on",
      );
      assert.equal(await page.locator(".live-summary").textContent(), "Checks done: 1 of 3 candidates passed. The best is candidate 2.");
      const passedColour = await page.evaluate(() => (globalThis as unknown as InPage).__stand.style(".check-passed", "color"));
      assert.equal(passedColour, "rgb(137, 209, 133)", "the theme's colour (testing.iconPassed, else charts.green)");
      await page.screenshot({ path: join(ARTIFACTS, "panel-checks.png"), fullPage: true });

      // A failed run says why; an untrusted workspace turns Run checks off and says so.
      await deliver(batches([{ type: "checksStarted", solveId, runId: "r2" }]));
      await deliver(batches([{ type: "checksFailed", solveId, runId: "r2", message: "There is nothing to check." }]));
      assert.equal(await page.locator(".checks-summary.error").textContent(), "There is nothing to check.");
      await deliver(batches([{ type: "checksAvailability", availability: { mode: "ask", trusted: false } }]));
      assert.equal(await page.locator('[data-action="runChecks"]').getAttribute("disabled"), "");
      assert.match((await page.locator('[data-action="runChecks"]').getAttribute("title")) ?? "", /trusted workspace/);
      assert.equal(await page.locator('[data-action="applyBest"]').getAttribute("disabled"), null, "Apply best still goes by the vote");

      // The typed checks come back with the saved state.
      await page.reload();
      await page.waitForFunction(() => (globalThis as unknown as InPage).__stand.posted.some((message) => message.type === "ready"));
      assert.equal(
        await page.locator("#checks-input").evaluate((box) => (box as unknown as { value: string }).value),
        "fibonacci(1) // => 1",
      );
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

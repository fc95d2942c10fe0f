// The extension in real VS Code: code-server serves the workbench with this repository as an
// installed extension and the embedded model; headless chromium plays the user. One code-server
// and one browser for all steps, which run in order and build on each other, as a user's session
// would. Screenshots of each stage go to .test-artifacts/e2e/ (panel.png is the README's).
// Needs `npm run setup:e2e`; skipped without it unless STAND_TEST_STRICT=1 (CI), where it fails.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  ARTIFACTS,
  createSandbox,
  missingTools,
  EDITING_SETTINGS,
  QUIET_SETTINGS,
  startCodeServer,
  type CodeServer,
  type Sandbox,
} from "./support/codeServer";
import { defined } from "../support/defined";
import { waitUntil } from "./support/waitUntil";
import { Workbench } from "./support/workbench";

const SHOTS = join(ARTIFACTS, "e2e");
const EXTENSION_ID = "stand-dev.stand-vscode";
const TRAJECTORIES = 3;
const MISSING_MODEL = "/nonexistent/missing.gguf";

const missing = missingTools();
const strict = process.env.STAND_TEST_STRICT === "1";

const SETTINGS = { ...QUIET_SETTINGS, ...EDITING_SETTINGS, "stand.trajectories": TRAJECTORIES };

/** Whitespace-insensitive text, for comparing what different parts of the UI render. */
const normalise = (text: string): string => text.replace(/\s+/g, " ").trim();

describe("VS Code end to end (code-server + chromium)", { skip: missing && !strict ? missing : false }, () => {
  let sandbox: Sandbox;
  // Set by before(); undefined when it failed.
  let server: CodeServer | undefined;
  let opened: Workbench | undefined;
  const file = (relativePath: string): string => readFileSync(join(sandbox.workspace, relativePath), "utf8");

  /** Runs a step on the open workbench; on failure leaves a screenshot named after it next to the others. */
  const step = (name: string, timeoutMs: number, body: (workbench: Workbench) => Promise<void>): void => {
    test(name, { timeout: timeoutMs }, async (t) => {
      const workbench = defined(opened, "the workbench (it did not open)");
      try {
        await body(workbench);
      } catch (error) {
        const shot = await workbench.screenshot(`FAILED ${name.slice(0, 40).replace(/[^\w-]+/g, "-")}`).catch(() => "none");
        t.diagnostic(`screenshot: ${shot}`);
        throw error;
      }
    });
  };

  before(async () => {
    if (missing) throw new Error(`${missing}; STAND_TEST_STRICT=1 makes this a failure instead of a skip`);
    mkdirSync(SHOTS, { recursive: true });
    for (const name of readdirSync(SHOTS)) if (name.endsWith(".png")) rmSync(join(SHOTS, name));
    sandbox = createSandbox(join(SHOTS, "sandbox"), { settings: SETTINGS });
    server = await startCodeServer(sandbox);
    opened = await Workbench.open(server.url, SHOTS, sandbox.env);
  });

  after(async () => {
    await opened?.close();
    await server?.stop();
  });

  step("a. the workbench loads, the extension activates and the embedded model is ready, called a demo", 90_000, async (workbench) => {
    await workbench.statusItem("STAND").waitFor({ timeout: 60_000 });
    await workbench.statusItem("stand-code-mini (demo)").waitFor({ timeout: 60_000 });
    // On first use the demo model says what it is (test/slow/editorRoundTrip.test.ts covers the rest).
    await workbench.notification(/built-in model is a 5\.8M-parameter demo/).waitFor({ timeout: 15_000 });
    await workbench.screenshot("1-ready");
    await workbench.runCommand("Notifications: Clear All Notifications");
  });

  step(`b. Solve Selection streams ${TRAJECTORIES} candidates into the panel`, 90_000, async (workbench) => {
    await workbench.openFile("src/math.ts");
    // The last function but its closing brace: a doc comment, the signature and a first line,
    // which the candidates continue.
    await workbench.page.keyboard.press("Control+End");
    await workbench.page.keyboard.press("ArrowUp");
    for (let line = 0; line < 3; line++) await workbench.page.keyboard.press("Shift+ArrowUp");
    await workbench.screenshot("2-selection");
    await workbench.runCommand("STAND: Solve Selection with N Candidates");

    // The panel opens in STAND's own side bar container.
    await workbench.page.locator(".part.sidebar .composite.title", { hasText: /STAND/i }).waitFor({ timeout: 15_000 });
    const panel = workbench.webview(EXTENSION_ID);
    await panel
      .locator(".candidate-card[data-trajectory]")
      .nth(TRAJECTORIES - 1)
      .waitFor({ timeout: 30_000 });
    await panel.locator('#solve[data-phase="done"]').waitFor({ timeout: 60_000 });
    // Identical candidates share one card (data-copies lists them): every trajectory is on a card.
    const cards = panel.locator(".candidate-card[data-trajectory]");
    const trajectoriesShown = await cards.evaluateAll((elements: { getAttribute(name: string): string | null }[]) =>
      elements.reduce((sum, element) => sum + (element.getAttribute("data-copies")?.split(" ").length ?? 1), 0),
    );
    assert.equal(trajectoriesShown, TRAJECTORIES);
    assert.equal(await panel.locator('.candidate-card[data-finished="true"]').count(), await cards.count(), "every card is finished");
    // Wide enough for the candidates' code: this screenshot is the README's.
    await workbench.resizeSideBar(560);
    await workbench.page.waitForTimeout(300);
    await workbench.screenshot("panel");
  });

  step("c. Insert puts the first candidate into the editor", 30_000, async (workbench) => {
    const card = workbench.webview(EXTENSION_ID).locator(".candidate-card[data-trajectory]").first();
    const shown = normalise(await card.innerText());
    const original = file("src/math.ts");
    await card.locator('[data-action="insert"]').click();
    // "Insert" puts the candidate at the end of the solve's selection: before the last line, "}".
    // A read while the editor saves can find the file empty for a moment: that is not the edit.
    const edited = await waitUntil(
      () => file("src/math.ts"),
      (text) => text !== original && text.length > 0,
      "the candidate to reach src/math.ts",
    );
    const [before, after] = [original.slice(0, original.lastIndexOf("}")), original.slice(original.lastIndexOf("}"))];
    assert.ok(
      edited.startsWith(before) && edited.endsWith(after),
      `the candidate goes in at the end of the selection; nothing else changes:\n${edited}`,
    );
    const inserted = normalise(edited.slice(before.length, edited.length - after.length));
    assert.ok(inserted.length > 0, "something was inserted");
    assert.ok(shown.includes(inserted), `the inserted text is the card's candidate:\n  inserted: ${inserted}\n  card: ${shown}`);
    await workbench.screenshot("3-inserted");
  });

  step("d. typing shows ghost text; Alt+] cycles to another candidate; Tab accepts it", 60_000, async (workbench) => {
    await workbench.openFile("src/strings.js");
    await workbench.page.keyboard.press("Control+End");
    // The editor closes the brace itself, so Enter leaves the cursor on an indented line inside it.
    // A word on that line: on a blank line VS Code's Tab indents rather than accepting ghost text
    // that starts with indentation. After "const" the model's candidates differ (a new name each),
    // so the three items stay three after deduplication; after "return" they often collapse.
    await workbench.page.keyboard.type("function add(a, b) {", { delay: 20 });
    await workbench.page.keyboard.press("Enter");
    await workbench.page.keyboard.type("const", { delay: 20 });

    const ghost = async (): Promise<string[]> => (await workbench.ghostLines()).map(normalise);
    const first = await waitUntil(ghost, (lines) => lines.length > 0, "ghost text", 30_000);
    await workbench.screenshot("4-ghost-text");

    await workbench.page.keyboard.press("Alt+BracketRight");
    const counter = workbench.page.locator(".inlineSuggestionsHints");
    await waitUntil(
      async () => ({ lines: await ghost(), counter: normalise((await counter.allInnerTexts()).join(" ")) }),
      ({ lines, counter }) => lines.length > 0 && (lines.join("\n") !== first.join("\n") || /\b2\/\d/.test(counter)),
      "Alt+] to show the second candidate",
    );
    await workbench.screenshot("5-ghost-text-next");

    // Auto-save has the typed line on disk before Tab, so the next change on disk is the accepted text.
    const typed = await waitUntil(
      () => file("src/strings.js"),
      (text) => text.includes("const\n"),
      "the typed line to be saved",
    );
    const shown = await ghost();
    await workbench.page.keyboard.press("Tab");
    await waitUntil(
      () => normalise(file("src/strings.js")),
      (text) => text !== normalise(typed) && shown.every((line) => text.includes(line)),
      `src/strings.js to hold the accepted ghost text ${JSON.stringify(shown)}`,
    );
    await workbench.screenshot("6-accepted");
  });

  step("d2. typing the start of ghost text, then Alt+] shows the place's alternatives", 60_000, async (workbench) => {
    // A new line inside the function: ghost text there, then the first characters it shows typed
    // by hand. The completion cache answers with the rest of that one completion; Alt+] asks
    // explicitly, and the server computes the place's own candidates after it.
    await workbench.page.keyboard.press("End");
    await workbench.page.keyboard.press("Enter");
    const ghost = async (): Promise<string[]> => (await workbench.ghostLines()).map(normalise);
    const [line = ""] = await waitUntil(ghost, (lines) => (lines[0] ?? "").trim().length >= 2, "ghost text on the new line", 30_000);
    const start = line.trim().slice(0, 2);
    await workbench.page.keyboard.type(start, { delay: 20 });
    await waitUntil(ghost, (lines) => (lines[0] ?? "").trim().startsWith(start) && (lines[0] ?? "").trim().length > 2, "the rest of it");
    await workbench.page.keyboard.press("Alt+BracketRight");
    const counter = workbench.page.locator(".inlineSuggestionsHints");
    await waitUntil(
      async () => normalise((await counter.allInnerTexts()).join(" ")),
      (text) => /\b\d+\/([2-9]|\d\d)\b/.test(text),
      "Alt+] to offer more than the typed-through completion",
    );
    await workbench.screenshot("6b-alternatives-after-typing-through");
    await workbench.page.keyboard.press("Escape");
  });

  step("e. selecting a model file that does not exist shows the server's error", 60_000, async (workbench) => {
    await workbench.runCommand("STAND: Select Model…");
    await workbench.quickInput().fill("Enter a path");
    await workbench.pickFocused("Enter a path or hf: URI");
    await workbench.quickInput().fill(MISSING_MODEL);
    await workbench.page.keyboard.press("Enter");
    const toast = workbench.notification(`No model file at ${MISSING_MODEL}`);
    await toast.waitFor({ timeout: 30_000 });
    assert.match(normalise(await toast.locator(".notification-list-item-message").innerText()), /^STAND: No model file at /);
    await workbench.page.waitForTimeout(300); // the toast slides in
    await workbench.screenshot("7-missing-model");
    // The embedded model stays loaded.
    await workbench.statusItem("stand-code-mini").waitFor({ timeout: 30_000 });
  });
});

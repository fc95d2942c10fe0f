// Drives the VS Code workbench in headless chromium the way a user would: the command palette,
// Quick Open, notifications, the status bar, and webviews (which are nested iframes).
import { mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from "playwright-core";
import { CHROMIUM } from "./codeServer";

/** The little of the DOM that functions run in the page use (this project compiles without DOM types). */
interface PageElement {
  querySelectorAll(selector: string): Iterable<PageElement>;
  closest(selector: string): PageElement | null;
  readonly innerText: string;
}

export class Workbench {
  private constructor(
    private readonly browser: Browser,
    readonly page: Page,
    private readonly screenshots: string,
    /** Errors the workbench page logged, for the failure report. */
    readonly consoleErrors: string[],
  ) {}

  /**
   * `env` should hold the sandbox's XDG folders: chromium writes crash report settings under them.
   * `permissions` are granted to the page (e.g. clipboard-read, to check what Copy copied).
   */
  static async open(
    url: string,
    screenshots: string,
    env: Readonly<Record<string, string>>,
    permissions: readonly string[] = [],
  ): Promise<Workbench> {
    mkdirSync(screenshots, { recursive: true });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      env: { ...process.env, ...env },
      // No sandbox (CI runs as root), no GPU, and nothing that phones home.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-crash-reporter",
        "--disable-breakpad",
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, permissions: [...permissions] });
    const consoleErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => {
      consoleErrors.push(`page error: ${error.message}`);
    });
    await page.goto(url);
    await page.locator(".monaco-workbench .part.statusbar").waitFor({ timeout: 60_000 });
    return new Workbench(browser, page, screenshots, consoleErrors);
  }

  async close(): Promise<void> {
    await this.browser.close();
  }

  async screenshot(name: string): Promise<string> {
    const path = join(this.screenshots, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  /** Drags the side bar's edge so the side bar is `width` pixels wide. */
  async resizeSideBar(width: number): Promise<void> {
    const box = await this.page.locator(".part.sidebar").boundingBox();
    if (!box) throw new Error("the side bar is not visible");
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width - 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width, y, { steps: 5 });
    await this.page.mouse.up();
  }

  /** The status bar entry whose text contains `text`. */
  statusItem(text: string | RegExp): Locator {
    return this.page.locator(".part.statusbar .statusbar-item", { hasText: text });
  }

  notification(text: string | RegExp): Locator {
    return this.page.locator(".notifications-toasts .notification-toast", { hasText: text });
  }

  /** The rendered lines of the active editor, spaces normalised (the DOM uses no-break spaces). */
  async editorText(): Promise<string> {
    const text = await this.activeEditor().locator(".view-lines").innerText();
    return text.replace(/\u00a0/g, " ");
  }

  /**
   * The lines an inline suggestion shows, as they would read once accepted: the cursor's line with
   * the ghost text in it (when the suggestion continues that line), then the suggestion's further
   * lines. Ghost text is syntax-highlighted, one span per token, so whole lines are read.
   * Empty when no ghost text shows.
   */
  async ghostLines(): Promise<string[]> {
    // Runs in the page; the project compiles without DOM types, so PageElement says what it uses.
    return this.activeEditor().evaluate((editor: PageElement) => {
      const tokens = [...editor.querySelectorAll(".ghost-text-decoration"), ...editor.querySelectorAll(".ghost-text")];
      const lines = new Set(tokens.map((token) => token.closest(".view-line") ?? token));
      return [...lines].map((line) => line.innerText.replace(/\u00a0/g, " "));
    });
  }

  activeEditor(): Locator {
    return this.page.locator(".editor-group-container.active .editor-instance .monaco-editor").first();
  }

  /** Runs a command from the palette (F1) by its title as the palette shows it. */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press("F1");
    const input = this.quickInput();
    await input.waitFor({ state: "visible", timeout: 10_000 });
    await input.fill(`>${title}`);
    await this.pickFocused(title);
  }

  /** Opens a workspace file with Quick Open (Ctrl+P) and waits for its editor. */
  async openFile(relativePath: string): Promise<void> {
    await this.page.keyboard.press("Control+P");
    const input = this.quickInput();
    await input.waitFor({ state: "visible", timeout: 10_000 });
    await input.fill(relativePath);
    const name = basename(relativePath);
    await this.pickFocused(name);
    await this.page.locator(".tabs-container .tab.active", { hasText: name }).waitFor({ timeout: 15_000 });
    await this.activeEditor().waitFor({ timeout: 15_000 });
  }

  quickInput(): Locator {
    return this.page.locator(".quick-input-widget .quick-input-box input");
  }

  /** Waits until the quick pick's highlighted row matches, then accepts it. */
  async pickFocused(text: string | RegExp): Promise<void> {
    await this.page.locator(".quick-input-list .monaco-list-row.focused", { hasText: text }).waitFor({ timeout: 10_000 });
    await this.page.keyboard.press("Enter");
  }

  /**
   * The document of a webview view contributed by `extensionId`. A webview is an outer iframe (the
   * host page, `.ready` once loaded) holding an inner `#active-frame` with the extension's HTML.
   */
  webview(extensionId: string): FrameLocator {
    return this.page.frameLocator(`iframe.webview.ready[src*="extensionId=${extensionId}"]`).frameLocator("#active-frame");
  }
}

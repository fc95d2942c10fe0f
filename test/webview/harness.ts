// A stand-in for the VS Code webview host, for the candidates panel's tests in real Chromium: a
// local HTTP server for dist/webview/ and the page panelHtml() makes (with theme variables set on
// the page as VS Code does), and an init script that plays acquireVsCodeApi and records what the
// panel posts, what it saves with setState, and any CSP violation.
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { panelHtml } from "../../extension/src/panelHtml";

export type ThemeName = "dark" | "light" | "high-contrast";

const FONTS = {
  "--vscode-font-family": 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  "--vscode-font-size": "13px",
  "--vscode-font-weight": "normal",
  "--vscode-editor-font-family": '"Droid Sans Mono", "DejaVu Sans Mono", monospace',
  "--vscode-editor-font-size": "13px",
  "--vscode-editor-font-weight": "normal",
};

/** A subset of the variables VS Code sets on a webview's <html>, from Dark/Light Modern and Dark High Contrast. */
export const THEMES: Record<ThemeName, { readonly bodyClass: string; readonly variables: Record<string, string> }> = {
  dark: {
    bodyClass: "vscode-dark",
    variables: {
      ...FONTS,
      "--vscode-foreground": "#cccccc",
      "--vscode-descriptionForeground": "#9d9d9d",
      "--vscode-errorForeground": "#f85149",
      "--vscode-focusBorder": "#0078d4",
      "--vscode-sideBar-background": "#181818",
      "--vscode-editor-background": "#1f1f1f",
      "--vscode-editorWidget-background": "#202020",
      "--vscode-widget-border": "#313131",
      "--vscode-textCodeBlock-background": "#2b2b2b",
      "--vscode-textLink-foreground": "#4daafc",
      "--vscode-textBlockQuote-background": "#2b2b2b",
      "--vscode-textBlockQuote-border": "#616161",
      "--vscode-diffEditor-insertedTextBackground": "#9ccc2c33",
      "--vscode-charts-foreground": "#cccccc",
      "--vscode-charts-lines": "#cccccc80",
      "--vscode-charts-blue": "#3794ff",
      "--vscode-charts-green": "#89d185",
      "--vscode-charts-orange": "#d18616",
      "--vscode-charts-yellow": "#cca700",
      "--vscode-charts-red": "#f14c4c",
      "--vscode-editorWarning-foreground": "#cca700",
      "--vscode-badge-background": "#616161",
      "--vscode-badge-foreground": "#f8f8f8",
      "--vscode-button-background": "#0078d4",
      "--vscode-button-foreground": "#ffffff",
      "--vscode-button-hoverBackground": "#026ec1",
      "--vscode-button-border": "#ffffff12",
      "--vscode-button-secondaryBackground": "#313131",
      "--vscode-button-secondaryForeground": "#cccccc",
      "--vscode-button-secondaryHoverBackground": "#3c3c3c",
      "--vscode-progressBar-background": "#0078d4",
      "--vscode-icon-foreground": "#cccccc",
      "--vscode-sideBarSectionHeader-background": "#181818",
      "--vscode-sideBarSectionHeader-foreground": "#cccccc",
      "--vscode-sideBarSectionHeader-border": "#2b2b2b",
      "--vscode-sideBarTitle-foreground": "#cccccc",
      "--vscode-keybindingLabel-background": "#8080802b",
      "--vscode-keybindingLabel-foreground": "#cccccc",
      "--vscode-keybindingLabel-border": "#33333399",
      "--vscode-keybindingLabel-bottomBorder": "#44444499",
      "--vscode-debugTokenExpression-name": "#c586c0",
      "--vscode-debugTokenExpression-string": "#ce9178",
      "--vscode-debugTokenExpression-boolean": "#4e94ce",
      "--vscode-debugTokenExpression-number": "#b5cea8",
      "--vscode-symbolIcon-classForeground": "#ee9d28",
      "--vscode-symbolIcon-functionForeground": "#b180d7",
    },
  },
  light: {
    bodyClass: "vscode-light",
    variables: {
      ...FONTS,
      "--vscode-foreground": "#3b3b3b",
      "--vscode-descriptionForeground": "#717171",
      "--vscode-errorForeground": "#f85149",
      "--vscode-focusBorder": "#005fb8",
      "--vscode-sideBar-background": "#f8f8f8",
      "--vscode-editor-background": "#ffffff",
      "--vscode-editorWidget-background": "#ffffff",
      "--vscode-widget-border": "#e5e5e5",
      "--vscode-textCodeBlock-background": "#f2f2f2",
      "--vscode-textLink-foreground": "#005fb8",
      "--vscode-textBlockQuote-background": "#f8f8f8",
      "--vscode-textBlockQuote-border": "#e5e5e5",
      "--vscode-diffEditor-insertedTextBackground": "#9ccc2c40",
      "--vscode-charts-foreground": "#616161",
      "--vscode-charts-lines": "#61616180",
      "--vscode-charts-blue": "#1a85ff",
      "--vscode-charts-green": "#388a34",
      "--vscode-charts-orange": "#d18616",
      "--vscode-charts-yellow": "#bf8803",
      "--vscode-charts-red": "#e51400",
      "--vscode-editorWarning-foreground": "#bf8803",
      "--vscode-badge-background": "#cccccc",
      "--vscode-badge-foreground": "#3b3b3b",
      "--vscode-button-background": "#005fb8",
      "--vscode-button-foreground": "#ffffff",
      "--vscode-button-hoverBackground": "#0258a8",
      "--vscode-button-border": "#0000001a",
      "--vscode-button-secondaryBackground": "#e5e5e5",
      "--vscode-button-secondaryForeground": "#3b3b3b",
      "--vscode-button-secondaryHoverBackground": "#cccccc",
      "--vscode-progressBar-background": "#005fb8",
      "--vscode-icon-foreground": "#3b3b3b",
      "--vscode-sideBarSectionHeader-background": "#f8f8f8",
      "--vscode-sideBarSectionHeader-foreground": "#3b3b3b",
      "--vscode-sideBarSectionHeader-border": "#e5e5e5",
      "--vscode-sideBarTitle-foreground": "#3b3b3b",
      "--vscode-keybindingLabel-background": "#dddddd66",
      "--vscode-keybindingLabel-foreground": "#555555",
      "--vscode-keybindingLabel-border": "#cccccc66",
      "--vscode-keybindingLabel-bottomBorder": "#bbbbbb66",
      "--vscode-debugTokenExpression-name": "#9b46b0",
      "--vscode-debugTokenExpression-string": "#a31515",
      "--vscode-debugTokenExpression-boolean": "#0000ff",
      "--vscode-debugTokenExpression-number": "#098658",
      "--vscode-symbolIcon-classForeground": "#d67e00",
      "--vscode-symbolIcon-functionForeground": "#652d90",
    },
  },
  "high-contrast": {
    bodyClass: "vscode-high-contrast",
    variables: {
      ...FONTS,
      "--vscode-foreground": "#ffffff",
      "--vscode-descriptionForeground": "#ffffffb3",
      "--vscode-errorForeground": "#f48771",
      "--vscode-focusBorder": "#f38518",
      "--vscode-contrastBorder": "#6fc3df",
      "--vscode-contrastActiveBorder": "#f38518",
      "--vscode-sideBar-background": "#000000",
      "--vscode-editor-background": "#000000",
      "--vscode-editorWidget-background": "#0c141f",
      "--vscode-widget-border": "#6fc3df",
      "--vscode-textCodeBlock-background": "#000000",
      "--vscode-textLink-foreground": "#21a6ff",
      "--vscode-textBlockQuote-background": "#000000",
      "--vscode-textBlockQuote-border": "#ffffff",
      "--vscode-charts-foreground": "#ffffff",
      "--vscode-charts-lines": "#ffffff80",
      "--vscode-charts-blue": "#3794ff",
      "--vscode-charts-green": "#89d185",
      "--vscode-charts-orange": "#d18616",
      "--vscode-charts-yellow": "#ffd700",
      "--vscode-charts-red": "#f14c4c",
      "--vscode-editorWarning-foreground": "#ffd370",
      "--vscode-badge-background": "#000000",
      "--vscode-badge-foreground": "#ffffff",
      "--vscode-button-background": "#000000",
      "--vscode-button-foreground": "#ffffff",
      "--vscode-button-border": "#6fc3df",
      "--vscode-button-secondaryBackground": "#000000",
      "--vscode-button-secondaryForeground": "#ffffff",
      "--vscode-progressBar-background": "#6fc3df",
      "--vscode-icon-foreground": "#ffffff",
      "--vscode-sideBarSectionHeader-background": "#000000",
      "--vscode-sideBarSectionHeader-border": "#6fc3df",
      "--vscode-sideBarTitle-foreground": "#ffffff",
      "--vscode-debugTokenExpression-name": "#ffffff",
      "--vscode-debugTokenExpression-string": "#f48771",
      "--vscode-debugTokenExpression-boolean": "#75bdfe",
      "--vscode-debugTokenExpression-number": "#89d185",
      "--vscode-symbolIcon-classForeground": "#ee9d28",
      "--vscode-symbolIcon-functionForeground": "#b180d7",
    },
  },
};

export function themeCss(theme: ThemeName): string {
  const variables = Object.entries(THEMES[theme].variables)
    .map(([name, value]) => `  ${name}: ${value};`)
    .join("\n");
  // VS Code's default webview styles give the body the view's background and the theme's font.
  return `html {\n${variables}\n}\nbody {\n  background-color: var(--vscode-sideBar-background);\n}\n`;
}

export const NONCE = "c3RhbmQtdGVzdC1ub25jZQ==";

/** The product's HTML as VS Code would show it: theme stylesheet and body class added by the host. */
export function harnessPage(origin: string, theme: ThemeName): string {
  const html = panelHtml({
    cspSource: origin,
    nonce: NONCE,
    scriptUri: `${origin}/dist/webview/main.js`,
    styleUri: `${origin}/dist/webview/main.css`,
    codiconsUri: `${origin}/dist/webview/codicons/codicon.css`,
  });
  const themeClass = THEMES[theme].bodyClass;
  return html
    .replace("<head>", `<head>\n  <link rel="stylesheet" href="${origin}/theme/${theme}.css">`)
    .replace("<body>", `<body class="${themeClass}" data-vscode-theme-kind="${themeClass}">`);
}

/**
 * Runs in the page before its scripts (not subject to the page's CSP: Playwright injects it).
 * State survives a reload through sessionStorage, as VS Code keeps it across hide and show.
 */
export const BRIDGE_SCRIPT = `(() => {
  const KEY = "stand-webview-state";
  const posted = [];
  const violations = [];
  let setStateCalls = 0;
  let acquired = false;
  const observers = new Map();
  document.addEventListener("securitypolicyviolation", (event) => {
    violations.push({ directive: event.violatedDirective, blocked: event.blockedURI, sample: event.sample });
  });
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error("acquireVsCodeApi may be called only once");
    acquired = true;
    return Object.freeze({
      postMessage: (message) => { posted.push(JSON.parse(JSON.stringify(message))); },
      getState: () => {
        const saved = sessionStorage.getItem(KEY);
        return saved === null ? undefined : JSON.parse(saved);
      },
      setState: (state) => {
        setStateCalls++;
        sessionStorage.setItem(KEY, JSON.stringify(state));
        return state;
      },
    });
  };
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  window.__stand = {
    posted,
    violations,
    get setStateCalls() { return setStateCalls; },
    savedState: () => sessionStorage.getItem(KEY) ?? "",
    async deliver(messages, gapMs) {
      for (const message of messages) {
        window.postMessage(message, "*");
        if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
      await frame();
      await frame();
    },
    takePosted() { return posted.splice(0); },
    /** Starts counting DOM mutations under the selected element; stopObserving(selector) returns the count. */
    observe(selector) {
      const target = document.querySelector(selector);
      if (!target) throw new Error("nothing matches " + selector);
      const records = [];
      const observer = new MutationObserver((batch) => records.push(...batch));
      observer.observe(target, { subtree: true, childList: true, characterData: true, attributes: true });
      observers.set(selector, { observer, records });
      return true;
    },
    stopObserving(selector) {
      const { observer, records } = observers.get(selector);
      observer.disconnect();
      observers.delete(selector);
      return records.length + observer.takeRecords().length;
    },
    activeElement() {
      const element = document.activeElement;
      if (!element) return null;
      const card = element.closest(".candidate-card");
      return {
        tag: element.tagName.toLowerCase(),
        action: element.getAttribute("data-action"),
        card: card ? card.getAttribute("data-trajectory") : null,
        isCard: element.classList.contains("candidate-card"),
      };
    },
    outline(selector) {
      const style = getComputedStyle(document.querySelector(selector));
      return { style: style.outlineStyle, width: style.outlineWidth, color: style.outlineColor };
    },
    injectInlineScript() {
      const script = document.createElement("script");
      script.textContent = "window.__inlineScriptRan = true;";
      document.body.append(script);
      return window.__inlineScriptRan === true;
    },
    fontsReady() {
      return document.fonts.ready.then(() => document.fonts.check("16px codicon"));
    },
    cspMeta() {
      return document.querySelector('meta[http-equiv="Content-Security-Policy"]').getAttribute("content");
    },
    /** A computed style property of the first element the selector matches. */
    style(selector, property) {
      return getComputedStyle(document.querySelector(selector)).getPropertyValue(property);
    },
    descendants(selector) {
      return [...document.querySelectorAll(selector)].map((element) => element.querySelectorAll("*").length);
    },
    attributes(selector, name) {
      return [...document.querySelectorAll(selector)].map((element) => element.getAttribute(name) ?? "");
    },
    /** How many matching elements have a border or an outline. */
    boxed(selector) {
      return [...document.querySelectorAll(selector)].filter((element) => {
        const style = getComputedStyle(element);
        return style.borderStyle !== "none" || style.outlineStyle !== "none";
      }).length;
    },
  };
})();`;

const CSS_TYPE = "text/css; charset=utf-8";
const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": CSS_TYPE,
  ".ttf": "font/ttf",
  ".map": "application/json",
};

export interface PanelServer {
  readonly origin: string;
  url(theme: ThemeName): string;
  close(): Promise<void>;
}

/** Serves dist/webview/ under /dist/webview/, the themes under /theme/, and the page at /?theme=…. */
export async function startPanelServer(root: string): Promise<PanelServer> {
  const webview = join(root, "dist", "webview");
  let origin = "";
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", origin);
    void (async () => {
      if (url.pathname === "/") {
        const theme = (url.searchParams.get("theme") ?? "dark") as ThemeName;
        response
          .writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" })
          .end(harnessPage(origin, theme in THEMES ? theme : "dark"));
        return;
      }
      const theme = /^\/theme\/([\w-]+)\.css$/.exec(url.pathname)?.[1];
      if (theme && theme in THEMES) {
        response.writeHead(200, { "content-type": CSS_TYPE }).end(themeCss(theme as ThemeName));
        return;
      }
      if (url.pathname.startsWith("/dist/webview/")) {
        const relative = normalize(decodeURIComponent(url.pathname.slice("/dist/webview/".length)));
        if (!relative.startsWith("..")) {
          try {
            const body = await readFile(join(webview, relative));
            response.writeHead(200, { "content-type": TYPES[extname(relative)] ?? "application/octet-stream" }).end(body);
            return;
          } catch {
            // Falls through to 404.
          }
        }
      }
      // The browser's own favicon request: nothing to see, and a 404 would log a console error.
      if (url.pathname === "/favicon.ico") {
        response.writeHead(204).end();
        return;
      }
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (theme) => `${origin}/?theme=${theme}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

// One build for the three bundles: the extension client and the language server run in Node,
// the candidates panel runs in the webview's browser sandbox.
import { copyFileSync, mkdirSync } from "node:fs";
import * as esbuild from "esbuild";
import { NODE_BUNDLE } from "./nodeBundle.mjs";

const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: "info",
};

const bundles = [
  {
    ...common,
    entryPoints: ["extension/src/extension.ts"],
    outfile: "dist/extension.js",
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
  },
  {
    ...common,
    ...NODE_BUNDLE,
    entryPoints: ["language-server/src/server.ts"],
    outfile: "dist/language-server.js",
    // esbuild too loads its native binary from its own package folder (checks compile TypeScript candidates with it).
    external: [...NODE_BUNDLE.external, "esbuild"],
  },
  // The harness each candidate's checks run under, in a process of its own (language-server/src/checks/).
  {
    ...common,
    entryPoints: ["language-server/src/checks/harness.ts"],
    outfile: "dist/check-harness.js",
    platform: "node",
    format: "cjs",
    target: "node18",
    sourcemap: false,
  },
  // The candidates panel: dist/webview/main.js, main.css and codicons/ (see extension/src/panelHtml.ts).
  {
    ...common,
    entryPoints: ["webview/src/main.ts"],
    outfile: "dist/webview/main.js",
    platform: "browser",
    format: "iife",
    target: "es2022",
  },
  {
    ...common,
    entryPoints: ["webview/src/main.css"],
    outfile: "dist/webview/main.css",
    target: "chrome120",
  },
];

// The Python checks' harness runs as it is (language-server/src/checks/pythonRunner.ts).
mkdirSync("dist", { recursive: true });
copyFileSync("language-server/src/checks/harness.py", "dist/check-harness.py");

// The codicon font and its stylesheet, for the panel's icons and <vscode-button icon="…">.
mkdirSync("dist/webview/codicons", { recursive: true });
for (const file of ["codicon.css", "codicon.ttf"])
  copyFileSync(`node_modules/@vscode/codicons/dist/${file}`, `dist/webview/codicons/${file}`);

if (watch) {
  const contexts = await Promise.all(bundles.map((options) => esbuild.context(options)));
  await Promise.all(contexts.map((context) => context.watch()));
} else {
  await Promise.all(bundles.map((options) => esbuild.build(options)));
}

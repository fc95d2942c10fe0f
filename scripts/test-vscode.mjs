// `npm run test:vscode`: the integration suite (test/vscode, mocha) inside a real extension host.
//   npm run test:vscode                     desktop VS Code through @vscode/test-electron
//   npm run test:vscode -- --code-server    the same suite in code-server, opened in headless chromium
// Desktop VS Code comes from VSCODE_EXECUTABLE, from @vscode/test-electron's cache (.vscode-test/), or
// is downloaded when the download server answers; with none of these (offline) the run is skipped.
// code-server's CLI rejects --extensionDevelopmentPath/--extensionTestsPath, but its workbench takes
// them in the `payload` URL parameter (how VS Code for the Web opens an extension development
// window); the tests then run in code-server's extension host and the window closes when they end.
// STAND_TEST_STRICT=1 (CI) makes a missing code-server or chromium a failure instead of a skip. STAND_SKIP_BUILD=1 skips the build.
/* global AbortSignal, fetch, setTimeout -- Node 20 globals the shared ESLint config does not list */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const VSCODE_VERSION = "1.100.3"; // the VS Code inside code-server 4.100.3: both runs test the same editor
const artifacts = join(root, ".test-artifacts", "vscode");
const suite = join(root, "out", "vscode-tests");
const strict = process.env.STAND_TEST_STRICT === "1";
const onCodeServer = process.argv.includes("--code-server");

/** User settings for the test window: three short candidates, nothing else popping up. */
const TEST_SETTINGS = {
  "stand.trajectories": 3,
  "stand.maxTokens": 40,
  "git.openRepositoryInParentFolders": "never",
};

if (process.env.STAND_SKIP_BUILD !== "1") {
  const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) fail(`the build failed:\n${build.stdout}${build.stderr}`);
}
// The extension host loads plain CommonJS: one bundle per spec, plus the runner (index.js).
rmSync(suite, { recursive: true, force: true });
await esbuild.build({
  entryPoints: readdirSync(join(root, "test", "vscode"))
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(root, "test", "vscode", name)),
  outdir: suite,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: true,
  external: ["vscode", "mocha"],
  logLevel: "warning",
});
rmSync(artifacts, { recursive: true, force: true });
mkdirSync(artifacts, { recursive: true });

process.exit(onCodeServer ? await runInCodeServer() : await runInDesktopVSCode());

async function runInDesktopVSCode() {
  const { runTests } = await import("@vscode/test-electron");
  const options = { extensionDevelopmentPath: root, extensionTestsPath: join(suite, "index.js") };
  const cached = join(
    root,
    ".vscode-test",
    `vscode-${process.platform === "darwin" ? "darwin" : `${process.platform}-${process.arch}`}-${VSCODE_VERSION}`,
    "is-complete",
  );
  if (process.env.VSCODE_EXECUTABLE) options.vscodeExecutablePath = process.env.VSCODE_EXECUTABLE;
  else if (existsSync(cached) || (await canDownloadVSCode())) options.version = VSCODE_VERSION;
  else
    return skip(
      "no VS Code here and none can be downloaded (offline); set VSCODE_EXECUTABLE=path/to/code, or run npm run test:vscode -- --code-server",
    );

  const userData = join(artifacts, "user-data");
  mkdirSync(join(userData, "User"), { recursive: true });
  writeFileSync(join(userData, "User", "settings.json"), JSON.stringify(TEST_SETTINGS, null, 2));
  const workspace = join(artifacts, "workspace");
  mkdirSync(workspace);
  try {
    await runTests({
      ...options,
      launchArgs: [
        workspace,
        "--user-data-dir",
        userData,
        "--extensions-dir",
        join(artifacts, "extensions"),
        "--disable-extensions",
        "--disable-workspace-trust",
        "--skip-welcome",
        "--skip-release-notes",
      ],
    });
    return 0;
  } catch (error) {
    console.error(`test:vscode: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
}

async function runInCodeServer() {
  // The launcher is shared with the e2e tests, which are TypeScript.
  const { register } = await import("tsx/cjs/api");
  register();
  const require = createRequire(import.meta.url);
  const { createSandbox, missingTools, QUIET_SETTINGS, REPO, startCodeServer } = require("../test/e2e/support/codeServer.ts");
  const { Workbench } = require("../test/e2e/support/workbench.ts");
  const missing = missingTools();
  if (missing) return strict ? failure(missing) : skip(missing);

  const sandbox = createSandbox(join(artifacts, "code-server"), {
    settings: { ...QUIET_SETTINGS, ...TEST_SETTINGS },
    installExtension: false,
  });
  const reportFile = join(artifacts, "report.json");
  const server = await startCodeServer(sandbox, { env: { STAND_VSCODE_TEST_REPORT: reportFile } });
  let workbench;
  try {
    // code-server's remote authority is always "remote".
    const remote = (path) => `vscode-remote://remote${path}`;
    const payload = [
      ["extensionDevelopmentPath", remote(REPO)],
      ["extensionTestsPath", remote(join(suite, "index.js"))],
    ];
    workbench = await Workbench.open(`${server.url}&payload=${encodeURIComponent(JSON.stringify(payload))}`, artifacts, sandbox.env);
    const deadline = Date.now() + 5 * 60_000;
    while (!existsSync(reportFile)) {
      // The window closes itself when the tests end, after the report is written.
      if (workbench.page.isClosed() && !existsSync(reportFile))
        return failure(`the test window closed without a report; see ${sandbox.userData}/logs`);
      if (Date.now() > deadline) return failure(`no test report after 5 minutes; see ${server.log} and ${sandbox.userData}/logs`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await workbench?.close();
    await server.stop();
  }
  const report = JSON.parse(readFileSync(reportFile, "utf8"));
  console.log(`VS Code ${report.vscodeVersion} (code-server), extension host tests:`);
  for (const title of report.passed) console.log(`  ✔ ${title}`);
  for (const { title, error } of report.failed) console.log(`  ✖ ${title}\n      ${error.split("\n").join("\n      ")}`);
  console.log(`${report.passed.length} passed, ${report.failed.length} failed`);
  return report.failed.length === 0 ? 0 : 1;
}

async function canDownloadVSCode() {
  return fetch("https://update.code.visualstudio.com/api/releases/stable", { signal: AbortSignal.timeout(5000) }).then(
    (response) => response.ok,
    () => false,
  );
}

function skip(reason) {
  console.log(`test:vscode: skipped: ${reason}`);
  return 0;
}

function failure(message) {
  console.error(`test:vscode: ${message}`);
  return 1;
}

function fail(message) {
  process.exit(failure(message));
}

// `npm run editor`: real VS Code in the browser (code-server) with this extension installed, the
// embedded model and a copy of the sample workspace (test/e2e/workspace), for trying the extension
// by hand. Runs until Ctrl+C. Installs code-server first if it is missing (scripts/setup-code-server.sh).
//   npm run editor -- [--port 8080] [--host 127.0.0.1] [--sandbox DIR] [FOLDER]
// FOLDER opens that folder instead of the sample copy. Everything VS Code writes (settings, logs,
// the extension's storage) goes into the sandbox (default .test-artifacts/editor), which starts
// fresh each run. STAND_SKIP_BUILD=1 skips the build (the tests, which build once before they run).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath, URL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const { values: options, positionals } = parseArgs({
  options: {
    port: { type: "string", default: "8080" },
    host: { type: "string", default: "127.0.0.1" },
    sandbox: { type: "string", default: join(root, ".test-artifacts", "editor") },
    help: { type: "boolean", short: "h" },
  },
  allowPositionals: true,
});
if (options.help) {
  console.log("usage: npm run editor -- [--port 8080] [--host 127.0.0.1] [--sandbox DIR] [FOLDER]");
  process.exit(0);
}
const port = Number(options.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, not ${options.port}`);

if (process.env.STAND_SKIP_BUILD !== "1") {
  const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) fail(`the build failed:\n${build.stdout}${build.stderr}`);
}

// The launcher is shared with the e2e tests, which are TypeScript.
const { register } = await import("tsx/cjs/api");
register();
const { codeServerEntry, createSandbox, QUIET_SETTINGS, startCodeServer } = createRequire(import.meta.url)(
  "../test/e2e/support/codeServer.ts",
);

if (!existsSync(codeServerEntry())) {
  console.error("code-server is not installed yet: running npm run setup:e2e");
  const setup = spawnSync("bash", [join(root, "scripts", "setup-code-server.sh")], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  if (setup.status !== 0) fail("npm run setup:e2e failed (output above)");
}
if (port !== 0 && !(await isFree(options.host, port))) fail(`port ${port} on ${options.host} is in use: choose another with --port`);

let sandbox;
try {
  sandbox = createSandbox(resolve(options.sandbox), {
    settings: QUIET_SETTINGS,
    ...(positionals[0] ? { openFolder: resolve(positionals[0]) } : {}),
  });
} catch (error) {
  fail(error.message);
}
if (!["127.0.0.1", "localhost", "::1"].includes(options.host))
  console.warn(`editor: warning: no password; anyone who reaches ${options.host}:${port} can use this editor and its terminal`);
const server = await startCodeServer(sandbox, { host: options.host, port });
const { port: listening } = new URL(server.origin);

console.log(`
  VS Code with STAND: ${server.url}
  workspace:          ${sandbox.workspace}
  code-server log:    ${server.log}

  From another machine: ssh -L ${listening}:127.0.0.1:${listening} <this host>, then open the URL there.
  Ctrl+C stops it.
`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void server.stop().then(() => process.exit(0));
  });
}
await server.exited;
if (!stopping) fail(`code-server stopped by itself; see ${server.log}`);

function isFree(host, port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

function fail(message) {
  console.error(`editor: ${message}`);
  process.exit(1);
}

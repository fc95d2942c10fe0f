// Real VS Code without a desktop: code-server (installed by scripts/setup-code-server.sh) serves the
// workbench, this repository is the extension, and everything code-server would write under $HOME
// goes into one sandbox folder instead. Used by the e2e tests, `npm run editor` and
// `npm run test:vscode`.
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join, resolve, sep } from "node:path";

export const CODE_SERVER_VERSION = "4.100.3";
export const CHROMIUM = "/usr/bin/chromium";
export const REPO = resolve(__dirname, "..", "..", "..");
export const SAMPLE_WORKSPACE = join(REPO, "test", "e2e", "workspace");
/** Where tests and tools write what they make (gitignored). */
export const ARTIFACTS = join(REPO, ".test-artifacts");

/** code-server's entry script, where scripts/setup-code-server.sh puts it. */
export function codeServerEntry(): string {
  const tools = process.env.STAND_TOOLS_DIR || join(homedir(), ".cache", "stand-vscode");
  return join(tools, `code-server-${CODE_SERVER_VERSION}`, "node_modules", "code-server", "out", "node", "entry.js");
}

/** Why the browser tests cannot run here, or undefined when they can. */
export function missingTools(): string | undefined {
  if (!existsSync(codeServerEntry())) return `code-server ${CODE_SERVER_VERSION} is not installed (run npm run setup:e2e)`;
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (run npm run setup:e2e)`;
  return undefined;
}

/** The id VS Code gives this extension, from package.json. */
export function extensionFolderName(): string {
  const manifest = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { publisher: string; name: string; version: string };
  return `${manifest.publisher}.${manifest.name}-${manifest.version}`;
}

/** Settings that keep the workbench quiet: no welcome page, tips, update checks or surveys. */
export const QUIET_SETTINGS: Readonly<Record<string, unknown>> = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "chat.commandCenter.enabled": false,
  // Sandboxes live inside this repository; do not offer to open it.
  "git.openRepositoryInParentFolders": "never",
  "workbench.colorTheme": "Default Dark Modern",
};

/**
 * For the suites that type and take ghost text: short candidates, inline requests soon after
 * typing stops, only STAND's ghost text (its "1/3" toolbar always shown, no suggest widget in the
 * way), fixed indentation, and edits on disk at once so a test can read what the editor holds.
 */
export const EDITING_SETTINGS: Readonly<Record<string, unknown>> = {
  "stand.maxTokens": 40,
  "stand.inline.debounceMs": 50,
  "editor.inlineSuggest.enabled": true,
  "editor.inlineSuggest.showToolbar": "always",
  "editor.quickSuggestions": { other: false, comments: false, strings: false },
  "editor.suggestOnTriggerCharacters": false,
  "editor.tabSize": 2,
  "editor.detectIndentation": false,
  "files.autoSave": "afterDelay",
  "files.autoSaveDelay": 100,
};

export interface Sandbox {
  readonly root: string;
  readonly userData: string;
  readonly extensions: string;
  /** The folder the workbench opens. */
  readonly workspace: string;
  /** XDG_* folders: code-server writes its config and state there instead of under $HOME. */
  readonly env: Readonly<Record<string, string>>;
}

export interface SandboxOptions {
  readonly settings: Readonly<Record<string, unknown>>;
  /** Copied into the sandbox (default: the sample workspace), unless `openFolder` is given. */
  readonly workspaceSource?: string;
  /** Open this folder as it is instead of a copy. */
  readonly openFolder?: string;
  /** Install this repository as an extension (default); false when a test window loads it for development. */
  readonly installExtension?: boolean;
}

const SANDBOX_MARKER = ".stand-sandbox";

/**
 * A fresh sandbox in `root` (emptied first): user settings, and an extensions folder whose only
 * extension is this repository, linked under the name VS Code expects of an installed one — no
 * packaging, and dist/ and node_modules (node-llama-cpp) are the repository's own.
 */
export function createSandbox(root: string, options: SandboxOptions): Sandbox {
  // Emptying a folder is only safe when it is an earlier sandbox, empty, or in .test-artifacts:
  // `npm run editor -- --sandbox DIR` takes any path.
  const disposable =
    !existsSync(root) || readdirSync(root).length === 0 || existsSync(join(root, SANDBOX_MARKER)) || root.startsWith(ARTIFACTS + sep);
  if (!disposable) {
    throw new Error(`${root} is not empty and not a sandbox made by this script; choose another folder`);
  }
  rmSync(root, { recursive: true, force: true });
  const sandbox: Sandbox = {
    root,
    userData: join(root, "user-data"),
    extensions: join(root, "extensions"),
    workspace: options.openFolder ?? join(root, "workspace"),
    env: Object.fromEntries(
      ["CONFIG", "DATA", "CACHE", "STATE"].map((kind) => [`XDG_${kind}_HOME`, join(root, "xdg", kind.toLowerCase())]),
    ),
  };
  mkdirSync(join(sandbox.userData, "User"), { recursive: true });
  writeFileSync(join(root, SANDBOX_MARKER), "Made by test/e2e/support/codeServer.ts; emptied on every run.\n");
  mkdirSync(sandbox.extensions, { recursive: true });
  writeFileSync(join(sandbox.userData, "User", "settings.json"), JSON.stringify(options.settings, null, 2));
  if (options.installExtension !== false) symlinkSync(REPO, join(sandbox.extensions, extensionFolderName()), "dir");
  if (!options.openFolder) cpSync(options.workspaceSource ?? SAMPLE_WORKSPACE, sandbox.workspace, { recursive: true });
  return sandbox;
}

export interface CodeServer {
  /** The workbench with the sandbox's folder open. */
  readonly url: string;
  readonly origin: string;
  readonly process: ChildProcess;
  readonly log: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly host?: string;
  /** 0 = any free port. */
  readonly port?: number;
  /** Extra code-server (VS Code server) arguments. */
  readonly args?: readonly string[];
  /** Extra environment for code-server and the extension host it starts. */
  readonly env?: Readonly<Record<string, string>>;
  /** Inherit stdio instead of writing code-server's output to `<sandbox>/code-server.log`. */
  readonly inheritOutput?: boolean;
  readonly timeoutMs?: number;
}

/** Starts code-server on the sandbox and waits until /healthz answers. */
export async function startCodeServer(sandbox: Sandbox, options: StartOptions = {}): Promise<CodeServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port || (await freePort(host));
  const origin = `http://${host}:${port}`;
  const log = join(sandbox.root, "code-server.log");
  const output = options.inheritOutput ? "inherit" : openSync(log, "w");
  const child = spawn(
    process.execPath,
    [
      codeServerEntry(),
      ...["--config", join(sandbox.root, "config.yaml"), "--user-data-dir", sandbox.userData, "--extensions-dir", sandbox.extensions],
      ...["--auth", "none", "--bind-addr", `${host}:${port}`],
      ...["--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override"],
      ...(options.args ?? []),
      sandbox.workspace,
    ],
    { env: { ...process.env, ...sandbox.env, ...options.env }, stdio: ["ignore", output, output] },
  );
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const server: CodeServer = {
    url: `${origin}/?folder=${encodeURIComponent(sandbox.workspace)}`,
    origin,
    process: child,
    log,
    exited,
    stop: async () => {
      // code-server's wrapper stops its server child and the extension host on SIGTERM.
      if (running()) child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (running()) child.kill("SIGKILL");
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (!running()) throw new Error(`code-server exited before it answered; see ${options.inheritOutput ? "its output above" : log}`);
    const healthy = await fetch(`${origin}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`code-server did not answer on ${origin} within ${options.timeoutMs ?? 30_000} ms; see ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

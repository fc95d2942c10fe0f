// A workspace's own tests as a check: the user's test command runs once per candidate, in the
// workspace, with the candidate in place of the selection. Nothing is written into the workspace:
// every Node process the command starts preloads an overlay (through NODE_OPTIONS) that serves the
// candidate's version of the file to whatever reads it (require, import, and tools that read files
// themselves, such as jest and vite).
//
// This is the least sandboxed check: a test command starts processes (npm, test runners) and may
// write files, so Node's permission model cannot apply. It runs only in trusted workspaces, only
// when asked, with a limited environment, a time limit and capped output.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { CheckResult, TestCommandCheck } from "../../../common/protocol";
import { runSandboxed } from "./sandbox";

export const DEFAULT_TEST_TIMEOUT_MS = 60_000;
const OUTPUT_BYTES = 64 * 1024;
const MESSAGE_CHARS = 2000;

/** What a test command may see of the server's environment: where programs are, whose home, which language. */
const PASSED_ENVIRONMENT = [
  "PATH",
  "Path",
  "PATHEXT",
  "HOME",
  "USERPROFILE",
  "APPDATA",
  "LOCALAPPDATA",
  "SystemRoot",
  "ComSpec",
  "TEMP",
  "TMP",
  "TMPDIR",
  "LANG",
  "LC_ALL",
  "SHELL",
  "USER",
  "USERNAME",
];

/** Preloaded into every Node process of the test command: serves the candidate's file in place of the real one. */
const OVERLAY = String.raw`"use strict";
const fs = require("fs");
const path = require("path");
const url = require("url");
const target = process.env.STAND_CANDIDATE_FILE;
const source = fs.readFileSync(process.env.STAND_CANDIDATE_SOURCE, "utf8");
function isTarget(file) {
  try {
    const name = file instanceof URL ? url.fileURLToPath(file) : Buffer.isBuffer(file) ? file.toString() : file;
    return typeof name === "string" && path.resolve(name) === target;
  } catch {
    return false;
  }
}
function encoded(options) {
  const encoding = typeof options === "string" ? options : options && options.encoding;
  return encoding ? Buffer.from(source).toString(encoding) : Buffer.from(source);
}
const readFileSync = fs.readFileSync;
fs.readFileSync = function (file, options) {
  return isTarget(file) ? encoded(options) : readFileSync.apply(this, arguments);
};
const readFile = fs.readFile;
fs.readFile = function (file, options, callback) {
  if (!isTarget(file)) return readFile.apply(this, arguments);
  const done = typeof options === "function" ? options : callback;
  process.nextTick(() => done(null, encoded(typeof options === "function" ? undefined : options)));
};
const readFilePromise = fs.promises.readFile;
fs.promises.readFile = function (file, options) {
  return isTarget(file) ? Promise.resolve(encoded(options)) : readFilePromise.apply(this, arguments);
};
const { register } = require("module");
if (typeof register === "function")
  register(url.pathToFileURL(process.env.STAND_OVERLAY_HOOKS).href, { data: { target: url.pathToFileURL(target).href, source } });
`;

/** The ES module loader's side of the overlay. */
const OVERLAY_HOOKS = String.raw`let target;
let source;
export function initialize(data) {
  target = data.target;
  source = data.source;
}
export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  return url === target ? { ...loaded, source } : loaded;
}
`;

/** Runs the test command with `program` in place of the selection; passed when it exits with 0. */
export async function runTestCommand(test: TestCommandCheck, program: string, signal?: AbortSignal): Promise<CheckResult> {
  const scratch = await mkdtemp(join(tmpdir(), "stand-test-"));
  try {
    const { text, selectionStart, selectionEnd } = test.file;
    const overlay = join(scratch, "overlay.cjs");
    const hooks = join(scratch, "overlay-hooks.mjs");
    const candidateSource = join(scratch, "candidate-source");
    await writeFile(overlay, OVERLAY);
    await writeFile(hooks, OVERLAY_HOOKS);
    await writeFile(candidateSource, text.slice(0, selectionStart) + program + text.slice(selectionEnd));
    const env: Record<string, string> = {};
    for (const name of PASSED_ENVIRONMENT) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    Object.assign(env, {
      NODE_OPTIONS: `--require ${JSON.stringify(overlay)}`,
      STAND_CANDIDATE_FILE: resolve(test.file.path),
      STAND_CANDIDATE_SOURCE: candidateSource,
      STAND_OVERLAY_HOOKS: hooks,
    });
    const timeoutMs = test.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
    const run = await runSandboxed({
      command: test.command,
      args: [],
      shell: true,
      cwd: test.cwd,
      env,
      timeoutMs,
      outputBytes: OUTPUT_BYTES,
      signal,
    });
    const output = `${run.stdout}${run.stderr ? `\n${run.stderr}` : ""}`.trim();
    const tail = output.length > MESSAGE_CHARS ? `…${output.slice(-MESSAGE_CHARS)}` : output;
    if (run.end === "timeout") return { outcome: "timeout", message: `ran past the ${timeoutMs / 1000} s limit\n${tail}`.trim() };
    if (run.end === "cancelled") return { outcome: "skipped", message: "cancelled" };
    if (run.exitCode === 0) return { outcome: "passed", message: tail };
    return { outcome: "failed", actual: `exit code ${run.exitCode ?? run.signal ?? "?"}`, message: tail };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

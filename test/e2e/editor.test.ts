// `npm run editor` starts code-server with the extension, prints a URL that answers, and stops on
// Ctrl+C (SIGINT) without leaving code-server behind.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ARTIFACTS, freePort, missingTools, REPO } from "./support/codeServer";

const missing = missingTools();
const strict = process.env.STAND_TEST_STRICT === "1";

describe("npm run editor", { skip: missing && !strict ? missing : false }, () => {
  test("prints a URL that answers /healthz and the workbench, and stops on SIGINT", { timeout: 60_000 }, async () => {
    if (missing) throw new Error(`${missing}; STAND_TEST_STRICT=1 makes this a failure instead of a skip`);
    const port = await freePort();
    const sandbox = join(ARTIFACTS, "e2e", "editor-sandbox");
    const editor = spawn(process.execPath, ["scripts/editor.mjs", "--port", String(port), "--sandbox", sandbox], {
      cwd: REPO,
      env: { ...process.env, STAND_SKIP_BUILD: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => {
      editor.once("exit", resolve);
    });
    let output = "";
    const collect = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
    };
    editor.stdout.on("data", collect);
    editor.stderr.on("data", collect);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const found = (): void => {
          const url = /VS Code with STAND: (\S+)/.exec(output)?.[1];
          if (url) resolve(url);
        };
        editor.stdout.on("data", found);
        void exited.then((code) => {
          reject(new Error(`editor exited (${code}) before printing its URL:\n${output}`));
        });
      });
      const { origin } = new URL(url);
      assert.equal(origin, `http://127.0.0.1:${port}`);
      assert.match(output, /ssh -L/);

      const health = await fetch(`${origin}/healthz`);
      assert.equal(health.status, 200);
      assert.ok(["alive", "expired"].includes(((await health.json()) as { status: string }).status));
      const workbench = await fetch(url);
      assert.equal(workbench.status, 200);
      assert.match(await workbench.text(), /vscode-workbench-web-configuration/, "the page is the VS Code workbench");

      editor.kill("SIGINT");
      assert.equal(await exited, 0, output);
      await assert.rejects(fetch(`${origin}/healthz`), "code-server stopped with it");
    } finally {
      editor.kill("SIGKILL");
    }
  });
});

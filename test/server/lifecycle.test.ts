// The language server as the editor runs it: the built bundle, a child process, LSP over stdio.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { ExitNotification, InitializeRequest, ShutdownRequest } from "vscode-languageserver-protocol";
import { StatusRequest } from "../../common/protocol";

test("the server starts over stdio, initializes, reports the manifest's version in stand/status, and exits 0 on shutdown", async () => {
  const server = spawn(process.execPath, ["dist/language-server.js", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
  const connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  connection.listen();
  try {
    const initialized = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      // InitializeParams still requires the deprecated rootUri; null: no folder.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      rootUri: null,
      workspaceFolders: null,
      capabilities: {},
    });
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    assert.equal(initialized.serverInfo?.name, "stand-language-server");
    assert.equal(initialized.serverInfo.version, version);
    const status = await connection.sendRequest(StatusRequest);
    assert.equal(status.version, version);
    await connection.sendRequest(ShutdownRequest.type);
    const exited = new Promise<number | null>((resolve) => server.once("exit", resolve));
    await connection.sendNotification(ExitNotification.type);
    assert.equal(await exited, 0);
  } finally {
    connection.dispose();
    server.kill();
  }
});

// The language server as the editor runs it: the built bundle, a child process, LSP over stdio.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { ExitNotification, InitializeRequest, ShutdownRequest } from "vscode-languageserver-protocol";
import { StatusRequest } from "../../common/protocol";

test("the server starts over stdio, initializes and answers stand/status", async () => {
  const server = spawn(process.execPath, ["dist/language-server.js", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
  const connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  connection.listen();
  try {
    const initialized = await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
    assert.equal(initialized.serverInfo?.name, "stand-language-server");
    const status = await connection.sendRequest(StatusRequest);
    assert.match(status.version, /^\d+\.\d+\.\d+$/);
    await connection.sendRequest(ShutdownRequest.type);
    const exited = new Promise<number | null>((resolve) => server.once("exit", resolve));
    await connection.sendNotification(ExitNotification.type);
    assert.equal(await exited, 0);
  } finally {
    connection.dispose();
    server.kill();
  }
});

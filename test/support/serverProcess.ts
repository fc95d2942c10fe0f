// Spawns the built language server as the editor does (a child process, LSP over stdio) and
// gives tests a typed connection to it.
import { spawn, type ChildProcess } from "node:child_process";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { ExitNotification, InitializeRequest, InitializedNotification, ShutdownRequest } from "vscode-languageserver-protocol";
import { StatusNotification, StatusRequest, type InitializationOptions, type ServerStatus } from "../../common/protocol";

export interface ServerHandle {
  readonly connection: MessageConnection;
  readonly process: ChildProcess;
  /** Resolves once the status says the model is loaded (or failed to load). */
  settled(): Promise<ServerStatus>;
  stop(): Promise<void>;
}

export async function startServer(options: InitializationOptions, env: Record<string, string> = {}): Promise<ServerHandle> {
  const child = spawn(process.execPath, ["dist/language-server.js", "--stdio"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
  child.stderr!.resume();
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const waiters: ((status: ServerStatus) => void)[] = [];
  connection.onNotification(StatusNotification, (status) => {
    if (status.state !== "loading") waiters.splice(0).forEach((resolve) => resolve(status));
  });
  // Work-done progress and log messages need an answer or a sink.
  connection.onRequest("window/workDoneProgress/create", () => null);
  connection.onNotification("window/logMessage", () => undefined);
  connection.onNotification("window/showMessage", () => undefined);
  connection.onNotification("$/progress", () => undefined);
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: options });
  await connection.sendNotification(InitializedNotification.type, {});
  return {
    connection,
    process: child,
    settled: async () => {
      const status = await connection.sendRequest(StatusRequest);
      if (status.state !== "loading") return status;
      return new Promise((resolve) => waiters.push(resolve));
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      await connection.sendRequest(ShutdownRequest.type);
      await connection.sendNotification(ExitNotification.type);
      await exited;
      connection.dispose();
    },
  };
}

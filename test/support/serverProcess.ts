// Starts the built language server as the editor does (a child process, LSP over stdio) through
// the same client `npm start` uses, and gives tests its typed connection.
import { join } from "node:path";
import type { ProtocolConnection } from "vscode-languageserver-protocol/node";
import type { InitializationOptions, ServerStatus } from "../../common/protocol";
import { LanguageServer } from "../../cli/server";

const SERVER_SCRIPT = join(__dirname, "..", "..", "dist", "language-server.js");

export interface ServerHandle {
  readonly connection: ProtocolConnection;
  /** Resolves once the status says the model is loaded (or failed to load). */
  settled(): Promise<ServerStatus>;
  stop(): Promise<void>;
}

export async function startServer(options: InitializationOptions, env: Record<string, string> = {}): Promise<ServerHandle> {
  const server = await LanguageServer.start(SERVER_SCRIPT, options, {}, { env: { ...process.env, ...env } });
  return { connection: server.connection, settled: () => server.modelSettled(), stop: () => server.stop() };
}

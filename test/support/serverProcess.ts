// Starts the built language server as the editor does (a child process, LSP over stdio) through
// the same client `npm start` uses, and gives tests its typed connection.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ProtocolConnection } from "vscode-languageserver-protocol/node";
import type { InitializationOptions, ServerStatus } from "../../common/protocol";
import { LanguageServer, type ServerEvents } from "../../cli/server";

const SERVER_SCRIPT = join(__dirname, "..", "..", "dist", "language-server.js");

export interface ServerHandle {
  readonly connection: ProtocolConnection;
  /** The process the client started: the relay in front of the model process (see protocolChannel.ts). */
  readonly server: LanguageServer;
  /** Resolves once the status says the model is loaded (or failed to load). */
  settled(): Promise<ServerStatus>;
  stop(): Promise<void>;
}

export async function startServer(
  options: InitializationOptions,
  env: Record<string, string> = {},
  events: ServerEvents = {},
): Promise<ServerHandle> {
  const server = await LanguageServer.start(SERVER_SCRIPT, options, events, { env: { ...process.env, ...env } });
  return { connection: server.connection, server, settled: () => server.modelSettled(), stop: () => server.stop() };
}

/** The model process behind a relay (Linux: /proc), or undefined once it is gone. */
export function modelProcessOf(relayPid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${relayPid}/task/${relayPid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    return children.length > 0 ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** Resident memory of a process in bytes (Linux: /proc), or undefined if it is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

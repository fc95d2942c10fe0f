// Keeps the LSP channel clean. The editor talks to this process over stdio, but native code
// (llama.cpp) sometimes prints straight to file descriptor 1, which would corrupt the protocol
// stream. So the process the editor starts is a relay: it runs the real server as a child whose
// stdout goes to stderr (the editor's Output channel) and whose protocol channel is a separate
// pipe on file descriptor 3, and copies bytes between that pipe and its own stdin and stdout.
import { spawn } from "node:child_process";
import { Socket } from "node:net";
import { NATIVE_MEMORY_ENV, NATIVE_MEMORY_FLAGS } from "./nativeMemory";

const CHILD_MARKER = "STAND_LSP_CHANNEL";
const CHANNEL_FD = 3;

/** In the real server: the protocol channel. In the relay: undefined, after starting the relay. */
export function protocolChannel(): Socket | undefined {
  if (process.env[CHILD_MARKER]) return new Socket({ fd: CHANNEL_FD, readable: true, writable: true });

  const child = spawn(process.execPath, [...process.execArgv, ...NATIVE_MEMORY_FLAGS, ...process.argv.slice(1)], {
    stdio: ["ignore", 2, 2, "pipe"],
    env: { ...process.env, ...NATIVE_MEMORY_ENV, [CHILD_MARKER]: "1" },
  });
  const channel = child.stdio[CHANNEL_FD] as Socket;
  process.stdin.pipe(channel);
  channel.pipe(process.stdout);
  // The editor closing our stdin ends the session; a signal to us is passed on.
  process.stdin.on("end", () => channel.end());
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return undefined;
}

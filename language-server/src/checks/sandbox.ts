// One child process under limits: a time limit, a memory limit (watched from outside, on Linux),
// capped output, an environment it is given rather than inherits, and a results channel (fd 3)
// apart from the output it prints. What it may touch is the caller's business (permission flags).
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";

export interface SandboxOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** The whole environment: nothing is inherited. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Resident memory, watched every few milliseconds where the system says it (Linux). */
  readonly memoryMb?: number;
  /** Output kept per stream; more is cut from the front (the end of a test run's output matters most). */
  readonly outputBytes: number;
  /** Stop the process when it prints more than this in all (a candidate printing in a loop). */
  readonly killAfterOutputBytes?: number;
  /** Run through the system shell (a user's test command). */
  readonly shell?: boolean;
  readonly signal?: AbortSignal;
}

export type SandboxEnd = "exited" | "timeout" | "memory" | "output" | "cancelled";

export interface SandboxResult {
  readonly end: SandboxEnd;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** What the process sent on fd 3, one JSON value per line. */
  readonly messages: unknown[];
  readonly durationMs: number;
}

const MEMORY_POLL_MS = 20;

export async function runSandboxed(options: SandboxOptions): Promise<SandboxResult> {
  const started = performance.now();
  // Its own process group (not on Windows), so a time-out also ends whatever it started.
  const group = process.platform !== "win32";
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    detached: group,
    shell: options.shell ?? false,
    windowsHide: true,
  });
  /** Why it was stopped, if it was. */
  let stoppedFor: Exclude<SandboxEnd, "exited"> | undefined;
  const stop = (why: Exclude<SandboxEnd, "exited">): void => {
    if (stoppedFor !== undefined || child.exitCode !== null || child.signalCode !== null) return;
    stoppedFor = why;
    try {
      if (group && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      else child.kill("SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  };

  const stdout = new OutputTail(options.outputBytes);
  const stderr = new OutputTail(options.outputBytes);
  const countOutput = (): void => {
    if (options.killAfterOutputBytes !== undefined && stdout.total + stderr.total > options.killAfterOutputBytes) stop("output");
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout.push(chunk);
    countOutput();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr.push(chunk);
    countOutput();
  });
  const messages: unknown[] = [];
  let partial = "";
  const channel = child.stdio[3];
  channel?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) messages.push(parseMessage(line));
  });

  const timer = setTimeout(() => {
    stop("timeout");
  }, options.timeoutMs);
  const memory =
    options.memoryMb !== undefined && process.platform === "linux" && child.pid !== undefined
      ? watchMemory(child.pid, options.memoryMb, () => {
          stop("memory");
        })
      : undefined;
  const onAbort = (): void => {
    stop("cancelled");
  };
  options.signal?.addEventListener("abort", onAbort);
  if (options.signal?.aborted) onAbort();

  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.on("error", () => {
      resolve([null, null]);
    });
    child.on("close", (code, closeSignal) => {
      resolve([code, closeSignal]);
    });
  });
  clearTimeout(timer);
  memory?.stop();
  options.signal?.removeEventListener("abort", onAbort);
  if (partial.trim()) messages.push(parseMessage(partial));
  return {
    end: stoppedFor ?? "exited",
    exitCode,
    signal,
    stdout: stdout.text(),
    stderr: stderr.text(),
    messages,
    durationMs: performance.now() - started,
  };
}

function parseMessage(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** The last `limit` bytes of a stream, and how much it wrote in all. */
class OutputTail {
  private chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.chunks.push(chunk);
    this.kept += chunk.length;
    while (this.kept - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) this.kept -= this.chunks.shift()?.length ?? 0;
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    const tail = all.subarray(Math.max(0, all.length - this.limit)).toString("utf8");
    return this.total > this.limit ? `…${tail}` : tail;
  }
}

/** Polls the process's resident memory (Linux /proc) and calls `exceeded` once it is over the limit. */
function watchMemory(pid: number, limitMb: number, exceeded: () => void): { stop(): void } {
  let stopped = false;
  const poll = async (): Promise<void> => {
    while (!stopped) {
      const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
      if (status === undefined) return;
      const kilobytes = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
      if (kilobytes > limitMb * 1024) {
        exceeded();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, MEMORY_POLL_MS));
    }
  };
  void poll();
  return {
    stop: () => {
      stopped = true;
    },
  };
}

// Keeping an idle CPU core awake while the model computes. Every step hands work between Node's
// main thread and node-llama-cpp's worker thread at least twice (a decode, then a sample per read
// position), and a hand-off to a thread whose core has gone to sleep waits for the core to wake:
// on a 2-core virtual machine, 40–70 µs a hand-off, 10–15 % of a step of the embedded model at
// N = 1. A thread of Linux's idle scheduling class that spins while steps run keeps a core from
// sleeping; the kernel runs it only on a core that has nothing else to run, and takes the core
// back the moment anything else wakes.
import { Worker } from "node:worker_threads";

/**
 * How long the spinner keeps spinning after the last call began: long enough to span the gaps
 * between a decode's steps, short enough that it sleeps soon after the decode ends.
 */
const LINGER_MS = 20;
/** How often a spinning thread checks whether other processes keep the cores busy. */
const CHECK_MS = 200;

/** Indices into the state shared with the spinner thread. */
const PINGS = 0;
const SLEEPING = 1;
const STOPPED = 2;
/** Holds in force (see spinWhile): the spinner spins while there is one. */
const HELD = 3;
const STATE_LENGTH = 4;

// The spinner thread: moves itself to the idle scheduling class (SCHED_IDLE, which Linux sets per
// thread: /proc/thread-self names it, and chrt, from util-linux, sets it), reports its thread id,
// then spins while pinged or held and sleeps otherwise. A thread that cannot leave the normal
// class does not spin: there it would take turns from the model's own threads. Every CHECK_MS of
// spinning it reads how much CPU other processes used (/proc/stat less this process's own time):
// where they leave this process less than 1.5 cores, they keep the cores awake themselves, and
// spinning only adds a thread to wake (it measured 5 % slower for STAND at T = 0.7 beside a CPU
// hog), so it pauses until the next check.
const SPINNER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { readFileSync, readlinkSync } = require("node:fs");
const { execFileSync } = require("node:child_process");
let threadId;
try {
  threadId = Number(readlinkSync("/proc/thread-self").split("/").pop());
  execFileSync("chrt", ["--idle", "--pid", "0", String(threadId)], { stdio: "ignore" });
} catch (error) {
  parentPort.postMessage({ error: String(error) });
  return;
}
parentPort.postMessage({ threadId });
const state = new Int32Array(workerData.state);
const { lingerMs, checkMs } = workerData;
const cores = readFileSync("/proc/stat", "utf8").split("\\n").filter((line) => /^cpu\\d/.test(line)).length || 1;
/** The machine's CPU time (all of it, and busy) and this process's, in clock ticks. */
function cpuTimes() {
  const fields = readFileSync("/proc/stat", "utf8").split("\\n", 1)[0].trim().split(/\\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, ticks) => sum + ticks, 0);
  const own = readFileSync("/proc/self/stat", "utf8");
  const ownFields = own.slice(own.lastIndexOf(")") + 2).split(" ");
  return { total, busy: total - fields[3] - fields[4], own: Number(ownFields[11]) + Number(ownFields[12]) };
}
let before = cpuTimes();
let lastCheck = performance.now();
let othersBusy = false;
let seen = Atomics.load(state, ${String(PINGS)});
let lastPing = performance.now();
while (Atomics.load(state, ${String(STOPPED)}) === 0) {
  const pings = Atomics.load(state, ${String(PINGS)});
  if (pings !== seen) {
    seen = pings;
    lastPing = performance.now();
  }
  if (Atomics.load(state, ${String(HELD)}) === 0 && performance.now() - lastPing > lingerMs) {
    Atomics.store(state, ${String(SLEEPING)}, 1);
    Atomics.wait(state, ${String(PINGS)}, seen);
    Atomics.store(state, ${String(SLEEPING)}, 0);
    lastPing = lastCheck = performance.now();
    before = cpuTimes();
    continue;
  }
  if (performance.now() - lastCheck >= checkMs) {
    const now = cpuTimes();
    const elapsed = (now.total - before.total) / cores;
    if (elapsed > 0) othersBusy = (now.busy - before.busy - (now.own - before.own)) / elapsed > cores - 1.5;
    before = now;
    lastCheck = performance.now();
  }
  if (othersBusy) Atomics.wait(state, ${String(PINGS)}, seen, checkMs);
}
`;

/**
 * Whether a call that evaluates this many trajectories' drafts should keep a core awake. Measured
 * on the 2-core VM (separate processes, spinner on and off alternately): one trajectory, its
 * threads idle between hand-offs, and the spinner made AR 6–16 % and STAND 6–13 % faster (N = 1
 * at T = 0 and 0.7, and N = 4 at T = 0, where alike candidates are one decode); with 4 or 16 the
 * worker has a queue of samples and the main thread their distributions, and it measured level
 * (N = 4, T = 0.7: 0.94–1.13) or a little slower (N = 16, T = 0.7: 0.93–1.06, means 0.99 and 0.98).
 */
export function keepsCoreAwake(evaluatedTrajectories: number): boolean {
  return evaluatedTrajectories === 1;
}

/** One spinner thread; the targets of a session ping it as their calls begin. */
export class IdleCoreSpinner {
  /** Off: pings and holds are ignored (the stand.busyWait setting, changed at run time). */
  enabled = true;

  private constructor(
    private readonly worker: Worker,
    private readonly state: Int32Array,
    /** The spinner's thread id (Linux's, as in /proc/self/task). */
    readonly threadId: number,
  ) {}

  /**
   * A spinner for a model that computes on `threads` of the machine's `mathCores`: only where it
   * leaves a core free. (A model on every core has long steps, whose hand-offs cost little, and
   * no core to spare.)
   */
  static forModel(threads: number, mathCores: number): Promise<IdleCoreSpinner | undefined> {
    return threads < mathCores ? IdleCoreSpinner.start() : Promise.resolve(undefined);
  }

  /** Starts the spinner thread; undefined where it cannot run in the idle scheduling class (outside Linux, or without chrt). */
  static async start(): Promise<IdleCoreSpinner | undefined> {
    if (process.platform !== "linux") return undefined;
    const state = new Int32Array(new SharedArrayBuffer(STATE_LENGTH * Int32Array.BYTES_PER_ELEMENT));
    const worker = new Worker(`(() => {${SPINNER_SOURCE}})()`, {
      eval: true,
      workerData: { state: state.buffer, lingerMs: LINGER_MS, checkMs: CHECK_MS },
    });
    // The thread never keeps the process alive (a server that is told to exit exits).
    worker.unref();
    const reply = await new Promise<{ threadId?: number }>((resolve) => {
      worker.once("message", resolve);
      worker.once("error", () => {
        resolve({});
      });
      worker.once("exit", () => {
        resolve({});
      });
    });
    if (reply.threadId === undefined) {
      await worker.terminate();
      return undefined;
    }
    return new IdleCoreSpinner(worker, state, reply.threadId);
  }

  /** A call begins: spin until LINGER_MS after the last one. Costs an atomic add (and a wake when the spinner slept). */
  ping(): void {
    if (!this.enabled) return;
    Atomics.add(this.state, PINGS, 1);
    if (Atomics.load(this.state, SLEEPING) === 1) Atomics.notify(this.state, PINGS);
  }

  /** Spins for as long as `work` runs, pinged or not (a benchmark's cell, every method it compares). */
  async spinWhile<T>(work: () => Promise<T>): Promise<T> {
    if (!this.enabled) return work();
    Atomics.add(this.state, HELD, 1);
    this.ping();
    try {
      return await work();
    } finally {
      Atomics.sub(this.state, HELD, 1);
    }
  }

  async dispose(): Promise<void> {
    Atomics.store(this.state, STOPPED, 1);
    Atomics.add(this.state, PINGS, 1);
    Atomics.notify(this.state, PINGS);
    await this.worker.terminate();
  }
}

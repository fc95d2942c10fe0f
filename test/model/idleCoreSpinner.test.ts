// The spinner thread as Linux schedules it. It runs here, one file at a time, and not in
// test/unit/ (two files at once): beside another busy test file it pauses by design, as beside
// any process that keeps the cores busy.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { IdleCoreSpinner } from "../../language-server/src/model/idleCoreSpinner";
import { threadStat } from "../support/threadStat";

const spinning = (spinner: IdleCoreSpinner): boolean => threadStat(spinner.threadId).state === "R";

/** Polls until `condition` holds, or fails after `ms`. */
async function eventually(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`${what} within ${String(ms)} ms`);
    await sleep(2);
  }
}

describe("IdleCoreSpinner", { skip: process.platform !== "linux" && "the spinner runs on Linux only" }, () => {
  test("runs in the idle scheduling class, spins after a ping, sleeps once pings stop, and not at all while disabled", async () => {
    const spinner = await IdleCoreSpinner.start();
    assert.ok(spinner, "a spinner starts on Linux (with chrt, from util-linux)");
    try {
      assert.equal(threadStat(spinner.threadId).policy, 5, "SCHED_IDLE");
      // Linux reports the thread runnable (R) while it spins, sleeping (S) once it waits.
      await eventually(() => !spinning(spinner), 2000, "asleep before any ping");
      spinner.ping();
      await eventually(() => spinning(spinner), 2000, "spinning after a ping");
      await eventually(() => !spinning(spinner), 2000, "asleep once pings stop");
      // A spinning thread can be seen off the CPU for an instant (its load check reads /proc);
      // asleep for good means still asleep after the linger (20 ms) has passed.
      await sleep(40);
      await eventually(() => !spinning(spinner), 2000, "still asleep after the linger");

      spinner.enabled = false;
      spinner.ping();
      await sleep(5);
      assert.equal(spinning(spinner), false, "a disabled spinner ignores pings");
    } finally {
      await spinner.dispose();
    }
  });

  test("spins for as long as spinWhile's work runs, past the linger after its last ping", async () => {
    const spinner = await IdleCoreSpinner.start();
    assert.ok(spinner);
    try {
      const seenSpinning: boolean[] = [];
      const result = await spinner.spinWhile(async () => {
        // 5 windows of 30 ms, every one after the 20 ms linger of the hold's own ping. A spinning
        // thread can wait an instant (on its garbage collector's helpers, say), so each window
        // polls: one that slept for good after the linger would be seen asleep all through it.
        await sleep(25);
        for (let i = 0; i < 5; i++) {
          const windowEnd = performance.now() + 30;
          let seen = false;
          while (performance.now() < windowEnd) {
            seen ||= spinning(spinner);
            await sleep(2);
          }
          seenSpinning.push(seen);
        }
        return "done";
      });
      assert.equal(result, "done");
      assert.deepEqual(seenSpinning, [true, true, true, true, true]);
      await eventually(() => !spinning(spinner), 2000, "asleep after the work");
    } finally {
      await spinner.dispose();
    }
  });

  test("pauses while other processes keep the cores busy, and spins again once they stop", async () => {
    const spinner = await IdleCoreSpinner.start();
    assert.ok(spinner);
    // Every core but one busy: less than 1.5 cores left for this process.
    const cores = readFileSync("/proc/stat", "utf8")
      .split("\n")
      .filter((line) => /^cpu\d/.test(line)).length;
    const hogs: ChildProcess[] = [];
    try {
      await spinner.spinWhile(async () => {
        await eventually(() => spinning(spinner), 2000, "spinning while held");
        for (let i = 0; i < Math.max(1, cores - 1); i++) hogs.push(spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
        await eventually(() => !spinning(spinner), 3000, "paused beside the busy cores");
        for (const hog of hogs) hog.kill("SIGKILL");
        await eventually(() => spinning(spinner), 3000, "spinning again once they stop");
      });
    } finally {
      for (const hog of hogs) hog.kill("SIGKILL");
      await spinner.dispose();
    }
  });

  test("a model on every core gets no spinner", async () => {
    assert.equal(await IdleCoreSpinner.forModel(4, 4), undefined);
    const spinner = await IdleCoreSpinner.forModel(1, 2);
    assert.ok(spinner);
    await spinner.dispose();
  });
});

// Polling for what a test cannot be told about (a file the editor saves, text a webview draws).
import { setTimeout as delay } from "node:timers/promises";

/** Polls `read` until it satisfies `done`; the last value's description goes into the error. */
export async function waitUntil<T, Done extends T>(
  read: () => T | Promise<T>,
  done: (value: T) => value is Done,
  what: string,
  timeoutMs?: number,
): Promise<Done>;
export async function waitUntil<T>(read: () => T | Promise<T>, done: (value: T) => boolean, what: string, timeoutMs?: number): Promise<T>;
export async function waitUntil<T>(read: () => T | Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    await delay(100);
  }
}

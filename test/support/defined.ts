// Narrowing for tests: a value the test needs, or a failure that says which one was missing.
import assert from "node:assert/strict";

/** `value`, failing the test with "`what` is missing" when it is undefined or null. */
export function defined<T>(value: T | null | undefined, what: string): T {
  assert.ok(value !== undefined && value !== null, `${what} is missing`);
  return value;
}

// The check harness: runs inside the child process that javascriptRunner.ts starts for one
// candidate (bundled on its own as dist/check-harness.js; Node built-ins only). It loads the
// candidate's program, which ends by handing over its checks, runs them one by one and reports
// each on fd 3 as it goes, so a check that never returns is known by its index.
import { writeSync } from "node:fs";
import { resolve } from "node:path";
import { inspect, isDeepStrictEqual } from "node:util";
import { CHECKS_KEY, type HarnessCheck, type HarnessMessage } from "./harnessProtocol";

const CHANNEL = 3;
const MAX_SHOWN = 400;

function send(message: HarnessMessage): void {
  writeSync(CHANNEL, `${JSON.stringify(message)}\n`);
}

/** A value as Node prints it, on one line, cut short. */
function show(value: unknown): string {
  const text = inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 20, maxStringLength: MAX_SHOWN });
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

/** An error in one line; a denied permission says which. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return `threw ${show(error)}`;
  const { code, permission, resource } = error as Error & { code?: unknown; permission?: unknown; resource?: unknown };
  if (code === "ERR_ACCESS_DENIED")
    return `not allowed here: ${typeof permission === "string" ? permission : "access"}${typeof resource === "string" && resource ? ` (${resource})` : ""}`;
  const message = error.message.split("\n")[0] ?? "";
  return `${error.name}: ${message.length > MAX_SHOWN ? `${message.slice(0, MAX_SHOWN)}…` : message}`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

async function runCheck(check: HarnessCheck): Promise<Omit<Extract<HarnessMessage, { type: "result" }>, "type" | "index">> {
  let thunks;
  let actual: unknown;
  try {
    thunks = check();
    actual = thunks.actual();
    if (isThenable(actual)) actual = await actual;
  } catch (error) {
    return { outcome: "error", message: describe(error) };
  }
  if (thunks.expected) {
    let expected: unknown;
    try {
      expected = thunks.expected();
    } catch (error) {
      return { outcome: "skipped", message: `its expected value does not evaluate: ${describe(error)}` };
    }
    return isDeepStrictEqual(actual, expected)
      ? { outcome: "passed", actual: show(actual) }
      : { outcome: "failed", actual: show(actual), message: `expected ${show(expected)}` };
  }
  return actual === false
    ? { outcome: "failed", actual: show(actual), message: "expected it to hold" }
    : { outcome: "passed", actual: show(actual) };
}

/** The real process.exit: the candidate gets one that throws. */
const exit = process.exit.bind(process);

async function main(): Promise<void> {
  const program = process.argv[2];
  if (!program) throw new Error("usage: check-harness PROGRAM");
  // process.exit() in a candidate would end the run with no word on why.
  process.exit = (code?: number | string | null): never => {
    throw new Error(`the candidate called process.exit(${code ?? ""})`);
  };
  let checks: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the candidate is CommonJS, loaded at run time
    require(resolve(program));
    checks = (globalThis as Record<symbol, unknown>)[CHECKS_KEY];
  } catch (error) {
    send({ type: "crashed", message: describe(error) });
    return;
  }
  if (!Array.isArray(checks)) {
    send({ type: "crashed", message: "the program did not reach its checks" });
    return;
  }
  send({ type: "loaded" });
  for (const [index, check] of (checks as HarnessCheck[]).entries()) {
    send({ type: "start", index });
    send({ type: "result", index, ...(await runCheck(check)) });
  }
  send({ type: "done" });
}

void main().then(
  // The candidate may have left timers or handles open: the run is over.
  () => exit(0),
  (error: unknown) => {
    process.stderr.write(`${describe(error)}\n`);
    exit(1);
  },
);

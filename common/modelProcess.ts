import { spawnSync } from "node:child_process";

/**
 * The environment a process that runs the model must start with (the language server, the
 * benchmark, the tests). llama.cpp reorders a batch's outputs lazily, on the first read after a
 * decode, and node-llama-cpp reads them from several libuv worker threads at once: when several
 * sequences verify drafts in one batch, the reads race with the reorder and a sequence can get
 * another position's distribution. With one worker thread the reads run one after another, and
 * every trajectory's draft is verified in one batched decode (see language-server/src/model/llamaTarget.ts,
 * which falls back to one decode per drafting sequence in a process started without it).
 * libuv reads the variable once, when the thread pool starts: it must be set when the process is spawned.
 */
export const MODEL_PROCESS_ENV = { UV_THREADPOOL_SIZE: "1" } as const;

/**
 * For a program that runs the model (the benchmarks): a process started without MODEL_PROCESS_ENV
 * runs itself again with it, waits, and exits with its status; one started with it returns.
 */
export function restartWithModelProcessEnv(): void {
  if (hasModelProcessEnv()) return;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, ...MODEL_PROCESS_ENV },
  });
  process.exit(child.status ?? 1);
}

/** Whether this process was started with MODEL_PROCESS_ENV. */
export function hasModelProcessEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return Object.entries(MODEL_PROCESS_ENV).every(([name, value]) => env[name] === value);
}

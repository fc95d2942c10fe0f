// Counting llama.cpp's passes over the model's weights, for the step profile and the model tests.
// llama.cpp splits every decode into micro-batches and computes each one as a pass over every
// weight. With a KV stream per sequence (node-llama-cpp's contexts), a micro-batch holds the same
// number of tokens of each of its sequences, and sequences only in consecutive id order: a decode of
// N one-token steps is one pass in order and N passes in reverse. With LLAMA_BATCH_DEBUG set,
// llama.cpp reports each micro-batch it forms at its debug log level; this counts those reports.
// Diagnostics only: formatting a report costs microseconds a micro-batch.
import type { Llama } from "node-llama-cpp" with { "resolution-mode": "import" };
import { writeLlamaMessage } from "./runtime";

/** The variable llama.cpp reads, as each context is made, to report the micro-batches it forms. */
const BATCH_DEBUG_VARIABLE = "LLAMA_BATCH_DEBUG";

/** The line llama.cpp logs as it forms a micro-batch (llama_batch_allocr::ubatch_add). */
const MICRO_BATCH_REPORT = "added ubatch to split";

/** The log levels (node-llama-cpp's LlamaLogLevel names) whose messages the counter passes on: the debug output it asks for is the rest. */
const PASSED_ON_LEVELS: ReadonlySet<string> = new Set(["fatal", "error", "warn"]);

export class LlamaPassCounter {
  private passes = 0;

  /** Passes counted since this counter was made. */
  get count(): number {
    return this.passes;
  }

  /**
   * loadRuntime's log for a runtime whose passes are counted: counts the micro-batch reports and
   * passes warnings and errors on to `next` (where loadRuntime writes them by default), dropping
   * the rest of llama.cpp's debug output.
   */
  logTo(next: (message: string) => void = writeLlamaMessage): (message: string, level: string) => void {
    return (message, level) => {
      if (message.includes(MICRO_BATCH_REPORT)) this.passes++;
      else if (PASSED_ON_LEVELS.has(level)) next(message);
    };
  }
}

/**
 * Makes llama.cpp report the micro-batches of every context made from now on (one made before does
 * not report them) to the runtime's log, where a LlamaPassCounter's logTo counts them.
 */
export async function reportLlamaPasses(llama: Llama): Promise<void> {
  const { LlamaLogLevel } = await import("node-llama-cpp");
  process.env[BATCH_DEBUG_VARIABLE] = "1";
  llama.logLevel = LlamaLogLevel.debug;
}

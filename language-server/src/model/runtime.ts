// Loading node-llama-cpp. This folder is the only place that imports it: the engine stays pure.
import type { Llama, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };

export type GpuChoice = "auto" | "cuda" | "vulkan" | "metal" | false;

export interface Runtime {
  readonly llama: Llama;
  /** "cuda", "vulkan", "metal" or "cpu". */
  readonly backend: string;
  /** GPU device names, empty on the CPU. */
  readonly devices: string[];
  /** Why the requested GPU backend was not used, when we fell back to the CPU. */
  readonly fallbackReason?: string;
}

/**
 * Loads the prebuilt llama.cpp binding for the requested backend. Never builds from source
 * (`build: "never"`): a user's machine may have no compiler and no network. If a GPU backend
 * cannot be loaded, falls back to the CPU and says why.
 */
export async function loadRuntime(gpu: GpuChoice, log: (message: string) => void = writeToStderr): Promise<Runtime> {
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  // llama.cpp's messages must never reach stdout: in the language server that is the LSP channel.
  const options = {
    build: "never",
    logLevel: LlamaLogLevel.error,
    progressLogs: false,
    logger: (_: unknown, message: string) => {
      log(message.trimEnd());
    },
  } as const;
  let llama: Llama;
  let fallbackReason: string | undefined;
  try {
    llama = await getLlama({ ...options, gpu });
  } catch (error) {
    if (gpu === false) throw error;
    const reason = `the ${gpu === "auto" ? "GPU" : gpu} backend could not be loaded (${(error as Error).message})`;
    fallbackReason = `${reason}; using the CPU`;
    try {
      llama = await getLlama({ ...options, gpu: false });
    } catch (cpuError) {
      throw new Error(`${reason}, nor the CPU backend (${(cpuError as Error).message})`);
    }
  }
  const backend = llama.gpu === false ? "cpu" : llama.gpu;
  const devices = llama.gpu === false ? [] : await llama.getGpuDeviceNames();
  return { llama, backend, devices, fallbackReason };
}

function writeToStderr(message: string): void {
  process.stderr.write(`[llama.cpp] ${message}\n`);
}

/**
 * Threads for evaluation. Tiny models are dominated by synchronisation, and on a busy 2-core
 * machine two threads spin against each other (about 10× slower than one), so small models get
 * one thread; larger ones get every math core.
 */
export function threadsForModel(modelBytes: number, mathCores: number, gpu: boolean): number {
  if (gpu) return Math.max(1, Math.min(4, mathCores));
  if (modelBytes < 300 * 2 ** 20) return 1;
  return Math.max(1, mathCores);
}

export type { Llama, LlamaModel };

// Loading node-llama-cpp. This folder is the only place that imports it: the engine stays pure.
import type { Llama, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };

export type GpuChoice = "auto" | "cuda" | "vulkan" | "metal" | false;

const GPU_CHOICES = ["auto", "cuda", "vulkan", "metal", "false"] as const;

/** A --gpu flag's value as a GpuChoice ("false": the CPU); anything else is refused with the choices. */
export function parseGpuChoice(value: string): GpuChoice {
  const choice = GPU_CHOICES.find((candidate) => candidate === value);
  if (choice === undefined) throw new Error(`--gpu takes ${GPU_CHOICES.join(", ")}, not "${value}"`);
  return choice === "false" ? false : choice;
}

export interface Runtime {
  readonly llama: Llama;
  /** "cuda", "vulkan", "metal" or "cpu". */
  readonly backend: string;
  /** GPU device names, empty on the CPU. */
  readonly devices: string[];
  /** Why the requested GPU backend was not used, when we fell back to the CPU. */
  readonly fallbackReason?: string;
  /** Whether llama.cpp's CUDA backend may capture and replay CUDA graphs (see configureCudaGraphs). */
  readonly cudaGraphs: boolean;
}

/** Set to 1 to let llama.cpp's CUDA backend use CUDA graphs (off by default: see configureCudaGraphs). */
export const CUDA_GRAPHS_VARIABLE = "STAND_CUDA_GRAPHS";

/**
 * Settles whether the CUDA backend may use CUDA graphs in this process, and says which: turns them
 * off (llama.cpp's GGML_CUDA_DISABLE_GRAPHS) unless STAND_CUDA_GRAPHS=1 asks for them or that
 * variable is already set.
 * On an H200 (node-llama-cpp 3.22.1, its llama.cpp built with CUDA 13.0 by the GPU kit) every run
 * at N = 16 on the 1.5b and 7b cost twins died within seconds with "CUDA error: an illegal
 * instruction was encountered" in a replayed graph, and the same runs with graphs off completed;
 * a crash takes the language server and every request in it down, a graph saves a kernel launch
 * per node. llama.cpp reads the variable once, at its first graph: this runs before any model loads.
 */
export function configureCudaGraphs(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.GGML_CUDA_DISABLE_GRAPHS !== undefined) return false;
  if (env[CUDA_GRAPHS_VARIABLE] === "1") return true;
  env.GGML_CUDA_DISABLE_GRAPHS = "1";
  return false;
}

/**
 * Loads the prebuilt llama.cpp binding for the requested backend. Never builds from source
 * (`build: "never"`): a user's machine may have no compiler and no network. If a GPU backend
 * cannot be loaded, falls back to the CPU and says why. `log` gets llama.cpp's messages with their
 * level (LlamaLogLevel's name: "error", "warn", …; errors only, unless the level is raised).
 */
export async function loadRuntime(gpu: GpuChoice, log: (message: string, level: string) => void = writeLlamaMessage): Promise<Runtime> {
  const cudaGraphs = configureCudaGraphs();
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  // llama.cpp's messages must never reach stdout: in the language server that is the LSP channel.
  const options = {
    build: "never",
    logLevel: LlamaLogLevel.error,
    progressLogs: false,
    logger: (level: string, message: string) => {
      log(message.trimEnd(), level);
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
  return { llama, backend, devices, fallbackReason, cudaGraphs: backend === "cuda" && cudaGraphs };
}

/** loadRuntime's log unless given one: llama.cpp's message on stderr, marked as its. */
export function writeLlamaMessage(message: string): void {
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

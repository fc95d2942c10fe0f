// Finding, checking and loading a model file, with one clear error per way it can go wrong.
import { open, stat } from "node:fs/promises";
import { freemem } from "node:os";
import type { Llama, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import { ErrorCodes } from "../../../common/protocol";

export class ModelError extends Error {
  override readonly name = "ModelError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const GGUF_MAGIC = "GGUF";

/** How long a download may go without any answer from the server before it is given up. */
const DOWNLOAD_SILENCE_MS = 30_000;

/**
 * Resolves an `hf:` URI to a local file, downloading it into `directory` with node-llama-cpp's
 * downloader (the only network access the product makes, and only when the user asked for it).
 * HF_ENDPOINT selects a mirror. A download that gets no answer at all is given up after 30 s.
 */
export async function resolveModelUri(
  uri: string,
  directory: string,
  onProgress?: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  if (!uri.startsWith("hf:")) return uri;
  const { resolveModelFile } = await import("node-llama-cpp");
  const silence = new AbortController();
  const timer = setTimeout(() => silence.abort(), DOWNLOAD_SILENCE_MS);
  const stop = signal ? AbortSignal.any([signal, silence.signal]) : silence.signal;
  try {
    const download = resolveModelFile(uri, {
      directory,
      cli: false,
      signal: stop,
      onProgress: ({ totalSize, downloadedSize }) => {
        clearTimeout(timer);
        onProgress?.(totalSize > 0 ? downloadedSize / totalSize : 0);
      },
    });
    // node-llama-cpp 3.21.1 does not hear the signal while it waits for the server's first answer,
    // so a stalled server would hold the load forever: stop waiting here.
    return await Promise.race([download, abortion(stop)]);
  } catch (error) {
    const reason = silence.signal.aborted ? `no answer from the server in ${DOWNLOAD_SILENCE_MS / 1000} s` : messageOf(error);
    throw new ModelError(ErrorCodes.DownloadFailed, `Could not download ${uri}: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Loads a GGUF model after checking, in order: the file exists, it is a GGUF file, its header
 * reads, it fits in memory, and llama.cpp accepts its architecture and tensors.
 */
export async function loadModelFile(llama: Llama, path: string, gpuLayers: "auto" | number = "auto"): Promise<LlamaModel> {
  const info = await stat(path).catch(() => undefined);
  if (!info || !info.isFile()) throw new ModelError(ErrorCodes.ModelNotFound, `No model file at ${path}.`);
  const handle = await open(path, "r");
  const magic = Buffer.alloc(4);
  try {
    await handle.read(magic, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (magic.toString("latin1") !== GGUF_MAGIC) throw new ModelError(ErrorCodes.NotAGguf, `${path} is not a GGUF model file.`);

  const nodeLlamaCpp = await import("node-llama-cpp");
  const { readGgufFileInfo, GgufInsights } = nodeLlamaCpp;
  // A const enum in the typings, a plain object at run time: the architectures this build knows.
  const knownArchitectures = Object.values(
    (nodeLlamaCpp as unknown as { GgufArchitectureType: Record<string, string> }).GgufArchitectureType,
  );
  let fileInfo;
  try {
    fileInfo = await readGgufFileInfo(path, { logWarnings: false });
  } catch (error) {
    throw new ModelError(ErrorCodes.CorruptModel, `${path} is a damaged or truncated GGUF file (${messageOf(error)}).`);
  }
  const architecture = String(fileInfo.metadata?.general?.architecture ?? "");
  if (!knownArchitectures.includes(architecture)) {
    throw new ModelError(
      ErrorCodes.UnsupportedArchitecture,
      `${path} uses the "${architecture}" architecture, which this llama.cpp build does not support.`,
    );
  }
  const insights = await GgufInsights.from(fileInfo, llama);
  const needed = insights.estimateModelResourceRequirements({ gpuLayers: 0 }).cpuRam;
  const available = freemem() + (await llama.getVramState()).free;
  if (needed > available) {
    throw new ModelError(ErrorCodes.ModelTooLarge, `${path} needs about ${gib(needed)} of memory; ${gib(available)} is free.`);
  }

  try {
    return await llama.loadModel({ modelPath: path, gpuLayers });
  } catch (error) {
    throw new ModelError(
      ErrorCodes.CorruptModel,
      `${path} could not be loaded (${messageOf(error)}); the file may be damaged or truncated.`,
    );
  }
}

function abortion(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

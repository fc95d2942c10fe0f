// Finding, checking and loading a model file, with one clear error per way it can go wrong.
import { rm, stat } from "node:fs/promises";
import { freemem } from "node:os";
import type { Llama, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import { ErrorCodes } from "../../../common/protocol";
import { GgufHeaderError, readGgufHeader, type GgufHeader } from "./ggufHeader";

export class ModelError extends Error {
  override readonly name = "ModelError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** How long a download may go without any answer from the server before it is given up. */
const DOWNLOAD_SILENCE_MS = 30_000;
/** How long node-llama-cpp may take to read a header that passed our checks (it is then bounded in size). */
const HEADER_READ_MS = 60_000;

/** Whether a model spec is an `hf:` URI, which resolveModelUri downloads. */
export function isDownload(spec: string): boolean {
  return spec.startsWith("hf:");
}

/**
 * Resolves an `hf:` URI to a local file, downloading it into `directory` with node-llama-cpp's
 * downloader (the only network access the product makes, and only when the user asked for it).
 * HF_ENDPOINT selects a mirror. A download that gets no answer at all is given up after 30 s.
 * Check what it returns with checkDownloadedModelFile.
 */
export async function resolveModelUri(
  uri: string,
  directory: string,
  onProgress?: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  if (!isDownload(uri)) return uri;
  const { resolveModelFile } = await import("node-llama-cpp");
  const silence = new AbortController();
  const timer = setTimeout(() => {
    silence.abort();
  }, DOWNLOAD_SILENCE_MS);
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
    // node-llama-cpp (3.21–3.22) does not hear the signal while it waits for the server's first answer,
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
 * checkModelFile for a file that resolveModelUri downloaded (or found downloaded before): one that
 * is not a sound GGUF file is deleted, so that trying again downloads it again instead of finding
 * the same bad file in the cache.
 */
export async function checkDownloadedModelFile(path: string, signal?: AbortSignal): Promise<GgufHeader> {
  try {
    return await checkModelFile(path, signal);
  } catch (error) {
    if (!(error instanceof ModelError) || signal?.aborted) throw error;
    await rm(path, { force: true });
    throw new ModelError(error.code, `${error.message} The download was deleted: trying again downloads it again.`);
  }
}

/**
 * Checks that `path` is a file with a sound GGUF header (see ggufHeader.ts), with one clear error
 * for each way it is not.
 */
export async function checkModelFile(path: string, signal?: AbortSignal): Promise<GgufHeader> {
  const info = await stat(path).catch(() => undefined);
  if (!info || !info.isFile()) throw new ModelError(ErrorCodes.ModelNotFound, `No model file at ${path}.`);
  try {
    return await readGgufHeader(path, info.size, signal);
  } catch (error) {
    if (!(error instanceof GgufHeaderError)) throw error;
    if (error.kind === "not-gguf") throw new ModelError(ErrorCodes.NotAGguf, `${path} is not a GGUF model file.`);
    throw new ModelError(ErrorCodes.CorruptModel, `${path} is a damaged GGUF file: ${error.message}.`);
  }
}

/**
 * Loads a GGUF model after checking, in order: the file exists, it is a GGUF file, its header is
 * sound, it names an architecture llama.cpp knows, it fits in memory, and llama.cpp accepts its
 * tensors. `signal` cancels the load at any of these steps.
 */
export async function loadModelFile(
  llama: Llama,
  path: string,
  gpuLayers: "auto" | number = "auto",
  signal?: AbortSignal,
): Promise<LlamaModel> {
  const header = await checkModelFile(path, signal);
  if (header.architecture === undefined) {
    throw new ModelError(
      ErrorCodes.CorruptModel,
      `${path} names no architecture (general.architecture is missing), so it is not a model llama.cpp can load.`,
    );
  }

  const nodeLlamaCpp = await import("node-llama-cpp");
  const { readGgufFileInfo, GgufInsights } = nodeLlamaCpp;
  // A const enum in the typings, a plain object at run time: the architectures this build knows.
  const knownArchitectures = Object.values(
    (nodeLlamaCpp as unknown as { GgufArchitectureType: Record<string, string> }).GgufArchitectureType,
  );
  const architecture = header.architecture;
  if (!knownArchitectures.includes(architecture)) {
    throw new ModelError(
      ErrorCodes.UnsupportedArchitecture,
      `${path} uses the "${architecture}" architecture, which this llama.cpp build does not support.`,
    );
  }
  let fileInfo;
  const deadline = AbortSignal.timeout(HEADER_READ_MS);
  try {
    fileInfo = await readGgufFileInfo(path, { logWarnings: false, signal: signal ? AbortSignal.any([signal, deadline]) : deadline });
  } catch (error) {
    signal?.throwIfAborted();
    const reason = deadline.aborted ? `reading its header took more than ${HEADER_READ_MS / 1000} s` : messageOf(error);
    throw new ModelError(ErrorCodes.CorruptModel, `${path} is a damaged or truncated GGUF file (${reason}).`);
  }
  const insights = await GgufInsights.from(fileInfo, llama);
  const needed = (await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 })).cpuRam;
  const available = freemem() + (await llama.getVramState()).free;
  if (needed > available) {
    throw new ModelError(ErrorCodes.ModelTooLarge, `${path} needs about ${gib(needed)} of memory; ${gib(available)} is free.`);
  }

  try {
    return await llama.loadModel({ modelPath: path, gpuLayers, loadSignal: signal });
  } catch (error) {
    signal?.throwIfAborted();
    throw new ModelError(
      ErrorCodes.CorruptModel,
      `${path} could not be loaded (${messageOf(error)}); the file may be damaged or truncated.`,
    );
  }
}

function abortion(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const rejectWithReason = (): void => {
      reject(signal.reason instanceof Error ? signal.reason : new Error("aborted", { cause: signal.reason }));
    };
    if (signal.aborted) rejectWithReason();
    signal.addEventListener("abort", rejectWithReason, { once: true });
  });
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

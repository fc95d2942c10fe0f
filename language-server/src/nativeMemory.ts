// Why the model process is started with a small mmap threshold and a collectable garbage collector.
//
// Every node-llama-cpp evaluation with a sampler (LlamaTarget verifies each step through
// controlledEvaluate) creates an AddonSampler whose native candidate buffer holds one entry per
// vocabulary token (48 KiB for the embedded model, about 1.8 MiB for a 150k-token vocabulary).
// node-llama-cpp disposes the sampler but the buffer is freed only when V8 finalizes the small
// JavaScript wrapper, and V8 does not know about the native bytes, so thousands pile up between
// collections: heaptrack showed 141 MB of them alive at once after 120 solves. When they are freed,
// glibc keeps the pages in its arenas, so the process stayed at 390-450 MB where it had been 140 MB
// (issue 16's cancel storm measured the same). With buffers of 32 KiB and more in their own
// mappings (freed straight back to the system) and a collection once the server is idle, the same
// 120 solves end at 180 MB (see the fault suite's cancel-storm case).

/** The environment and flags the relay starts the model process with (glibc reads the variable at start-up). */
export const NATIVE_MEMORY_ENV = { MALLOC_MMAP_THRESHOLD_: "32768" } as const;
export const NATIVE_MEMORY_FLAGS = ["--expose-gc"] as const;

/** Runs a full collection, so that the native buffers of dead samplers are freed (when the process has --expose-gc). */
export function collectNativeGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

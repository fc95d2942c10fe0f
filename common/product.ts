// Facts about STAND that several programs need (the extension, the language server, `npm start`, the
// benchmarks and the tests), written once. Node only: the webview does not import this file.
import { join } from "node:path";
import { version } from "../package.json";

/** The extension's version, from its manifest; the language server reports it in its status. */
export const VERSION: string = version;

/** The model that ships with the extension (see models/MODEL_CARD.md). */
export const EMBEDDED_MODEL_NAME = "stand-code-mini";
/** Its file, relative to the extension's root (the repository's root during development): Q8_0 matrices. */
export const EMBEDDED_MODEL_FILE = join("models", `${EMBEDDED_MODEL_NAME}.gguf`);
/**
 * The F16 file the build exports, which EMBEDDED_MODEL_FILE quantises (not shipped): the original
 * for the PyTorch parity check and the source of cost twins.
 */
export const EMBEDDED_MODEL_SOURCE_FILE = join("models", "source", `${EMBEDDED_MODEL_NAME}-f16.gguf`);

/** The most entries the language server's n-gram table holds, in memory and in its saved file (15 MiB of arrays). */
export const TABLE_MAX_ENTRIES = 1 << 17;

// Results and generated files appear whole or not at all: a run killed while writing one (Ctrl+C
// after a nine-minute benchmark) leaves the file it replaces as it was, never half of the new one.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** Where a file is written before it is renamed into place: beside it, so that the rename stays on one file system. */
export function temporaryPathFor(path: string): string {
  return join(dirname(resolve(path)), `.${basename(path)}.partial-${String(process.pid)}`);
}

/**
 * Writes `contents` to `path` (making its folder): to a temporary file beside it, flushed to disk,
 * then renamed over it. On failure the temporary file is removed and `path` is left as it was.
 */
export function writeFileAtomically(path: string, contents: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const temporary = temporaryPathFor(path);
  let fd: number | undefined = openSync(temporary, "w");
  try {
    writeFileSync(fd, contents);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
}

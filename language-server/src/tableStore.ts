// The n-gram table outlives a session: one file per model and workspace in the extension's
// storage folder. A file that is missing, from another format version or damaged is ignored and
// the table starts afresh; saving never throws into a request.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TABLE_MAX_ENTRIES } from "../../common/product";
import { deserializeTable, NgramTable, serializeTable, TableFormatError } from "./stand";

export class TableStore {
  constructor(
    private readonly directory: string,
    private readonly log: (message: string) => void,
  ) {}

  /** The file for a model: keyed by its path, size and modification time. */
  async fileFor(modelPath: string): Promise<string> {
    const info = await stat(modelPath);
    const key = createHash("sha256").update(`${modelPath}\0${info.size}\0${info.mtimeMs}`).digest("hex").slice(0, 16);
    return join(this.directory, `${key}.stng`);
  }

  async load(modelPath: string): Promise<NgramTable> {
    let file: string;
    let bytes: Uint8Array;
    try {
      file = await this.fileFor(modelPath);
      bytes = await readFile(file);
    } catch {
      // No model file (the loader reports that) or no saved table yet.
      return new NgramTable({ maxEntries: TABLE_MAX_ENTRIES });
    }
    try {
      const { table, metadata } = deserializeTable(bytes, { maxEntries: TABLE_MAX_ENTRIES });
      if (metadata.model !== modelPath) throw new TableFormatError("the table belongs to another model");
      this.log(`loaded the n-gram table (${table.size} entries) from ${file}`);
      return table;
    } catch (error) {
      if (!(error instanceof TableFormatError)) throw error;
      this.log(`ignoring ${file}: ${error.message}; starting a new n-gram table`);
      return new NgramTable({ maxEntries: TABLE_MAX_ENTRIES });
    }
  }

  async save(modelPath: string, table: NgramTable): Promise<void> {
    try {
      const file = await this.fileFor(modelPath);
      await mkdir(this.directory, { recursive: true });
      // Write then rename, so a crash mid-write never leaves a truncated table behind.
      await writeFile(`${file}.tmp`, serializeTable(table, { model: modelPath }));
      await rename(`${file}.tmp`, file);
    } catch (error) {
      this.log(`could not save the n-gram table: ${(error as Error).message}`);
    }
  }
}

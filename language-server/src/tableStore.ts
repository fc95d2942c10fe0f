// The n-gram table outlives a session: one file per model and workspace in the extension's
// storage folder. A file that is missing, from another format version, damaged or made for
// another vocabulary is ignored and the table starts afresh; saving never throws into a request.
// A save writes a snapshot to a temporary file of its own, syncs it and renames it over the
// table, one save at a time, so a kill at any moment leaves the old table or the new one.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { TABLE_MAX_ENTRIES } from "../../common/product";
import { deserializeTable, NgramTable, serializationSteps, TableFormatError } from "./stand";

const TEMPORARY = /^(?<table>[0-9a-f]{16}\.stng)\.(?<pid>\d+)\.[0-9a-f]+\.tmp$/;

export class TableStore {
  /** The save being written, and the one waiting for it (saves asked for meanwhile share it). */
  private writing: Promise<void> = Promise.resolve();
  private waiting?: Promise<void>;

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

  /** The saved table for a model whose token ids are below `vocabularySize`, or a new one. */
  async load(modelPath: string, vocabularySize: number): Promise<NgramTable> {
    let file: string;
    let bytes: Uint8Array;
    try {
      file = await this.fileFor(modelPath);
      await this.removeAbandonedTemporaries(file);
      bytes = await readFile(file);
    } catch {
      // No model file (the loader reports that) or no saved table yet.
      return new NgramTable({ maxEntries: TABLE_MAX_ENTRIES });
    }
    try {
      const { table, metadata } = deserializeTable(bytes, { maxEntries: TABLE_MAX_ENTRIES });
      if (metadata.model !== modelPath) throw new TableFormatError("the table belongs to another model");
      // Drafting a token the model does not have would fail every decode that drafts it.
      if (!table.tokensBelow(vocabularySize))
        throw new TableFormatError(`it holds token ids outside the model's ${vocabularySize}-token vocabulary`);
      this.log(`loaded the n-gram table (${table.size} entries) from ${file}`);
      return table;
    } catch (error) {
      if (!(error instanceof TableFormatError)) throw error;
      this.log(`discarding the n-gram table ${file}: ${error.message}; starting a new one`);
      return new NgramTable({ maxEntries: TABLE_MAX_ENTRIES });
    }
  }

  /**
   * Saves `table` as it is when its turn comes. Saves run one at a time; while one is written,
   * every further save asked for becomes one more save after it.
   */
  save(modelPath: string, table: NgramTable): Promise<void> {
    this.waiting ??= this.writing.then(() => {
      this.waiting = undefined;
      return this.write(modelPath, table.copy());
    });
    this.writing = this.waiting;
    return this.waiting;
  }

  /** Resolves when every save asked for so far is written (or has failed). */
  saved(): Promise<void> {
    return this.writing;
  }

  private async write(modelPath: string, snapshot: NgramTable): Promise<void> {
    const started = performance.now();
    this.log(`saving the n-gram table (${snapshot.size} entries)`);
    let temporary: string | undefined;
    try {
      const file = await this.fileFor(modelPath);
      await mkdir(this.directory, { recursive: true });
      // Serialised a slice at a time, so requests go on between the slices.
      const steps = serializationSteps(snapshot, { model: modelPath });
      let step = steps.next();
      while (!step.done) {
        await nextTurn();
        step = steps.next();
      }
      temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      const handle = await open(temporary, "w");
      try {
        await handle.writeFile(step.value);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
      temporary = undefined;
      await this.syncDirectory();
      this.log(`saved the n-gram table (${snapshot.size} entries) in ${Math.round(performance.now() - started)} ms`);
    } catch (error) {
      this.log(`could not save the n-gram table: ${(error as Error).message}`);
      if (temporary) await rm(temporary, { force: true }).catch(() => undefined);
    }
  }

  /** So that the rename itself is on disk (where the platform allows opening a folder). */
  private async syncDirectory(): Promise<void> {
    const directory = await open(this.directory, "r").catch(() => undefined);
    try {
      await directory?.sync();
    } catch {
      // Not every platform can sync a folder; the rename is atomic either way.
    } finally {
      await directory?.close();
    }
  }

  /** Temporary files of this table left by a process that was killed mid-save. */
  private async removeAbandonedTemporaries(file: string): Promise<void> {
    const names = await readdir(this.directory).catch(() => []);
    for (const name of names) {
      const match = TEMPORARY.exec(name);
      if (match?.groups?.table !== basename(file) || isRunning(Number(match.groups.pid))) continue;
      await rm(join(this.directory, name), { force: true });
    }
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// The server's model: which one is loaded, loading another, the status the editor shows, the
// request queues that share it, and the n-gram table's persistence.
import { join } from "node:path";
import { ResponseError } from "vscode-languageserver/node";
import { ErrorCodes, type ModelInfo, type ServerStatus, type StandSettings } from "../../common/protocol";
import { ModelError, resolveModelUri } from "./model/modelFile";
import { ModelSession } from "./model/session";
import type { TableStore } from "./tableStore";

export const SERVER_VERSION = "0.1.0";

export interface HostEvents {
  readonly log: (message: string) => void;
  readonly statusChanged: (status: ServerStatus) => void;
  readonly warn: (message: string) => void;
  /** Work-done progress for a load: report(percent, message) and done(). */
  readonly progress: (title: string) => Promise<{ report(percent: number, message: string): void; done(): void }>;
}

type Queue = "solve" | "inline";

export class ModelHost {
  private session?: ModelSession;
  private loading?: Promise<ModelSession>;
  private lastError?: ServerStatus["error"];
  private info?: ModelInfo;
  private requestsInFlight = 0;
  /** One request at a time per context: solves (and benchmarks) on one, inline completions on the other. */
  private readonly queues: Record<Queue, Promise<unknown>> = { solve: Promise.resolve(), inline: Promise.resolve() };

  constructor(
    private readonly embeddedModel: string,
    private readonly downloads: string,
    private readonly tables: TableStore | undefined,
    private readonly events: HostEvents,
  ) {}

  status(): ServerStatus {
    return {
      version: SERVER_VERSION,
      state: this.loading ? "loading" : this.session ? "ready" : this.lastError ? "error" : "idle",
      model: this.session ? this.info : undefined,
      error: this.lastError,
      table: { entries: this.session?.table.size ?? 0, bytes: this.session?.table.byteLength ?? 0 },
      requestsInFlight: this.requestsInFlight,
    };
  }

  /**
   * Loads a model: `spec` is a path, an hf: URI, or empty for the embedded model. The current
   * model is released first (after its requests finish). A failure is reported with its code and
   * leaves the server ready to load another.
   */
  async load(spec: string, settings: StandSettings): Promise<ModelSession> {
    const attempt = this.open(spec, settings);
    this.loading = attempt;
    this.lastError = undefined;
    this.publish();
    try {
      this.session = await attempt;
      return this.session;
    } catch (error) {
      this.lastError = error instanceof ModelError ? { code: error.code, message: error.message } : { code: ErrorCodes.CorruptModel, message: String(error) };
      this.events.log(`model load failed: ${this.lastError.message}`);
      throw new ResponseError(this.lastError.code, this.lastError.message);
    } finally {
      if (this.loading === attempt) this.loading = undefined;
      this.publish();
    }
  }

  /** The loaded model, waiting for one being loaded; a clear error when there is none. */
  async current(): Promise<ModelSession> {
    if (this.loading) {
      return this.loading.catch((error: unknown) => {
        throw error instanceof ModelError ? new ResponseError(error.code, error.message) : error;
      });
    }
    if (this.session) return this.session;
    throw new ResponseError(ErrorCodes.NoModel, this.lastError ? `No model is loaded: ${this.lastError.message}` : "No model is loaded.");
  }

  /** Runs a request on its queue, counted in the status. */
  async run<T>(queue: Queue, work: () => Promise<T>): Promise<T> {
    this.requestsInFlight++;
    this.publish();
    const run = this.queues[queue].catch(() => undefined).then(work);
    this.queues[queue] = run;
    try {
      return await run;
    } finally {
      this.requestsInFlight--;
      this.publish();
    }
  }

  async saveTable(persist: boolean): Promise<void> {
    if (this.session && this.tables && persist) await this.tables.save(this.session.path, this.session.table);
  }

  async dispose(persist: boolean): Promise<void> {
    await this.release(persist);
  }

  private async open(spec: string, settings: StandSettings): Promise<ModelSession> {
    await this.release(settings.persistTable);
    const progress = await this.events.progress(spec || "embedded model");
    try {
      const path = await resolveModelUri(spec || this.embeddedModel, this.downloads, (fraction) => progress.report(Math.round(100 * fraction), `downloading ${spec}`));
      const table = this.tables && settings.persistTable ? await this.tables.load(path) : undefined;
      const opened = await ModelSession.open({ path, gpu: settings.gpu === "off" ? false : settings.gpu, table, log: this.events.log });
      this.info = await opened.info();
      if (this.info.fallbackReason) this.events.warn(`STAND: ${this.info.fallbackReason}`);
      this.events.log(`loaded ${path} on ${this.info.backend} (${this.info.threads} thread(s))`);
      return opened;
    } finally {
      progress.done();
    }
  }

  private publish(): void {
    this.events.statusChanged(this.status());
  }

  /** Lets running requests finish, saves the table and frees the model. */
  private async release(persist: boolean): Promise<void> {
    const previous = this.session;
    this.session = undefined;
    if (!previous) return;
    await Promise.allSettled([this.queues.solve, this.queues.inline]);
    if (this.tables && persist) await this.tables.save(previous.path, previous.table);
    await previous.dispose();
  }
}

/** Where hf: downloads go: the extension's storage, else the working folder. */
export function downloadFolder(storagePath: string | undefined): string {
  return join(storagePath ?? process.cwd(), "models");
}

// The server's model: which one is loaded, loading another, the status the editor shows, the
// request queues that share it, and the n-gram table's persistence.
import { join } from "node:path";
import { LSPErrorCodes, ResponseError } from "vscode-languageserver/node";
import { VERSION } from "../../common/product";
import { ErrorCodes, type ModelInfo, type ServerStatus, type StandSettings } from "../../common/protocol";
import { checkDownloadedModelFile, checkModelFile, isDownload, ModelError, resolveModelUri } from "./model/modelFile";
import { ModelSession } from "./model/session";
import { collectNativeGarbage } from "./nativeMemory";
import type { TableStore } from "./tableStore";

/**
 * Once no request has run for this long the server tidies up: it saves the table (also done when
 * the model is released) and frees contexts made for more trajectories than the settings ask.
 */
const IDLE_MS = 2000;

export interface HostEvents {
  readonly log: (message: string) => void;
  readonly statusChanged: (status: ServerStatus) => void;
  readonly warn: (message: string) => void;
  /** Work-done progress for a load: report(percent, message) and done(). */
  readonly progress: (title: string) => Promise<LoadProgress>;
}

type Queue = "solve" | "inline";

/** Progress of one load: the editor's work-done progress, or one the request brought along. */
export interface LoadProgress {
  report(percent: number, message: string): void;
  done(): void;
}

export interface LoadOptions {
  readonly signal?: AbortSignal;
  /** Reports this load's progress instead of a progress of the server's own. */
  readonly progress?: LoadProgress;
}

export class ModelHost {
  private session?: ModelSession;
  /** The spec of the loaded model, to go back to when loading another fails. */
  private loadedSpec?: string;
  private loading?: Promise<ModelSession>;
  private loadingSpec?: string;
  private lastError?: ServerStatus["error"];
  private info?: ModelInfo;
  private requestsInFlight = 0;
  /** One request at a time per context: solves (and benchmarks) on one, inline completions on the other. */
  private readonly queues: Record<Queue, Promise<unknown>> = { solve: Promise.resolve(), inline: Promise.resolve() };
  /** Whether the session's table has learned since it was loaded or last saved. */
  private tableChanged = false;
  private idleTimer?: NodeJS.Timeout;

  constructor(
    private readonly embeddedModel: string,
    private readonly downloads: string,
    private readonly tables: TableStore | undefined,
    private readonly events: HostEvents,
    /** The settings as they are now. */
    private readonly settings: () => StandSettings,
  ) {}

  status(): ServerStatus {
    return {
      version: VERSION,
      state: this.loading ? "loading" : this.session ? "ready" : this.lastError ? "error" : "idle",
      model: this.session ? this.info : undefined,
      error: this.lastError,
      table: { entries: this.session?.table.size ?? 0, bytes: this.session?.table.byteLength ?? 0 },
      requestsInFlight: this.requestsInFlight,
    };
  }

  /**
   * Loads a model: `spec` is a path, an hf: URI, or empty for the embedded model. The current
   * model is released first (after its requests finish). A failure is reported with its code;
   * the model that was loaded before is then loaded again, so a bad choice loses nothing.
   */
  async load(spec: string, settings: StandSettings, options: LoadOptions = {}): Promise<ModelSession> {
    const previous = this.wantedSpec;
    this.lastError = undefined;
    try {
      return await this.attempt(spec, settings, options);
    } catch (error) {
      let failure: ResponseError;
      if (options.signal?.aborted) {
        // The user changed their mind: not an error to show, but the request still fails.
        failure = new ResponseError(LSPErrorCodes.RequestCancelled, `Loading ${spec || "the embedded model"} was cancelled.`);
      } else {
        this.lastError =
          error instanceof ModelError
            ? { code: error.code, message: error.message }
            : { code: ErrorCodes.CorruptModel, message: String(error) };
        failure = new ResponseError(this.lastError.code, this.lastError.message);
      }
      this.events.log(`model load failed: ${failure.message}`);
      if (previous !== undefined && previous !== spec && !this.session) {
        this.events.log(`loading the previous model again: ${previous || "embedded model"}`);
        void this.attempt(previous, settings, {})
          .catch(() => undefined)
          .then(() => {
            this.publish();
          });
      }
      throw failure;
    } finally {
      this.publish();
    }
  }

  /** The spec being loaded, or else the one loaded: a settings change to it needs no reload. */
  get wantedSpec(): string | undefined {
    return this.loadingSpec ?? this.loadedSpec;
  }

  private async attempt(spec: string, settings: StandSettings, options: LoadOptions): Promise<ModelSession> {
    // One load at a time: a load asked for while another runs starts when it ends.
    const attempt = (this.loading ?? Promise.resolve()).catch(() => undefined).then(() => this.open(spec, settings, options));
    this.loading = attempt;
    this.loadingSpec = spec;
    this.publish();
    try {
      this.session = await attempt;
      this.loadedSpec = spec;
      return this.session;
    } finally {
      if (this.loading === attempt) {
        this.loading = undefined;
        this.loadingSpec = undefined;
      }
      // No publish here: a failed load is published by its caller once the error is recorded,
      // so the editor never sees a passing "idle".
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
    if (this.session) this.session.busyWait = this.settings().busyWait;
    this.requestsInFlight++;
    clearTimeout(this.idleTimer);
    this.publish();
    const run = this.queues[queue].catch(() => undefined).then(work);
    this.queues[queue] = run;
    try {
      return await run;
    } finally {
      this.requestsInFlight--;
      this.learned();
      this.publish();
    }
  }

  /** The table has learned (a request ran, or the user accepted a completion): it is saved once the server is idle. */
  learned(): void {
    this.tableChanged = true;
    clearTimeout(this.idleTimer);
    if (this.requestsInFlight > 0) return;
    this.idleTimer = setTimeout(() => void this.tidy(), IDLE_MS);
    this.idleTimer.unref();
  }

  private async tidy(): Promise<void> {
    const session = this.session;
    if (!session || this.requestsInFlight > 0) return;
    // A solve with N = 64 holds a context of hundreds of MB; the next one at the usual N would
    // replace it anyway. On the queues, so that no request is using the context meanwhile.
    const { trajectories, inlineCandidates } = this.settings();
    for (const [queue, keep] of [
      ["solve", trajectories],
      ["inline", inlineCandidates],
    ] as const) {
      this.queues[queue] = this.queues[queue].catch(() => undefined).then(() => session.releaseContextOver(queue, keep));
    }
    await Promise.allSettled([this.queues.solve, this.queues.inline]);
    collectNativeGarbage();
    await this.saveTable(session);
  }

  /** Saves the table if it has learned since it was last saved (and persisting is on). */
  async saveTable(session = this.session): Promise<void> {
    clearTimeout(this.idleTimer);
    if (!session || !this.tables || !this.settings().persistTable || !this.tableChanged) return;
    this.tableChanged = false;
    await this.tables.save(session.path, session.table);
  }

  /** Lets running requests finish, saves the table and frees the model. */
  async dispose(): Promise<void> {
    await this.release();
  }

  private async open(spec: string, settings: StandSettings, options: LoadOptions): Promise<ModelSession> {
    const progress = options.progress ?? (await this.events.progress(spec || "embedded model"));
    try {
      const path = await resolveModelUri(
        spec || this.embeddedModel,
        this.downloads,
        (fraction) => {
          // The progress's title names the model: the message says what the load is doing.
          progress.report(Math.round(100 * fraction), "downloading");
        },
        options.signal,
      );
      options.signal?.throwIfAborted();
      // A download, and a file that is not a sound GGUF file, cost the model in use nothing: it
      // stays loaded (and in use) until the new one is known to be worth loading.
      await (isDownload(spec) ? checkDownloadedModelFile(path, options.signal) : checkModelFile(path, options.signal));
      await this.release();
      this.loadedSpec = undefined;
      const tables = this.tables && settings.persistTable ? this.tables : undefined;
      const opened = await ModelSession.open({
        path,
        gpu: settings.gpu === "off" ? false : settings.gpu,
        loadTable: tables && ((vocabularySize) => tables.load(path, vocabularySize)),
        log: this.events.log,
        signal: options.signal,
        embedded: path === this.embeddedModel,
      });
      opened.busyWait = settings.busyWait;
      this.info = await opened.info();
      if (this.info.fallbackReason) this.events.warn(`STAND: ${this.info.fallbackReason}`);
      const busyWait = opened.busyWait ? ", an idle core kept awake while decoding" : "";
      this.events.log(`loaded ${path} on ${this.info.backend} (${this.info.threads} thread(s)${busyWait})`);
      return opened;
    } finally {
      progress.done();
    }
  }

  private publish(): void {
    this.events.statusChanged(this.status());
  }

  private async release(): Promise<void> {
    clearTimeout(this.idleTimer);
    const previous = this.session;
    this.session = undefined;
    if (!previous) return;
    await Promise.allSettled([this.queues.solve, this.queues.inline]);
    await this.saveTable(previous);
    // A save that was under way when the release began, too.
    await this.tables?.saved();
    this.tableChanged = false;
    await previous.dispose();
  }
}

/** Where hf: downloads go: the extension's storage, else the working folder. */
export function downloadFolder(storagePath: string | undefined): string {
  return join(storagePath ?? process.cwd(), "models");
}

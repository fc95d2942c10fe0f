// The language server: a separate Node process that owns the model and the STAND engine. The
// extension starts it over stdio; it knows nothing of VS Code beyond the protocol.
import { join } from "node:path";
import {
  CancellationToken,
  createConnection,
  StreamMessageReader,
  StreamMessageWriter,
  InlineCompletionItem,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InlineCompletionParams,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  AcceptedCompletionNotification,
  BenchmarkRequest,
  defaultSettings,
  ErrorCodes,
  LoadModelRequest,
  SolveProgressNotification,
  SolveRequest,
  StatusNotification,
  StatusRequest,
  type InitializationOptions,
  type ModelInfo,
  type ServerStatus,
  type StandSettings,
} from "../../common/protocol";
import { completeInline } from "./inlineCompletion";
import { formatTable, runBenchmark } from "./model/benchmark";
import { ModelError, resolveModelUri } from "./model/modelFile";
import { ModelSession } from "./model/session";
import { protocolChannel } from "./protocolChannel";
import { solve } from "./solve";
import { TableStore } from "./tableStore";

const SERVER_VERSION = "0.1.0";
/** The embedded model ships next to the bundle (dist/language-server.js → models/). */
const EMBEDDED_MODEL = join(__dirname, "..", "models", "stand-code-mini.gguf");

const channel = protocolChannel();
if (channel) serve(createConnection(ProposedFeatures.all, new StreamMessageReader(channel), new StreamMessageWriter(channel)));

function serve(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const log = (message: string): void => connection.console.log(message);

  let settings: StandSettings = defaultSettings;
  let storagePath: string | undefined;
  let tableStore: TableStore | undefined;
  let session: ModelSession | undefined;
  let loading: Promise<ModelSession> | undefined;
  let lastError: ServerStatus["error"];
  let modelInfo: ModelInfo | undefined;
  let requestsInFlight = 0;
  /** One solve at a time on the solve context; inline completions have their own. */
  let solveQueue: Promise<unknown> = Promise.resolve();
  let inlineQueue: Promise<unknown> = Promise.resolve();
  const inlineByDocument = new Map<string, AbortController>();

  function status(): ServerStatus {
    return {
      version: SERVER_VERSION,
      state: loading ? "loading" : session ? "ready" : lastError ? "error" : "idle",
      model: session ? modelInfo : undefined,
      error: lastError,
      table: { entries: session?.table.size ?? 0, bytes: session?.table.byteLength ?? 0 },
      requestsInFlight,
    };
  }

  function publishStatus(): void {
    void connection.sendNotification(StatusNotification, status());
  }

  /** Loads a model (the setting's, the embedded one when empty). A failure leaves the server usable. */
  async function loadModel(spec: string): Promise<ModelSession> {
    const previous = session;
    session = undefined;
    if (previous) {
      await saveTable(previous);
      await previous.dispose();
    }
    lastError = undefined;
    const attempt = (async () => {
      const progress = await connection.window.createWorkDoneProgress();
      progress.begin("STAND: loading model", 0, spec || "embedded model", false);
      try {
        const path = await resolveModelUri(spec || EMBEDDED_MODEL, join(storagePath ?? process.cwd(), "models"), (fraction) =>
          progress.report(Math.round(100 * fraction), `downloading ${spec}`),
        );
        const table = tableStore && settings.persistTable ? await tableStore.load(path) : undefined;
        const opened = await ModelSession.open({ path, gpu: settings.gpu === "off" ? false : settings.gpu, table, log });
        modelInfo = await opened.info();
        if (modelInfo.fallbackReason) connection.window.showWarningMessage(`STAND: ${modelInfo.fallbackReason}`);
        log(`loaded ${path} on ${modelInfo.backend} (${modelInfo.threads} thread(s))`);
        return opened;
      } finally {
        progress.done();
      }
    })();
    loading = attempt;
    publishStatus();
    try {
      session = await attempt;
      return session;
    } catch (error) {
      lastError = error instanceof ModelError ? { code: error.code, message: error.message } : { code: ErrorCodes.CorruptModel, message: String(error) };
      log(`model load failed: ${lastError.message}`);
      throw new ResponseError(lastError.code, lastError.message);
    } finally {
      if (loading === attempt) loading = undefined;
      publishStatus();
    }
  }

  async function currentSession(): Promise<ModelSession> {
    if (loading) return loading.catch((error: unknown) => {
      throw error instanceof ModelError ? new ResponseError(error.code, error.message) : error;
    });
    if (session) return session;
    throw new ResponseError(ErrorCodes.NoModel, lastError ? `No model is loaded: ${lastError.message}` : "No model is loaded.");
  }

  async function saveTable(target: ModelSession): Promise<void> {
    if (tableStore && settings.persistTable) await tableStore.save(target.path, target.table);
  }

  function abortSignalOf(token: CancellationToken): AbortSignal {
    const controller = new AbortController();
    if (token.isCancellationRequested) controller.abort();
    token.onCancellationRequested(() => controller.abort());
    return controller.signal;
  }

  /** Runs a request on a queue, counting it in the status; a cancelled request gets LSP's error. */
  async function tracked<T>(queue: "solve" | "inline", work: () => Promise<T>): Promise<T> {
    requestsInFlight++;
    publishStatus();
    const previous = queue === "solve" ? solveQueue : inlineQueue;
    const run = previous.catch(() => undefined).then(work);
    if (queue === "solve") solveQueue = run;
    else inlineQueue = run;
    try {
      return await run;
    } finally {
      requestsInFlight--;
      publishStatus();
    }
  }

  connection.onInitialize((params) => {
    const options = (params.initializationOptions ?? {}) as InitializationOptions;
    settings = { ...defaultSettings, ...options.settings };
    storagePath = options.storagePath;
    if (storagePath) tableStore = new TableStore(join(storagePath, "tables"), log);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        inlineCompletionProvider: true,
      },
      serverInfo: { name: "stand-language-server", version: SERVER_VERSION },
    };
  });

  connection.onInitialized(() => {
    loadModel(settings.model).catch(() => undefined);
  });

  connection.onDidChangeConfiguration((change) => {
    const incoming = (change.settings as { stand?: Partial<StandSettings> } | undefined)?.stand;
    if (!incoming) return;
    const before = settings;
    settings = { ...settings, ...incoming };
    if (settings.model !== before.model || settings.gpu !== before.gpu) loadModel(settings.model).catch(() => undefined);
  });

  connection.onRequest(StatusRequest, status);

  connection.onRequest(LoadModelRequest, async (params) => {
    const loaded = await loadModel(params.model ?? settings.model);
    return loaded.info();
  });

  connection.onRequest(SolveRequest, async (params, token) => {
    const current = await currentSession();
    const signal = abortSignalOf(token);
    const result = await tracked("solve", () =>
      solve(current, params, settings, (progress) => void connection.sendNotification(SolveProgressNotification, progress), signal),
    );
    void saveTable(current);
    if (signal.aborted) throw new ResponseError(-32800, "The solve was cancelled.", result);
    return result;
  });

  connection.onRequest(BenchmarkRequest, async (params) => {
    const current = await currentSession();
    if (typeof params.prompt !== "string" || !params.prompt.trim()) throw new ResponseError(ErrorCodes.InvalidRequest, "The benchmark needs a prompt.");
    const prompt = await current.tokenize({ text: params.prompt, kind: params.kind ?? "code" });
    // Runs on the solve queue: it competes for the same cores, so solves wait rather than skew it.
    const rows = await tracked("solve", () =>
      runBenchmark(current.model, {
        prompts: [prompt],
        trajectoryCounts: params.trajectories ?? [settings.trajectories],
        temperatures: params.temperatures ?? [settings.temperature],
        maxTokens: Math.min(params.maxTokens ?? 64, current.contextSize - prompt.length - 64),
        repetitions: params.repetitions ?? 1,
        threads: current.threads,
      }),
    );
    const table = [...new Set(rows.map((row) => `${row.trajectories}/${row.temperature}`))]
      .map((key) => {
        const group = rows.filter((row) => `${row.trajectories}/${row.temperature}` === key);
        return `N = ${group[0]!.trajectories}, T = ${group[0]!.temperature}\n${formatTable(group)}`;
      })
      .join("\n\n");
    return { rows, table };
  });

  connection.languages.inlineCompletion.on(async (params: InlineCompletionParams, token) => {
    const document = documents.get(params.textDocument.uri);
    if (!document) return [];
    // A new request for the same document cancels the one before it.
    inlineByDocument.get(document.uri)?.abort();
    const controller = new AbortController();
    inlineByDocument.set(document.uri, controller);
    token.onCancellationRequested(() => controller.abort());
    const current = await currentSession();
    const offset = document.offsetAt(params.position);
    const text = document.getText();
    try {
      const completions = await tracked("inline", () => {
        if (controller.signal.aborted) return Promise.resolve([]);
        return completeInline(current, { prefix: text.slice(0, offset), suffix: text.slice(offset) }, settings, controller.signal);
      });
      if (controller.signal.aborted) return [];
      return completions.map((insertText): InlineCompletionItem => ({ insertText, range: { start: params.position, end: params.position } }));
    } finally {
      if (inlineByDocument.get(document.uri) === controller) inlineByDocument.delete(document.uri);
    }
  });

  connection.onNotification(AcceptedCompletionNotification, async ({ text }) => {
    // The user kept this text: its n-grams become sure drafts. Drafts only: whatever the table
    // holds, the output follows the model.
    if (!session || !text) return;
    session.table.observeSequence(await session.tokenize({ text, kind: "code" }));
  });

  connection.onShutdown(async () => {
    if (session) {
      await saveTable(session);
      await session.dispose();
      session = undefined;
    }
  });

  documents.listen(connection);
  connection.listen();
}

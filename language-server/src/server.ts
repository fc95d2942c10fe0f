// The language server: a separate Node process that owns the model and the STAND engine. The
// extension starts it over stdio; it knows nothing of VS Code beyond the protocol.
import { join } from "node:path";
import {
  createConnection,
  LSPErrorCodes,
  MessageType,
  ProposedFeatures,
  ResponseError,
  ShowMessageNotification,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type Connection,
  type InlineCompletionItem,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  AcceptedCompletionNotification,
  BenchmarkRequest,
  ChecksProgressNotification,
  defaultSettings,
  ErrorCodes,
  LoadModelRequest,
  RunChecksRequest,
  SolveProgressNotification,
  SolveRequest,
  StatusNotification,
  StatusRequest,
  type InitializationOptions,
  type StandSettings,
} from "../../common/protocol";
import { formatBenchmarkTables } from "../../common/benchmarkTable";
import { EMBEDDED_MODEL_FILE, VERSION } from "../../common/product";
import { runChecks } from "./checks/runChecks";
import { completeInline } from "./inlineCompletion";
import { downloadFolder, ModelHost } from "./modelHost";
import { protocolChannel } from "./protocolChannel";
import { solve } from "./solve";
import { TableStore } from "./tableStore";

/** The embedded model ships next to the bundle (dist/language-server.js → models/). */
const EMBEDDED_MODEL = join(__dirname, "..", EMBEDDED_MODEL_FILE);

const channel = protocolChannel();
if (channel) serve(createConnection(ProposedFeatures.all, new StreamMessageReader(channel), new StreamMessageWriter(channel)));

function serve(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const log = (message: string): void => connection.console.log(message);
  let settings: StandSettings = defaultSettings;
  let host: ModelHost | undefined;
  const inlineByDocument = new Map<string, AbortController>();

  const modelHost = (): ModelHost => {
    if (!host) throw new ResponseError(ErrorCodes.NoModel, "The server is not initialized.");
    return host;
  };

  connection.onInitialize((params) => {
    const options = (params.initializationOptions ?? {}) as InitializationOptions;
    settings = { ...defaultSettings, ...options.settings };
    const tables = options.storagePath ? new TableStore(join(options.storagePath, "tables"), log) : undefined;
    host = new ModelHost(EMBEDDED_MODEL, downloadFolder(options.storagePath), tables, {
      log,
      // A notification, not a request: a client that cannot show messages must not bring the server down.
      warn: (message) => void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message }),
      statusChanged: (status) => void connection.sendNotification(StatusNotification, status),
      progress: async (what) => {
        const progress = await connection.window.createWorkDoneProgress().catch(() => undefined);
        progress?.begin("STAND: loading model", 0, what, false);
        return { report: (percent, message) => progress?.report(percent, message), done: () => progress?.done() };
      },
    });
    return {
      capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental, inlineCompletionProvider: true },
      serverInfo: { name: "stand-language-server", version: VERSION },
    };
  });

  connection.onInitialized(() => {
    modelHost()
      .load(settings.model, settings)
      .catch(() => undefined);
  });

  connection.onDidChangeConfiguration((change) => {
    const incoming = (change.settings as { stand?: Partial<StandSettings> } | undefined)?.stand;
    if (!incoming) return;
    const before = settings;
    settings = { ...settings, ...incoming };
    // A model the editor just loaded with stand/loadModel arrives here too: it needs no reload.
    const modelChanged = settings.model !== before.model && settings.model !== modelHost().wantedSpec;
    if (modelChanged || settings.gpu !== before.gpu)
      modelHost()
        .load(settings.model, settings)
        .catch(() => undefined);
  });

  connection.onRequest(StatusRequest, () => modelHost().status());

  connection.onRequest(LoadModelRequest, async (params, token) => {
    // The editor may bring its own progress (a cancellable notification) for a download.
    const progress = params.workDoneToken === undefined ? undefined : connection.window.attachWorkDoneProgress(params.workDoneToken);
    progress?.begin("STAND: loading model", 0, params.model || "embedded model", true);
    const loaded = await modelHost().load(params.model ?? settings.model, settings, { signal: abortSignalOf(token), progress });
    return loaded.info();
  });

  connection.onRequest(SolveRequest, async (params, token) => {
    const current = await modelHost().current();
    const signal = abortSignalOf(token);
    const result = await modelHost().run("solve", () =>
      solve(current, params, settings, (progress) => void connection.sendNotification(SolveProgressNotification, progress), signal),
    );
    void modelHost().saveTable(settings.persistTable);
    // LSP's "request cancelled" error, with the candidates so far as its data.
    if (signal.aborted) throw new ResponseError(LSPErrorCodes.RequestCancelled, "The solve was cancelled.", result);
    return result;
  });

  // Checks run the candidates in child processes of their own; they need no model and wait for no queue.
  connection.onRequest(RunChecksRequest, (params, token) =>
    runChecks(params, {
      signal: abortSignalOf(token),
      progress: (result) => {
        if (params.progressToken !== undefined)
          void connection.sendNotification(ChecksProgressNotification, { progressToken: params.progressToken, result });
      },
    }),
  );

  connection.onRequest(BenchmarkRequest, async (params) => {
    const current = await modelHost().current();
    if (typeof params.prompt !== "string" || !params.prompt.trim())
      throw new ResponseError(ErrorCodes.InvalidRequest, "The benchmark needs a prompt.");
    const prompt = await current.tokenize({ text: params.prompt, kind: params.kind ?? "code" });
    // On the solve queue: it competes for the same cores, so solves wait rather than skew it.
    const rows = await modelHost().run("solve", () =>
      current.benchmark({
        prompts: [prompt],
        trajectoryCounts: params.trajectories ?? [settings.trajectories],
        temperatures: params.temperatures ?? [settings.temperature],
        maxTokens: Math.min(params.maxTokens ?? 64, current.contextSize - prompt.length - 64),
        repetitions: params.repetitions ?? 1,
      }),
    );
    return { rows, table: formatBenchmarkTables(rows) };
  });

  connection.languages.inlineCompletion.on(async (params, token) => {
    const document = documents.get(params.textDocument.uri);
    if (!document) return [];
    // A new request for the same document cancels the one before it.
    inlineByDocument.get(document.uri)?.abort();
    const controller = new AbortController();
    inlineByDocument.set(document.uri, controller);
    token.onCancellationRequested(() => controller.abort());
    try {
      const current = await modelHost().current();
      const offset = document.offsetAt(params.position);
      const text = document.getText();
      const completions = await modelHost().run("inline", async () =>
        controller.signal.aborted
          ? []
          : completeInline(current, { prefix: text.slice(0, offset), suffix: text.slice(offset) }, settings, controller.signal),
      );
      if (controller.signal.aborted) return [];
      return completions.map((insertText): InlineCompletionItem => ({
        insertText,
        range: { start: params.position, end: params.position },
      }));
    } finally {
      if (inlineByDocument.get(document.uri) === controller) inlineByDocument.delete(document.uri);
    }
  });

  connection.onNotification(AcceptedCompletionNotification, async ({ text }) => {
    // The user kept this text: its n-grams become sure drafts. Drafts only: whatever the table
    // holds, the output follows the model.
    if (!text) return;
    const current = await modelHost()
      .current()
      .catch(() => undefined);
    current?.table.observeSequence(await current.tokenize({ text, kind: "code" }));
  });

  connection.onShutdown(async () => {
    await host?.dispose(settings.persistTable);
  });

  documents.listen(connection);
  connection.listen();
}

function abortSignalOf(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

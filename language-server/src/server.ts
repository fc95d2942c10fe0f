// The language server: a separate Node process that owns the model and the STAND engine. The
// extension starts it over stdio; it knows nothing of VS Code beyond the protocol.
import type { Socket } from "node:net";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import {
  createConnection,
  InlineCompletionTriggerKind,
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
  type InlineCompletionItem,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  AcceptedCompletionNotification,
  BenchmarkRequest,
  ChecksProgressNotification,
  defaultSettings,
  ErrorCodes,
  InlineStatisticsRequest,
  LoadModelRequest,
  RunChecksRequest,
  SolvePartialResultType,
  SolveRequest,
  StatusNotification,
  StatusRequest,
  type StandSettings,
  VisitedNotification,
} from "../../common/protocol";
import { formatBenchmarkTables } from "../../common/benchmarkTable";
import { EMBEDDED_MODEL_FILE, VERSION } from "../../common/product";
import {
  AcceptedCompletionParamsSchema,
  BenchmarkParamsSchema,
  InitializationOptionsSchema,
  InlineCompletionParamsSchema,
  LoadModelParamsSchema,
  parseSettings,
  RunChecksParamsSchema,
  SolveParamsSchema,
  VisitedParamsSchema,
} from "../../common/protocolSchemas";
import { watchChannel } from "./channelWatch";
import { runChecks } from "./checks/runChecks";
import { InlineRequests } from "./inlineRequests";
import { downloadFolder, ModelHost } from "./modelHost";
import { parseParams, validated } from "./paramsValidation";
import { samplingFrom } from "./decoding";
import { protocolChannel } from "./protocolChannel";
import { milliseconds, solve } from "./solve";
import { TableStore } from "./tableStore";
import { WorkspaceContext } from "./workspaceContext";

/** The embedded model ships next to the bundle (dist/language-server.js → models/). */
const EMBEDDED_MODEL = join(__dirname, "..", EMBEDDED_MODEL_FILE);
/** How long a server whose editor is gone may take to save its table before it exits. */
const SAVE_ON_EXIT_MS = 5000;

const channel = protocolChannel();
if (channel) serve(channel);

function serve(channel: Socket): void {
  const reader = new StreamMessageReader(channel);
  const connection = createConnection(ProposedFeatures.all, reader, new StreamMessageWriter(channel));
  // Every edit of an open document is a place its chunk may come from (workspaceContext.ts).
  const documents: TextDocuments<TextDocument> = new TextDocuments({
    create: (uri, languageId, version, content) => TextDocument.create(uri, languageId, version, content),
    update: (document, changes, version) => {
      for (const change of changes) if ("range" in change) workspace.touched(document.uri, change.range.start.line);
      return TextDocument.update(document, changes, version);
    },
  });
  let workspaceFolders: string[] = [];
  const workspace = new WorkspaceContext(documents, () => workspaceFolders);
  documents.onDidClose(({ document }) => {
    workspace.closing(document);
  });
  const log = (message: string): void => {
    connection.console.log(message);
  };
  let settings: StandSettings = defaultSettings;
  let host: ModelHost | undefined;
  let shutdownReceived = false;

  watchChannel(channel, reader, (reason) => {
    // Nobody reads the log any more: stderr reaches the editor's output, if anything does.
    process.stderr.on("error", () => undefined);
    process.stderr.write(`STAND language server: ${reason}; exiting.\n`);
    void Promise.race([host?.dispose(), delay(SAVE_ON_EXIT_MS)])
      .catch(() => undefined)
      .finally(() => process.exit(shutdownReceived ? 0 : 1));
  });

  const modelHost = (): ModelHost => {
    if (!host) throw new ResponseError(ErrorCodes.NoModel, "The server is not initialized.");
    return host;
  };
  let inline = new InlineRequests(modelHost, () => settings, workspace);

  /** Settings from a client, field by field: a bad field keeps its value and is logged by name. */
  const applySettings = (incoming: unknown, current: StandSettings): StandSettings => {
    const parsed = parseSettings(incoming, current);
    for (const problem of parsed.problems) log(`ignoring the setting ${problem}`);
    return parsed.settings;
  };

  connection.onInitialize((params) => {
    const options = parseParams("initialize", InitializationOptionsSchema, params.initializationOptions ?? {});
    workspaceFolders = (params.workspaceFolders ?? []).map((folder) => folder.uri);
    if (options.inline) inline = new InlineRequests(modelHost, () => settings, workspace, options.inline);
    settings = applySettings(options.settings, defaultSettings);
    const tables = options.storagePath ? new TableStore(join(options.storagePath, "tables"), log) : undefined;
    host = new ModelHost(
      EMBEDDED_MODEL,
      downloadFolder(options.storagePath),
      tables,
      {
        log,
        // A notification, not a request: a client that cannot show messages must not bring the server down.
        warn: (message) => void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message }),
        statusChanged: (status) => void connection.sendNotification(StatusNotification, status),
        progress: async (what) => {
          const progress = await connection.window.createWorkDoneProgress().catch(() => undefined);
          // The title names the model; messages say what the load is doing (never the name again).
          progress?.begin(`STAND: loading ${what}`, 0, undefined, false);
          return { report: (percent, message) => progress?.report(percent, message), done: () => progress?.done() };
        },
      },
      () => settings,
    );
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
    const incoming = (change.settings as { stand?: unknown } | null | undefined)?.stand;
    if (!incoming) return;
    const before = settings;
    settings = applySettings(incoming, settings);
    // A model the editor just loaded with stand/loadModel arrives here too: it needs no reload.
    const modelChanged = settings.model !== before.model && settings.model !== modelHost().wantedSpec;
    if (modelChanged || settings.gpu !== before.gpu)
      modelHost()
        .load(settings.model, settings)
        .catch(() => undefined);
  });

  connection.onRequest(StatusRequest, () => modelHost().status());

  connection.onRequest(
    LoadModelRequest,
    validated(LoadModelRequest.method, LoadModelParamsSchema, async (params, token) => {
      // The editor may bring its own progress (a cancellable notification) for a download.
      const progress = params.workDoneToken === undefined ? undefined : connection.window.attachWorkDoneProgress(params.workDoneToken);
      progress?.begin(`STAND: loading ${params.model || "embedded model"}`, 0, undefined, true);
      const loaded = await modelHost().load(params.model ?? settings.model, settings, { signal: abortSignalOf(token), progress });
      return loaded.info();
    }),
  );

  connection.onRequest(
    SolveRequest,
    validated(SolveRequest.method, SolveParamsSchema, async (params, token) => {
      const current = await modelHost().current();
      // A solve competes for the same cores: a warm-up would only slow it.
      inline.cancelWarmUp();
      const signal = abortSignalOf(token);
      const partialResultToken = params.partialResultToken;
      const result = await modelHost().run("solve", () =>
        solve(
          current,
          params,
          settings,
          {
            partial: (partial) => {
              if (partialResultToken !== undefined) void connection.sendProgress(SolvePartialResultType, partialResultToken, partial);
            },
            log,
          },
          signal,
        ),
      );
      // LSP's "request cancelled" error, with the candidates so far as its data.
      if (signal.aborted) throw new ResponseError(LSPErrorCodes.RequestCancelled, "The solve was cancelled.", result);
      return result;
    }),
  );

  // Checks run the candidates in child processes of their own; they need no model and wait for no queue.
  connection.onRequest(
    RunChecksRequest,
    validated(RunChecksRequest.method, RunChecksParamsSchema, (params, token) =>
      runChecks(params, {
        signal: abortSignalOf(token),
        progress: (result) => {
          if (params.progressToken !== undefined)
            void connection.sendNotification(ChecksProgressNotification, { progressToken: params.progressToken, result });
        },
      }),
    ),
  );

  connection.onRequest(
    BenchmarkRequest,
    validated(BenchmarkRequest.method, BenchmarkParamsSchema, async (params) => {
      const current = await modelHost().current();
      const prompt = await current.tokenize({ text: params.prompt, kind: params.kind ?? "code" });
      // On the solve queue: it competes for the same cores, so solves wait rather than skew it.
      const rows = await modelHost().run("solve", () =>
        current.benchmark({
          promptSets: [{ name: "the prompt", prompts: [prompt] }],
          trajectoryCounts: params.trajectories ?? [settings.trajectories],
          sampler: samplingFrom(settings),
          temperatures: params.temperatures ?? [settings.temperature],
          maxTokens: Math.min(params.maxTokens ?? 64, current.contextSize - prompt.length - 64),
          // Three, so that each speedup has a spread to judge noise by.
          repetitions: params.repetitions ?? 3,
        }),
      );
      return { rows, table: formatBenchmarkTables(rows), backend: current.backend };
    }),
  );

  connection.languages.inlineCompletion.on(async (raw, token) => {
    const params = parseParams("textDocument/inlineCompletion", InlineCompletionParamsSchema, raw);
    const document = documents.get(params.textDocument.uri);
    if (!document) return [];
    // A position past the end of its line or of the document (a client a version ahead) is
    // clamped to the document, and the items' range is where the text really goes.
    const offset = document.offsetAt(params.position);
    const position = document.positionAt(offset);
    const requested = performance.now();
    const signal = abortSignalOf(token);
    const completions = await inline.complete(
      document,
      offset,
      signal,
      params.context?.triggerKind === InlineCompletionTriggerKind.Invoked,
    );
    // One line per request, with its time (a newer request for the document answers this one with none).
    const where = [document.uri.slice(document.uri.lastIndexOf("/") + 1), position.line + 1, position.character + 1].join(":");
    const took = milliseconds(performance.now() - requested);
    log(signal.aborted ? `inline ${where}: cancelled after ${took}` : `inline ${where}: ${String(completions.length)} item(s) in ${took}`);
    return completions.map((insertText): InlineCompletionItem => ({ insertText, range: { start: position, end: position } }));
  });

  connection.onRequest(InlineStatisticsRequest, () => inline.statistics());

  connection.onNotification(VisitedNotification, (raw) => {
    const parsed = VisitedParamsSchema.safeParse(raw);
    if (!parsed.success) {
      log(`ignoring a malformed ${VisitedNotification.method} notification`);
      return;
    }
    const { uri, line, character } = parsed.data;
    const document = documents.get(uri);
    if (!document) return;
    workspace.touched(uri, line);
    // The place is likely the next one typed at: its prompt is evaluated while the user reads.
    const lineStart = document.offsetAt({ line, character: 0 });
    const lineText = document.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, "");
    inline.warmUp(document, lineStart + Math.min(character ?? lineText.length, lineText.length));
  });

  connection.onNotification(AcceptedCompletionNotification, async (raw) => {
    // The user kept this text: its n-grams become sure drafts. Drafts only: whatever the table
    // holds, the output follows the model. A notification has no answer: a bad one is logged.
    const parsed = AcceptedCompletionParamsSchema.safeParse(raw);
    if (!parsed.success) {
      log(`ignoring a malformed ${AcceptedCompletionNotification.method} notification`);
      return;
    }
    const { text, uri, version, position } = parsed.data;
    if (!text) return;
    const current = await modelHost()
      .current()
      .catch(() => undefined);
    if (!current) return;
    current.table.observeSequence(await current.tokenize({ text, kind: "code" }));
    modelHost().learned();
    // The completion that follows, unless the document has changed since the insertion.
    const document = uri === undefined ? undefined : documents.get(uri);
    if (document && position && document.version === version) inline.prefetch(document, document.offsetAt(position));
  });

  connection.onShutdown(async () => {
    shutdownReceived = true;
    await host?.dispose();
  });

  documents.listen(connection);
  connection.listen();
}

function abortSignalOf(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  token.onCancellationRequested(() => {
    controller.abort();
  });
  return controller.signal;
}

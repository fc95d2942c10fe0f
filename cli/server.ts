// The real language server (dist/language-server.js), started as the editor starts it: a child
// process speaking LSP over stdio. `npm start` is one more client of the same protocol.
import { spawn, type ChildProcess } from "node:child_process";
import {
  createProtocolConnection,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  MessageType,
  ShowMessageNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  type CancellationToken,
  type ProtocolConnection,
  type RequestType,
  type RequestParam,
} from "vscode-languageserver-protocol/node";
import { MODEL_PROCESS_ENV } from "../common/modelProcess";
import { StatusNotification, StatusRequest, type InitializationOptions, type ServerStatus } from "../common/protocol";

export interface ServerEvents {
  /** window/logMessage: the server's log. */
  readonly log?: (message: string) => void;
  /** window/showMessage: warnings the editor would pop up (a GPU fallback, for example). */
  readonly message?: (message: string, type: MessageType) => void;
  /** Work-done progress (loading or downloading a model). */
  readonly progress?: (title: string, message?: string, percentage?: number) => void;
}

/** A ResponseError from the server, or the server going away. */
export class ServerError extends Error {
  override readonly name = "ServerError";
  constructor(
    message: string,
    readonly code?: number,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export class LanguageServer {
  private rejectOnExit?: (error: ServerError) => void;
  /** Rejects when the process exits: every request and wait races it. */
  private readonly exitFailure: Promise<never>;
  private stopping = false;
  private stderrTail: string[] = [];
  readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly connection: ProtocolConnection,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", () => {
        resolve();
      });
    });
    this.exitFailure = new Promise<never>((_, reject) => (this.rejectOnExit = reject));
    this.exitFailure.catch(() => undefined);
    child.once("exit", (code, signal) => {
      if (this.stopping) return this.rejectOnExit?.(new ServerError("the language server was stopped"));
      const tail = this.stderrTail.join("").trim().split("\n").slice(-5).join(" | ");
      this.rejectOnExit?.(
        new ServerError(`the language server exited unexpectedly (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ""}`),
      );
    });
  }

  /** Starts the server and initializes it; the model starts loading at once. */
  static async start(
    serverScript: string,
    initializationOptions: InitializationOptions,
    events: ServerEvents = {},
    { verbose = false, env = process.env }: { readonly verbose?: boolean; readonly env?: NodeJS.ProcessEnv } = {},
  ): Promise<LanguageServer> {
    const child = spawn(process.execPath, [serverScript, "--stdio"], {
      stdio: ["pipe", "pipe", "pipe"],
      // Its own process group: Ctrl+C in the terminal reaches only us, and we cancel and shut
      // the server down in order.
      detached: process.platform !== "win32",
      env: { ...env, ...MODEL_PROCESS_ENV },
      windowsHide: true,
    });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const server = new LanguageServer(child, connection);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      server.stderrTail.push(chunk);
      if (server.stderrTail.length > 50) server.stderrTail.splice(0, server.stderrTail.length - 50);
      if (verbose) process.stderr.write(chunk);
    });
    child.stdin.on("error", () => undefined);
    // If we die first, the server goes too.
    const killOnExit = (): void => {
      server.kill("SIGKILL");
    };
    process.once("exit", killOnExit);
    child.once("exit", () => process.removeListener("exit", killOnExit));

    // Work-done progress the server starts (model loads): a handler for each token it creates.
    connection.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      let title = "";
      const subscription = connection.onProgress(WorkDoneProgress.type, token, (progress) => {
        if (progress.kind === "begin") title = progress.title;
        if (progress.kind === "end") subscription.dispose();
        else events.progress?.(title, progress.message, progress.percentage);
      });
    });
    connection.onNotification(LogMessageNotification.type, ({ message }) => events.log?.(message));
    connection.onNotification(ShowMessageNotification.type, ({ message, type }) => events.message?.(message, type));
    connection.listen();
    await server.request(InitializeRequest.type, {
      processId: process.pid,
      // InitializeParams still requires the deprecated rootUri; null: no folder (workspaceFolders says the same).
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      rootUri: null,
      workspaceFolders: null,
      capabilities: { window: { workDoneProgress: true } },
      initializationOptions,
    });
    await connection.sendNotification(InitializedNotification.type, {});
    return server;
  }

  /** A request that fails with a ServerError if the server answers with an error or exits. */
  request<P, R>(type: RequestType<P, R, unknown>, params: RequestParam<P>, token?: CancellationToken): Promise<R> {
    return this.answer(this.connection.sendRequest(type, params, token));
  }

  /** The server's answer, or a ServerError when it answers with an error or exits first. */
  private async answer<R>(pending: Promise<R>): Promise<R> {
    try {
      return await Promise.race([pending, this.exitFailure]);
    } catch (error) {
      if (error instanceof ServerError) throw error;
      const { message, code, data } = error as { message?: string; code?: number; data?: unknown };
      throw new ServerError(message ?? String(error), code, data);
    }
  }

  /** The status once no model is loading: loaded ("ready") or failed to load ("error"). */
  async modelSettled(): Promise<ServerStatus> {
    let subscription: { dispose(): void } | undefined;
    try {
      return await new Promise<ServerStatus>((resolve, reject) => {
        const consider = (status: ServerStatus): void => {
          if (status.state !== "loading") resolve(status);
        };
        subscription = this.connection.onNotification(StatusNotification, consider);
        this.answer(this.connection.sendRequest(StatusRequest)).then(consider, reject);
        this.exitFailure.catch(reject);
      });
    } finally {
      subscription?.dispose();
    }
  }

  /** shutdown, then exit; the process is killed if it takes longer than `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.stopping = true;
    const deadline = new Promise<"timeout">((resolve) => setTimeout(resolve, timeoutMs, "timeout").unref());
    const polite = (async () => {
      await this.connection.sendRequest(ShutdownRequest.type);
      await this.connection.sendNotification(ExitNotification.type);
      await this.exited;
    })().catch(() => undefined);
    if ((await Promise.race([polite, deadline])) === "timeout") {
      this.kill("SIGTERM");
      const killed = await Promise.race([this.exited, new Promise<"timeout">((resolve) => setTimeout(resolve, 2000, "timeout").unref())]);
      if (killed === "timeout") this.kill("SIGKILL");
      await this.exited;
    }
    this.connection.dispose();
  }

  /** Kills the server (and the process it relays to, which shares its process group). */
  kill(signal: NodeJS.Signals): void {
    this.stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    try {
      if (process.platform === "win32") this.child.kill(signal);
      else process.kill(-this.child.pid, signal);
    } catch {
      this.child.kill(signal);
    }
  }
}

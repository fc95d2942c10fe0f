// The language client: starts the server bundle as a child process over stdio, restarts it with
// back-off when it dies, keeps its settings current, and reports the connection's state.
import * as vscode from "vscode";
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import type { InitializationOptions } from "../../common/protocol";
import { MODEL_PROCESS_ENV } from "../../common/modelProcess";
import { CrashBackoff } from "./crashBackoff";
import { readSettings, SECTION } from "./settings";
import type { ConnectionState } from "./statusBarText";

export class ServerClient implements vscode.Disposable {
  readonly client: LanguageClient;
  private readonly backoff = new CrashBackoff();
  private readonly stateChanged = new vscode.EventEmitter<ConnectionState>();
  readonly onDidChangeConnection = this.stateChanged.event;
  /** VS Code's and the language client's own disposables (the latter are not vscode.Disposable instances). */
  private readonly subscriptions: { dispose(): void }[] = [];

  constructor(
    context: vscode.ExtensionContext,
    readonly output: vscode.LogOutputChannel,
    middleware: LanguageClientOptions["middleware"],
  ) {
    const module = context.asAbsolutePath("dist/language-server.js");
    // vscode-languageclient adds these variables to the extension host's environment.
    const env = { ...MODEL_PROCESS_ENV };
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.stdio, options: { env } },
      debug: { module, transport: TransportKind.stdio, options: { env, execArgv: ["--nolazy", "--inspect=6009"] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
      outputChannel: output,
      // A function, so a restarted server gets the settings as they are now.
      initializationOptions: (): InitializationOptions => ({
        settings: readSettings().server,
        storagePath: context.storageUri?.fsPath ?? context.globalStorageUri.fsPath,
      }),
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: async () => {
          const decision = this.backoff.onCrash(Date.now());
          if (!decision.restart) {
            this.stateChanged.fire({ kind: "stopped" });
            return {
              action: CloseAction.DoNotRestart,
              message: `The STAND language server crashed ${decision.crashes} times in 5 minutes and is not restarted. See the STAND output, then run "STAND: Restart Language Server".`,
            };
          }
          this.stateChanged.fire({ kind: "restarting", inSeconds: Math.ceil(decision.delayMs / 1000) });
          await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
          return { action: CloseAction.Restart, message: `The STAND language server stopped; restarted it (crash ${decision.crashes}).` };
        },
      },
      middleware,
    };
    this.client = new LanguageClient("stand", "STAND", serverOptions, clientOptions);
    this.subscriptions.push(
      this.client.onDidChangeState(({ newState }) => {
        if (newState === State.Running) this.stateChanged.fire({ kind: "running" });
        else if (newState === State.Starting) this.stateChanged.fire({ kind: "starting" });
      }),
      vscode.workspace.onDidChangeConfiguration((change) => {
        if (change.affectsConfiguration(SECTION) && this.client.isRunning()) {
          void this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: readSettings().server } });
        }
      }),
    );
  }

  async start(): Promise<void> {
    this.stateChanged.fire({ kind: "starting" });
    await this.client.start();
  }

  /** A restart the user asked for: forgives earlier crashes. */
  async restart(): Promise<void> {
    this.backoff.reset();
    this.stateChanged.fire({ kind: "starting" });
    if (this.client.isRunning()) await this.client.restart();
    else await this.client.start();
  }

  async dispose(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.stateChanged.dispose();
    await this.client.dispose();
  }
}

// The candidates panel: a WebviewView in STAND's own container. The extension keeps the panel's
// state (folded from the same events the webview gets), so a view created or re-shown mid-solve
// starts from a snapshot instead of an empty page.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { emptyPanelState, reducePanel, type FromPanel, type PanelEvent, type PanelState, type ToPanel } from "../../common/panel";
import { panelHtml } from "./panelHtml";

export class CandidatesView implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = "stand.candidates";

  private state: PanelState = emptyPanelState;
  private view?: vscode.WebviewView;
  /** Messages posted before the webview said "ready" would be lost; it gets a snapshot instead. */
  private ready = false;
  private readonly received = new vscode.EventEmitter<FromPanel>();
  /** Messages from the panel other than "ready": apply, copy, cancel, … */
  readonly onDidReceiveMessage = this.received.event;

  constructor(private readonly extensionUri: vscode.Uri) {}

  get current(): PanelState {
    return this.state;
  }

  post(event: PanelEvent): void {
    this.state = reducePanel(this.state, event);
    if (this.view && this.ready) void this.view.webview.postMessage(event satisfies ToPanel);
  }

  /** Folds an event the webview has folded already (it sent it): posting it back could undo newer typing. */
  remember(event: PanelEvent): void {
    this.state = reducePanel(this.state, event);
  }

  async reveal(): Promise<void> {
    if (this.view) this.view.show(true);
    else await vscode.commands.executeCommand(`${CandidatesView.viewType}.focus`);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const assets = vscode.Uri.joinPath(this.extensionUri, "dist", "webview");
    view.webview.options = { enableScripts: true, localResourceRoots: [assets] };
    const asset = (...path: string[]): string => view.webview.asWebviewUri(vscode.Uri.joinPath(assets, ...path)).toString();
    view.webview.html = panelHtml({
      cspSource: view.webview.cspSource,
      nonce: randomBytes(16).toString("base64"),
      scriptUri: asset("main.js"),
      styleUri: asset("main.css"),
      codiconsUri: asset("codicons", "codicon.css"),
    });
    view.webview.onDidReceiveMessage((message: FromPanel) => {
      if (message.type === "ready") {
        this.ready = true;
        void view.webview.postMessage({ type: "snapshot", state: this.state } satisfies ToPanel);
      } else {
        this.received.fire(message);
      }
    });
    view.onDidDispose(() => {
      if (this.view === view) this.view = undefined;
    });
  }

  dispose(): void {
    this.received.dispose();
  }
}

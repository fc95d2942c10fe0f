// The candidates panel: a WebviewView in STAND's own container. The extension keeps the panel's
// state (folded from the same events the webview gets), so a view created or re-shown mid-solve
// starts from a snapshot instead of an empty page. Events go to the webview in batches, the next
// one only after the webview has rendered the last: a solve streaming faster than the panel can
// draw queues up here, as a few merged messages, instead of in the webview's message queue.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { emptyPanelState, reducePanel, type FromPanel, type PanelEvent, type PanelState, type ToPanel } from "../../common/panel";
import { panelHtml } from "./panelHtml";

/** A webview that has not said "rendered" for this long may have dropped the batch: send again. */
const RENDER_TIMEOUT_MS = 2000;

/** Events the user waits for: they go at once, with whatever is pending before them, in order. */
const URGENT: ReadonlySet<PanelEvent["type"]> = new Set([
  "solveStarted",
  "solveCancelling",
  "solveFinished",
  "solveCancelled",
  "solveFailed",
]);

export class CandidatesView implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = "stand.candidates";

  private state: PanelState = emptyPanelState;
  private view?: vscode.WebviewView;
  /** Messages posted before the webview said "ready" would be lost; it gets a snapshot instead. */
  private ready = false;
  /** Events not yet posted, and when the batch in flight was posted (undefined: none is). */
  private pending: PanelEvent[] = [];
  private inFlightSince?: number;
  private retry?: NodeJS.Timeout;
  private readonly received = new vscode.EventEmitter<FromPanel>();
  /** Messages from the panel other than "ready": apply, copy, cancel, … */
  readonly onDidReceiveMessage = this.received.event;

  constructor(private readonly extensionUri: vscode.Uri) {}

  get current(): PanelState {
    return this.state;
  }

  post(event: PanelEvent): void {
    this.state = reducePanel(this.state, event);
    if (!this.view || !this.ready) return;
    this.pending.push(event);
    this.flush(URGENT.has(event.type));
  }

  /** Posts the pending events as one batch, unless the webview is still rendering the last one (and they can wait). */
  private flush(urgent = false): void {
    const view = this.view;
    if (!view || !this.ready || this.pending.length === 0) return;
    if (!urgent && this.inFlightSince !== undefined && Date.now() - this.inFlightSince < RENDER_TIMEOUT_MS) {
      this.retry ??= setTimeout(() => {
        this.retry = undefined;
        this.flush();
      }, RENDER_TIMEOUT_MS);
      return;
    }
    const events = this.pending;
    this.pending = [];
    this.inFlightSince = Date.now();
    void view.webview.postMessage({ type: "events", events } satisfies ToPanel);
  }

  private resetFlow(): void {
    this.pending = [];
    this.inFlightSince = undefined;
    clearTimeout(this.retry);
    this.retry = undefined;
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
    this.resetFlow();
    view.webview.onDidReceiveMessage((message: FromPanel) => {
      if (message.type === "ready") {
        // A new page: it starts from the whole state, and nothing is in flight to it.
        this.ready = true;
        this.resetFlow();
        void view.webview.postMessage({ type: "snapshot", state: this.state } satisfies ToPanel);
      } else if (message.type === "rendered") {
        this.inFlightSince = undefined;
        this.flush();
      } else {
        this.received.fire(message);
      }
    });
    view.onDidDispose(() => {
      if (this.view !== view) return;
      this.view = undefined;
      this.ready = false;
      this.resetFlow();
    });
  }

  dispose(): void {
    this.resetFlow();
    this.received.dispose();
  }
}

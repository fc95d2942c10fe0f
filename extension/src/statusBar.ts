// The status bar item: model and backend, live speed while generating, a spinner while loading.
// Clicking it opens the candidates panel.
import * as vscode from "vscode";
import type { ServerStatus } from "../../common/protocol";
import { statusBarContent, type ConnectionState, type LiveGeneration } from "./statusBarText";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("stand.status", vscode.StatusBarAlignment.Right, 100);
  private connection: ConnectionState = { kind: "starting" };
  private status?: ServerStatus;
  private live?: LiveGeneration;

  constructor() {
    this.item.name = "STAND";
    this.item.command = "stand.showPanel";
    this.render();
    this.item.show();
  }

  setConnection(connection: ConnectionState): void {
    this.connection = connection;
    this.render();
  }

  setStatus(status: ServerStatus): void {
    this.status = status;
    this.render();
  }

  setLive(live: LiveGeneration | undefined): void {
    this.live = live;
    this.render();
  }

  private render(): void {
    const content = statusBarContent(this.connection, this.status, this.live);
    this.item.text = content.text;
    this.item.tooltip = content.tooltip;
    this.item.backgroundColor = content.error ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}

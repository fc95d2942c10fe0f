// A lasting status bar item that says whether inline completions are on, for the active editor's
// language too, as Copilot's does; clicking it toggles them.
import * as vscode from "vscode";
import { readSettings, SECTION } from "./settings";
import { inlineStatusContent } from "./statusBarText";

export class InlineStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("stand.inline", vscode.StatusBarAlignment.Right, 99);
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.item.name = "STAND Inline Completions";
    this.item.command = "stand.toggleInlineCompletions";
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor(() => {
        this.render();
      }),
      vscode.workspace.onDidChangeConfiguration((change) => {
        if (change.affectsConfiguration(`${SECTION}.inline`)) this.render();
      }),
    ];
    this.render();
    this.item.show();
  }

  private render(): void {
    const { inline } = readSettings();
    const content = inlineStatusContent(inline.enabled, vscode.window.activeTextEditor?.document.languageId, inline.disabledLanguages);
    this.item.text = content.text;
    this.item.tooltip = content.tooltip;
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.item.dispose();
  }
}

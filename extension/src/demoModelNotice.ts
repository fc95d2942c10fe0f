// The first time the embedded demo model is what runs, say what it is (its code is code-shaped,
// not correct) and offer Select Model…. Once per user; never while another model is chosen, so a
// user who picked a real model first never sees it. The status bar says "(demo)" meanwhile.
import * as vscode from "vscode";
import type { ServerStatus } from "../../common/protocol";
import { DEMO_MODEL_NOTE } from "./statusBarText";

const SHOWN = "stand.demoModelNoticeShown";

export class DemoModelNotice {
  constructor(private readonly state: vscode.Memento) {}

  /** Called with every status the server sends. */
  onStatus(status: ServerStatus): void {
    if (status.state !== "ready" || !status.model?.embedded || this.state.get<boolean>(SHOWN)) return;
    void this.state.update(SHOWN, true);
    void vscode.window.showInformationMessage(`STAND: ${DEMO_MODEL_NOTE}`, "Select Model…").then((action) => {
      if (action) void vscode.commands.executeCommand("stand.selectModel");
    });
  }
}

// Putting a candidate into the editor: insert at the cursor, replace the selection the solve came
// from, or open a diff of the file against the file with the candidate applied.
import * as vscode from "vscode";
import type { ApplyMode } from "../../common/panel";
import type { Candidate } from "../../common/protocol";
import { candidateEditText, type SolveOrigin } from "./candidateEdit";

/** Where a solve came from: the document and selection it should go back into. */
export interface SolveTarget extends SolveOrigin {
  readonly uri?: vscode.Uri;
  readonly selection?: vscode.Range;
}

const PREVIEW_SCHEME = "stand-candidate";

/** Serves the right-hand side of candidate diffs, read-only. */
export class CandidatePreviews implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, this);

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? "";
  }

  show(text: string, name: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `/${name}`, query: String(this.texts.size) });
    this.texts.set(uri.toString(), text);
    return uri;
  }

  dispose(): void {
    this.registration.dispose();
  }
}

export async function applyCandidate(
  target: SolveTarget,
  candidate: Candidate,
  mode: ApplyMode,
  previews: CandidatePreviews,
): Promise<void> {
  const text = candidateEditText(target, candidate, mode);
  const editor = await editorFor(target);
  if (!editor) {
    void vscode.window.showWarningMessage("STAND: open an editor to put the candidate in.");
    return;
  }
  // The solve's selection when the candidate goes back where it came from, else the cursor.
  const selection = target.uri?.toString() === editor.document.uri.toString() && target.selection ? target.selection : editor.selection;
  if (mode === "insert") {
    await editor.edit((edit) => {
      edit.insert(selection.end, text);
    });
    return;
  }
  if (mode === "replace") {
    await editor.edit((edit) => {
      edit.replace(selection, text);
    });
    return;
  }
  const document = editor.document;
  const applied =
    document.getText(new vscode.Range(document.positionAt(0), selection.start)) +
    text +
    document.getText(new vscode.Range(selection.end, document.positionAt(document.getText().length)));
  const name = document.uri.path.split("/").pop() || "untitled";
  const right = previews.show(applied, name);
  await vscode.commands.executeCommand("vscode.diff", document.uri, right, `${name} ↔ candidate ${candidate.trajectory + 1}`, {
    preview: true,
  });
}

async function editorFor(target: SolveTarget): Promise<vscode.TextEditor | undefined> {
  const uri = target.uri;
  if (uri) {
    const visible = vscode.window.visibleTextEditors.find((editor) => editor.document.uri.toString() === uri.toString());
    if (visible) return visible;
    const document = await vscode.workspace.openTextDocument(uri).then(undefined, () => undefined);
    if (document) return vscode.window.showTextDocument(document, { preserveFocus: false });
  }
  return vscode.window.activeTextEditor;
}

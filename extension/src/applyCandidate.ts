// Putting a candidate into the editor: insert it after the text the solve came from, replace that
// text with it, or open a diff of the file against the file with the candidate applied. The text
// is found where it is now (SolveOrigin follows edits); when it was edited itself, nothing is
// written: the user is told and offered the diff instead.
import * as vscode from "vscode";
import type { ApplyMode } from "../../common/panel";
import type { Candidate } from "../../common/protocol";
import { candidateEditText, type SolveText } from "./candidateEdit";
import type { SolveOrigin } from "./solveOrigin";

/** A finished (or cancelled) solve's text and, when it came from an editor, where from. */
export interface CandidateSource extends SolveText {
  readonly origin?: SolveOrigin;
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
  source: CandidateSource,
  candidate: Candidate,
  mode: ApplyMode,
  previews: CandidatePreviews,
): Promise<void> {
  const editor = await editorFor(source.origin);
  if (!editor) {
    const where = source.origin ? `${fileName(source.origin.uri)} could not be opened` : "open an editor to put the candidate in";
    void vscode.window.showWarningMessage(`STAND: ${where}.`);
    return;
  }
  const document = editor.document;
  const located = source.origin?.locate(document);
  const range = located?.range ?? editor.selection;
  const text = candidateEditText(source, candidate, mode);
  const diff = (): Thenable<unknown> => showDiff(document, range, text, candidate, previews);
  if (mode === "diff") {
    await diff();
    return;
  }
  if (located && !located.intact) {
    const lines =
      range.start.line === range.end.line ? `line ${range.start.line + 1}` : `lines ${range.start.line + 1}–${range.end.line + 1}`;
    const action = await vscode.window.showWarningMessage(
      `STAND: the code this solve came from (${fileName(document.uri)}, ${lines}) was edited since; nothing was written. Open a diff to see the candidate against the file as it is now.`,
      "Open Diff",
    );
    if (action === "Open Diff") await diff();
    return;
  }
  await editor.edit((edit) => {
    if (mode === "insert") edit.insert(range.end, text);
    else edit.replace(range, text);
  });
}

/** The file against the file with `text` in place of `range`, in a read-only diff. */
function showDiff(
  document: vscode.TextDocument,
  range: vscode.Range,
  text: string,
  candidate: Candidate,
  previews: CandidatePreviews,
): Thenable<unknown> {
  const applied =
    document.getText(new vscode.Range(document.positionAt(0), range.start)) +
    text +
    document.getText(new vscode.Range(range.end, document.positionAt(document.getText().length)));
  const name = fileName(document.uri);
  const right = previews.show(applied, name);
  return vscode.commands.executeCommand("vscode.diff", document.uri, right, `${name} ↔ candidate ${candidate.trajectory + 1}`, {
    preview: true,
  });
}

function fileName(uri: vscode.Uri): string {
  return uri.path.split("/").pop() || "untitled";
}

/** The origin's editor (opened if need be), or the active one for a solve that came from no editor. */
async function editorFor(origin: SolveOrigin | undefined): Promise<vscode.TextEditor | undefined> {
  if (!origin) return vscode.window.activeTextEditor;
  const uri = origin.uri.toString();
  const visible = vscode.window.visibleTextEditors.find((editor) => editor.document.uri.toString() === uri);
  if (visible) return visible;
  const document = await vscode.workspace.openTextDocument(origin.uri).then(
    (opened) => opened,
    () => undefined,
  );
  return document && vscode.window.showTextDocument(document, { preserveFocus: false });
}

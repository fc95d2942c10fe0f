// Where a solve came from: a document and its selection (or cursor), followed through the edits
// made while the solve ran and after, so Insert, Replace and Diff go where that text is now. When
// the text itself was edited, the candidate no longer fits it, and the caller says so instead.
import * as vscode from "vscode";
import { followChange, type OffsetRange } from "./trackedRange";

export class SolveOrigin implements vscode.Disposable {
  /** The selected text when the solve started. */
  readonly original: string;
  private range: OffsetRange;
  private readonly subscription: vscode.Disposable;

  constructor(
    readonly uri: vscode.Uri,
    document: vscode.TextDocument,
    selection: vscode.Range,
  ) {
    this.original = document.getText(selection);
    this.range = { start: document.offsetAt(selection.start), end: document.offsetAt(selection.end) };
    this.subscription = vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.document.uri.toString() !== this.uri.toString()) return;
      // Each change's offsets refer to the document after the ones before it.
      for (const change of event.contentChanges) this.range = followChange(this.range, change);
    });
  }

  /** The range where the solved text is now, and whether that text is still what was solved. */
  locate(document: vscode.TextDocument): { readonly range: vscode.Range; readonly intact: boolean } {
    const length = document.getText().length;
    const start = document.positionAt(Math.min(this.range.start, length));
    const end = document.positionAt(Math.min(this.range.end, length));
    const range = new vscode.Range(start, end);
    return { range, intact: this.range.end <= length && document.getText(range) === this.original };
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

// Where the user reads: the cursor resting in a file the server has (it syncs file and untitled
// documents) is reported as a place whose lines inline prompts may show as context. Edits need no
// report: the server sees them through the documents' sync.
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { VisitedNotification } from "../../common/protocol";
import { readSettings } from "./settings";

/** How long the cursor must rest before the place counts as visited (scrolling and typing pass through many). */
const REST_MS = 1000;

export function reportVisits(client: LanguageClient): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  const visit = (editor: vscode.TextEditor | undefined): void => {
    clearTimeout(timer);
    if (!editor || !["file", "untitled"].includes(editor.document.uri.scheme)) return;
    timer = setTimeout(() => {
      const { inline } = readSettings();
      if (!client.isRunning() || !inline.enabled || inline.disabledLanguages.includes(editor.document.languageId)) return;
      void client.sendNotification(VisitedNotification, {
        uri: client.code2ProtocolConverter.asUri(editor.document.uri),
        line: editor.selection.active.line,
        character: editor.selection.active.character,
      });
    }, REST_MS);
  };
  return vscode.Disposable.from(
    vscode.window.onDidChangeActiveTextEditor(visit),
    vscode.window.onDidChangeTextEditorSelection((event) => {
      visit(event.textEditor);
    }),
    {
      dispose: () => {
        clearTimeout(timer);
      },
    },
  );
}

// Shortcuts that a text box in the panel keeps to itself. VS Code forwards the keys pressed in a
// webview to the workbench, which runs Select All, Undo and Redo in the webview only once it has
// marked the webview focused, and that can lag the click (the webview host polls for focus every
// 250 ms); until then it runs them in the last active editor, and focuses it. Control+A then
// Delete, typed quickly after clicking into the box, would empty the user's file.
// No DOM types here: the predicate is unit-tested under Node.

/** A key press as a KeyboardEvent describes it. */
export interface KeyChord {
  readonly key: string;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly altKey: boolean;
  readonly shiftKey: boolean;
}

/** Select All, Undo or Redo, with Control or Command (not both) and no Alt. */
export function isTextEditingShortcut({ key, ctrlKey, metaKey, altKey, shiftKey }: KeyChord): boolean {
  if (altKey || ctrlKey === metaKey) return false;
  switch (key.toLowerCase()) {
    case "a":
    case "y":
      return !shiftKey;
    case "z":
      return true;
    default:
      return false;
  }
}

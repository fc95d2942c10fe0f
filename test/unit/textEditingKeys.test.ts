import assert from "node:assert/strict";
import { test } from "node:test";
import { isTextEditingShortcut, type KeyChord } from "../../webview/src/textEditingKeys";

const chord = (key: string, modifiers: Partial<Omit<KeyChord, "key">> = {}): KeyChord => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...modifiers,
});

test("the panel's text box keeps Select All, Undo and Redo, with Control or Command", () => {
  for (const modifier of [{ ctrlKey: true }, { metaKey: true }]) {
    assert.ok(isTextEditingShortcut(chord("a", modifier)), "select all");
    assert.ok(isTextEditingShortcut(chord("z", modifier)), "undo");
    assert.ok(isTextEditingShortcut(chord("Z", { ...modifier, shiftKey: true })), "redo");
    assert.ok(isTextEditingShortcut(chord("y", modifier)), "redo (Control+Y)");
    assert.ok(isTextEditingShortcut(chord("A", modifier)), "Caps Lock on");
  }
});

test("every other key goes on to VS Code: typing, Delete, Escape, palette and clipboard shortcuts", () => {
  for (const key of ["a", "z", "Delete", "Backspace", "Escape", "Enter"]) assert.equal(isTextEditingShortcut(chord(key)), false, key);
  for (const key of ["p", "c", "v", "x", "Delete", "Enter"]) assert.equal(isTextEditingShortcut(chord(key, { ctrlKey: true })), false, key);
  assert.equal(isTextEditingShortcut(chord("A", { ctrlKey: true, shiftKey: true })), false, "Control+Shift+A");
  assert.equal(isTextEditingShortcut(chord("a", { ctrlKey: true, altKey: true })), false, "Control+Alt+A");
  assert.equal(isTextEditingShortcut(chord("a", { ctrlKey: true, metaKey: true })), false, "Control+Command+A");
});

// The `stand.*` settings as the server and the extension use them. The mapping is pure so it is
// tested without VS Code; `readSettings` is the only part that touches the configuration API.
import * as vscode from "vscode";
import { serverSettingsFrom, type ExtensionSettings } from "./settingsMapping";

export const SECTION = "stand";

/** `scope`: the file whose folder's settings apply (resource-scoped settings such as `checks.testCommand`). */
export function readSettings(scope?: vscode.Uri): ExtensionSettings {
  const configuration = vscode.workspace.getConfiguration(SECTION, scope);
  return serverSettingsFrom((key) => configuration.get(key));
}

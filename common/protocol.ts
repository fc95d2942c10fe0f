// The custom LSP requests and notifications between the extension and the language server, with
// their types. Both sides import this one file, so a change to the protocol is a type error on
// whichever side has not caught up.
import { RequestType0 } from "vscode-languageserver-protocol";

export interface ServerStatus {
  /** The language server's version (the extension's, as they ship together). */
  readonly version: string;
  /** The loaded model, or undefined while none is loaded. */
  readonly model?: { readonly path: string; readonly backend: string };
}

export const StatusRequest = new RequestType0<ServerStatus, void>("stand/status");

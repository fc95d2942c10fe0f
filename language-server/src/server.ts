// The language server: a separate Node process that owns the model and the STAND engine. The
// extension starts it over stdio; it knows nothing of VS Code beyond the protocol.
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { StatusRequest, type ServerStatus } from "../../common/protocol";

const SERVER_VERSION = "0.1.0";

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
  serverInfo: { name: "stand-language-server", version: SERVER_VERSION },
}));

connection.onRequest(StatusRequest, (): ServerStatus => ({ version: SERVER_VERSION }));

documents.listen(connection);
connection.listen();

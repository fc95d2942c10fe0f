// The scripted editing session that `npm run bench:latency` replays (bench/session/session.json):
// its steps expanded into what an editor sends the server — document edits, inline completion
// requests, acceptances and visits — and a replay of them on one server's connection.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ProtocolConnection } from "vscode-languageserver-protocol/node";
import {
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  type Position,
} from "vscode-languageserver-protocol";
import { AcceptedCompletionNotification, VisitedNotification } from "../common/protocol";

const SESSION_FOLDER = join(__dirname, "session");
/** Characters of each re-typed line typed one at a time before the rest of the line is accepted. */
const TYPED_CHARACTERS = 3;

export type SessionEvent =
  | { readonly kind: "edit"; readonly file: string; readonly start: Position; readonly end: Position; readonly text: string }
  /** `expected`: the rest of the line as the file had it, where the session re-types a line. */
  | { readonly kind: "request"; readonly file: string; readonly position: Position; readonly expected?: string }
  /** The user accepted `text`, which the edit before inserted; the cursor is at `position`. */
  | { readonly kind: "accept"; readonly file: string; readonly text: string; readonly position: Position }
  | { readonly kind: "visit"; readonly file: string; readonly line: number };

interface Place {
  readonly file: string;
  readonly line: number;
}
type Step =
  | { readonly visit: Place }
  | { readonly move: Place }
  | { readonly retype: { readonly file: string; readonly from: number; readonly to: number } };

export interface EditingSession {
  /** Each file's path in the workspace and its text at the start. */
  readonly files: ReadonlyMap<string, string>;
  readonly events: readonly SessionEvent[];
}

/** The session's first `maxSteps` steps as events. */
export function loadSession(maxSteps = Infinity): EditingSession {
  const script = JSON.parse(readFileSync(join(SESSION_FOLDER, "session.json"), "utf8")) as {
    files: Record<string, string>;
    steps: Step[];
  };
  const files = new Map(Object.entries(script.files).map(([path, copy]) => [path, readFileSync(join(SESSION_FOLDER, copy), "utf8")]));
  const lines = new Map([...files].map(([path, text]) => [path, text.split("\n")]));
  const linesOf = (file: string): string[] => {
    const found = lines.get(file);
    if (!found) throw new Error(`the session's step names ${file}, which is not among its files`);
    return found;
  };
  const events: SessionEvent[] = [];
  /** Inserts `text` (no line break) at `position`, as an edit event. */
  const type = (file: string, position: Position, text: string): Position => {
    const fileLines = linesOf(file);
    const line = fileLines[position.line] ?? "";
    fileLines[position.line] = line.slice(0, position.character) + text + line.slice(position.character);
    events.push({ kind: "edit", file, start: position, end: position, text });
    return { line: position.line, character: position.character + text.length };
  };
  for (const step of script.steps.slice(0, maxSteps)) {
    if ("visit" in step) events.push({ kind: "visit", file: step.visit.file, line: step.visit.line - 1 });
    else if ("move" in step) {
      const line = step.move.line - 1;
      events.push({ kind: "request", file: step.move.file, position: { line, character: linesOf(step.move.file)[line]?.length ?? 0 } });
      events.push({ kind: "visit", file: step.move.file, line });
    } else {
      const { file, from, to } = step.retype;
      const fileLines = linesOf(file);
      // The lines go, leaving an empty line with the cursor on it.
      const removed = fileLines.splice(from - 1, to - from + 1, "");
      events.push({
        kind: "edit",
        file,
        start: { line: from - 1, character: 0 },
        end: { line: to - 1, character: (removed.at(-1) ?? "").length },
        text: "",
      });
      removed.forEach((original, index) => {
        let cursor: Position = { line: from - 1 + index, character: 0 };
        const indentation = original.length - original.trimStart().length;
        const typedEnd = Math.min(original.length, indentation + TYPED_CHARACTERS);
        for (let end = indentation + 1; end <= typedEnd; end++) {
          cursor = type(file, cursor, original.slice(end === indentation + 1 ? 0 : end - 1, end));
          events.push({ kind: "request", file, position: cursor, expected: original.slice(end) });
        }
        const rest = original.slice(Math.max(typedEnd, indentation));
        if (rest) {
          cursor = type(file, cursor, rest);
          events.push({ kind: "accept", file, text: rest, position: cursor });
          events.push({ kind: "request", file, position: cursor });
        }
        if (index < removed.length - 1) {
          // Enter: a new line, the next one's place.
          fileLines.splice(cursor.line + 1, 0, "");
          events.push({ kind: "edit", file, start: cursor, end: cursor, text: "\n" });
        }
      });
    }
  }
  return { files, events };
}

/** The session's events on one server: opens its files, then sends each event, timing the requests. */
export class SessionReplay {
  private readonly versions = new Map<string, number>();

  constructor(
    private readonly connection: ProtocolConnection,
    private readonly root: string,
  ) {}

  async open(session: EditingSession): Promise<void> {
    for (const [file, text] of session.files) {
      this.versions.set(file, 1);
      await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri: this.uriOf(file), languageId: "typescript", version: 1, text },
      });
    }
  }

  /** Sends the event; for a request, its latency in milliseconds and the items' texts. */
  async replay(event: SessionEvent): Promise<{ latency: number; items: string[] } | undefined> {
    const uri = this.uriOf(event.file);
    switch (event.kind) {
      case "edit": {
        const version = (this.versions.get(event.file) ?? 1) + 1;
        this.versions.set(event.file, version);
        await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
          textDocument: { uri, version },
          contentChanges: [{ range: { start: event.start, end: event.end }, text: event.text }],
        });
        return undefined;
      }
      case "accept":
        await this.connection.sendNotification(AcceptedCompletionNotification, {
          text: event.text,
          uri,
          version: this.versions.get(event.file) ?? 1,
          position: event.position,
        });
        return undefined;
      case "visit":
        await this.connection.sendNotification(VisitedNotification, { uri, line: event.line });
        return undefined;
      case "request": {
        const started = performance.now();
        const result = await this.connection.sendRequest(InlineCompletionRequest.type, {
          textDocument: { uri },
          position: event.position,
          context: { triggerKind: InlineCompletionTriggerKind.Automatic },
        });
        const latency = performance.now() - started;
        const items = Array.isArray(result) ? result : (result?.items ?? []);
        return { latency, items: items.map((item) => (typeof item.insertText === "string" ? item.insertText : item.insertText.value)) };
      }
    }
  }

  private uriOf(file: string): string {
    return `${this.root}/${file}`;
  }
}

/** How many characters of the line's rest the first item (up to its first line break) gets right before its first mistake. */
export function charactersRight(items: readonly string[], expected: string): number {
  const first = (items[0] ?? "").split("\n")[0] ?? "";
  let right = 0;
  while (right < first.length && right < expected.length && first[right] === expected[right]) right++;
  return right;
}

// Inline completions come from the server through vscode-languageclient's own provider; this
// middleware adds what the editor side decides: on/off per language, a debounce while the user
// types, and a command on each item so an accepted completion is reported back for learning.
import * as vscode from "vscode";
import type { Middleware } from "vscode-languageclient/node";
import { readSettings } from "./settings";

export const ACCEPTED_COMMAND = "stand.inlineCompletionAccepted";

export function inlineCompletionMiddleware(): Middleware {
  return {
    provideInlineCompletionItems: async (document, position, context, token, next) => {
      const { inline } = readSettings();
      if (!inline.enabled || inline.disabledLanguages.includes(document.languageId)) return undefined;
      // Typing on cancels the token; only the last keystroke's request reaches the server.
      if (context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic && !(await waitUnlessCancelled(inline.debounceMs, token)))
        return undefined;
      const result = await next(document, position, context, token);
      if (!result || token.isCancellationRequested) return undefined;
      const items = Array.isArray(result) ? result : result.items;
      for (const item of items) {
        const text = typeof item.insertText === "string" ? item.insertText : item.insertText.value;
        item.command = { command: ACCEPTED_COMMAND, title: "Learn from the accepted completion", arguments: [text, document] };
      }
      return items;
    },
  };
}

function waitUnlessCancelled(ms: number, token: vscode.CancellationToken): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!token.isCancellationRequested);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      listener.dispose();
      resolve(!token.isCancellationRequested);
    }, ms);
    const listener = token.onCancellationRequested(() => {
      clearTimeout(timer);
      listener.dispose();
      resolve(false);
    });
  });
}

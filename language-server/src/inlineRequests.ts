// Inline completion requests as the server serves them: a new request for a document cancels the
// one before it, the completion cache answers windows it has seen, and after the user accepts a
// completion the one that follows it is computed ahead (a prefetch), so that it is there when the
// editor asks. A prefetch runs on the inline queue like a request and gives way to the next
// request that needs the model, unless that request is for the window the prefetch is computing
// (or a few characters typed into it on the same line): then the request waits for it.
// Where the cursor rests (stand/visited) while nothing else needs the inline context, the prompt a
// request there would evaluate first is evaluated ahead (a warm-up: no completion), so that the
// request evaluates only what the user changed since; any work for the model cancels it.
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { InlineFeatures, InlineStatistics, StandSettings } from "../../common/protocol";
import { CompletionCache, type CacheHit } from "./completionCache";
import { completeInline, contextBudget, inlineRequestAt, warmInline, type InlineRequest } from "./inlineCompletion";
import type { ModelSession } from "./model/session";
import type { ModelHost } from "./modelHost";
import type { WorkspaceContext } from "./workspaceContext";

/** Work the inline queue does ahead of a request, which any request that needs the model stops. */
interface BackgroundWork {
  readonly controller: AbortController;
  settled: boolean;
}

interface Prefetch extends BackgroundWork {
  /** The window it computes, once known. */
  request?: InlineRequest;
  done: Promise<void>;
}

interface WarmUp extends BackgroundWork {
  readonly uri: string;
}

/** Stops the work if it is still running; says whether it was. */
function stopIfRunning(work: BackgroundWork | undefined): boolean {
  if (!work || work.settled) return false;
  work.controller.abort();
  return true;
}

export class InlineRequests {
  private readonly cache = new CompletionCache();
  private readonly byDocument = new Map<string, AbortController>();
  private prefetching: Prefetch | undefined;
  private warming: WarmUp | undefined;
  /** The window the last warm-up evaluated, while the inline sequences still hold its prompt. */
  private warmed: { readonly uri: string; readonly request: InlineRequest } | undefined;
  private readonly counts = {
    requests: 0,
    cacheHits: 0,
    typedThroughHits: 0,
    prefetches: 0,
    prefetchesUsed: 0,
    prefetchesCancelled: 0,
    warmUps: 0,
    warmUpsUsed: 0,
    warmUpsCancelled: 0,
  };

  private readonly features: Required<InlineFeatures>;
  /** The context chunks of the last prompt prepared. */
  private lastContext = { chunks: 0, tokens: 0 };

  constructor(
    private readonly host: () => ModelHost,
    private readonly settings: () => StandSettings,
    private readonly workspace: WorkspaceContext,
    features: InlineFeatures = {},
  ) {
    this.features = {
      cache: features.cache ?? true,
      prefetch: (features.prefetch ?? true) && (features.cache ?? true),
      context: features.context ?? true,
      warmUp: features.warmUp ?? true,
    };
  }

  statistics(): InlineStatistics {
    return { ...this.counts, cacheEntries: this.cache.size, lastContext: { ...this.lastContext } };
  }

  /**
   * The completions at `offset` in `document`; [] when cancelled (by `signal` or by a newer request
   * for the document). `explicit`: the user asked for them (a trigger, or Alt+] / Alt+[, when VS
   * Code asks for every alternative) rather than typed.
   */
  async complete(document: TextDocument, offset: number, signal: AbortSignal, explicit = false): Promise<string[]> {
    // A new request for the same document cancels the one before it.
    this.byDocument.get(document.uri)?.abort();
    const controller = new AbortController();
    this.byDocument.set(document.uri, controller);
    const cancelled = AbortSignal.any([signal, controller.signal]);
    try {
      const { session, settings, request } = await this.prepare(document, offset);
      this.counts.requests++;
      const hit = await this.cached(request, cancelled);
      // Typed through a cached completion, the cache has that one alone: asked for alternatives,
      // the window's own are computed too, after it.
      if (hit && !(explicit && hit.typedThrough > 0)) return hit.completions;
      if (hit) this.stopBackgroundWork();
      this.noteWarmUpUse(document.uri, request);
      const computed = await this.host().run("inline", async () =>
        cancelled.aborted ? [] : completeInline(session, request, settings, cancelled),
      );
      if (cancelled.aborted) return [];
      const completions = hit ? [...new Set([...hit.completions, ...computed])] : computed;
      if (this.features.cache) this.cache.set(request.prefix, request.suffix, completions);
      return completions;
    } finally {
      if (this.byDocument.get(document.uri) === controller) this.byDocument.delete(document.uri);
    }
  }

  /** Computes the completion at `offset` in `document` ahead of the request for it (after an acceptance). */
  prefetch(document: TextDocument, offset: number): void {
    this.cancelPrefetch();
    this.cancelWarmUp();
    if (!this.features.prefetch) return;
    const prefetch: Prefetch = { controller: new AbortController(), settled: false, done: Promise.resolve() };
    prefetch.done = this.runPrefetch(prefetch, document, offset)
      .catch(() => undefined)
      .finally(() => (prefetch.settled = true));
    this.prefetching = prefetch;
  }

  private async runPrefetch(prefetch: Prefetch, document: TextDocument, offset: number): Promise<void> {
    const { signal } = prefetch.controller;
    const { session, settings, request } = await this.prepare(document, offset);
    prefetch.request = request;
    if (this.cache.has(request.prefix, request.suffix)) return;
    this.counts.prefetches++;
    this.warmed = undefined;
    const completions = await this.host().run("inline", async () =>
      signal.aborted ? [] : completeInline(session, request, settings, signal),
    );
    if (!signal.aborted) this.cache.set(request.prefix, request.suffix, completions, true);
  }

  /**
   * Evaluates the prompt of the window at `offset` in `document` ahead of a request there (the
   * cursor rests there), when nothing else is using the inline context: a request, a prefetch.
   * Skipped if the document, the model or the settings change before its turn.
   */
  warmUp(document: TextDocument, offset: number): void {
    if (!this.features.warmUp || this.byDocument.size > 0 || (this.prefetching && !this.prefetching.settled)) return;
    this.cancelWarmUp();
    const warmUp: WarmUp = { controller: new AbortController(), uri: document.uri, settled: false };
    this.warming = warmUp;
    void this.runWarmUp(warmUp, document, offset)
      .catch(() => undefined)
      .finally(() => (warmUp.settled = true));
  }

  /** Cancels a warm-up in flight (the model is wanted for something else). */
  cancelWarmUp(): void {
    if (stopIfRunning(this.warming)) this.counts.warmUpsCancelled++;
    this.warming = undefined;
  }

  private async runWarmUp(warmUp: WarmUp, document: TextDocument, offset: number): Promise<void> {
    const { signal } = warmUp.controller;
    const version = document.version;
    const { session, settings, request } = await this.prepare(document, offset, false);
    // A window the cache answers needs no model.
    if (this.features.cache && this.cache.has(request.prefix, request.suffix)) return;
    const settingsKey = JSON.stringify(settings);
    await this.host().run("inline", async () => {
      const moved = document.version !== version || JSON.stringify(this.settings()) !== settingsKey;
      if (signal.aborted || moved || this.host().status().state !== "ready") return;
      this.warmed = undefined;
      await warmInline(session, request, settings, signal);
      this.warmed = { uri: document.uri, request };
      this.counts.warmUps++;
    });
  }

  /** Counts a request that finds the inline sequences holding its window's start from a warm-up; the next one will not. */
  private noteWarmUpUse(uri: string, request: InlineRequest): void {
    const warmed = this.warmed;
    this.warmed = undefined;
    if (warmed?.uri === uri && sharesWindowStart(warmed.request, request)) this.counts.warmUpsUsed++;
  }

  /**
   * The session, the settings and the request: the window around the cursor and the workspace's
   * chunks. The cache is emptied if the model or the settings changed. `recorded` says whether
   * its context counts as the last prompt prepared (a warm-up's does not).
   */
  private async prepare(
    document: TextDocument,
    offset: number,
    recorded = true,
  ): Promise<{ session: ModelSession; settings: StandSettings; request: InlineRequest }> {
    const session = await this.host().current();
    const settings = this.settings();
    this.cache.ownedBy(session, JSON.stringify(settings));
    const text = document.getText();
    const at = Math.min(offset, text.length);
    const window = inlineRequestAt(session, text, at, settings);
    const line = document.positionAt(at).line;
    const lines = { uri: document.uri, startLine: line - lineBreaks(window.prefix), endLine: line + lineBreaks(window.suffix) };
    const context = this.features.context
      ? this.workspace.chunksFor(lines, contextBudget(session, settings), (chunk) => session.countChunkTokens(chunk))
      : [];
    if (recorded)
      this.lastContext = { chunks: context.length, tokens: context.reduce((sum, chunk) => sum + session.countChunkTokens(chunk), 0) };
    return { session, settings, request: { ...window, context, path: this.workspace.pathOf(document.uri) } };
  }

  /**
   * The cache's completions for the request, waiting for a prefetch that is computing them; on a
   * miss any other prefetch or warm-up in flight is stopped, since this request needs the model.
   */
  private async cached(request: InlineRequest, signal: AbortSignal): Promise<CacheHit | undefined> {
    const prefetch = this.prefetching;
    if (prefetch && !prefetch.settled && prefetch.request && leadsTo(prefetch.request, request)) {
      const cancelled = new Promise((resolve) => {
        signal.addEventListener("abort", resolve, { once: true });
      });
      await Promise.race([prefetch.done, cancelled]);
    }
    const hit = this.features.cache ? this.cache.lookup(request.prefix, request.suffix) : undefined;
    if (hit) {
      this.counts.cacheHits++;
      if (hit.typedThrough > 0) this.counts.typedThroughHits++;
      if (hit.prefetched) this.counts.prefetchesUsed++;
      return hit;
    }
    this.stopBackgroundWork();
    return undefined;
  }

  /** Stops a prefetch or warm-up in flight: a request needs the model. */
  private stopBackgroundWork(): void {
    this.cancelPrefetch();
    this.cancelWarmUp();
  }

  private cancelPrefetch(): void {
    if (stopIfRunning(this.prefetching)) this.counts.prefetchesCancelled++;
    this.prefetching = undefined;
  }
}

/** Whether `later` is `earlier`'s window, or that window with text typed after it on the cursor's line. */
function leadsTo(earlier: InlineRequest, later: InlineRequest): boolean {
  return (
    later.suffix === earlier.suffix && later.prefix.startsWith(earlier.prefix) && !later.prefix.slice(earlier.prefix.length).includes("\n")
  );
}

/**
 * Whether `later`'s prompt starts as `earlier`'s does up to the line of `earlier`'s cursor: the
 * same context and window start, the lines before the cursor's unchanged.
 */
function sharesWindowStart(earlier: InlineRequest, later: InlineRequest): boolean {
  const lines = earlier.prefix.slice(0, earlier.prefix.lastIndexOf("\n") + 1);
  return (
    later.path === earlier.path &&
    JSON.stringify(later.context ?? []) === JSON.stringify(earlier.context ?? []) &&
    later.prefix.startsWith(lines)
  );
}

function lineBreaks(text: string): number {
  let count = 0;
  for (let index = text.indexOf("\n"); index >= 0; index = text.indexOf("\n", index + 1)) count++;
  return count;
}

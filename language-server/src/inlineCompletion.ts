// Inline completions: several candidates from one batched STAND decode (fill-in-the-middle when
// the model has FIM tokens), each cut at a sensible boundary, deduplicated and ranked by how
// many candidates agree.
import { groupByVote } from "./candidates";
import type { ContextChunk, PromptInput } from "./model/prompt";
import type { ModelSession } from "./model/session";
import { decoderFor, samplingFrom } from "./decoding";
import { inlineContextBudget, inlinePromptBudget, windowAround, type PromptBudget } from "./promptWindow";
import { DraftTree, greedySampling, type TargetModel } from "./stand";
import {
  allowedTokens,
  healedStarts,
  healingCut,
  stripRemoved,
  type Constraint,
  type HealedStarts,
  type HealingRequest,
  type TokenText,
} from "./tokenHealing";
import type { StandSettings } from "../../common/protocol";

/** The text before and after the cursor that the prompt is made of (a window of the document). */
export interface InlineRequest {
  readonly prefix: string;
  readonly suffix: string;
  /** Windows of other places in the workspace, shown before the prefix (see workspaceContext.ts). */
  readonly context?: readonly ContextChunk[];
  /** The document's name in the prompt, after the context. */
  readonly path?: string;
  /** False decodes from the unhealed prompt (npm run bench:vocabulary measures what healing costs). */
  readonly heal?: boolean;
}

/** The request for a completion at `offset` in `text`: the window around it that this model's inline prompt can hold. */
export function inlineRequestAt(session: ModelSession, text: string, offset: number, settings: StandSettings): InlineRequest {
  const { prefix, suffix } = windowAround(text, offset, windowBudget(session, settings), (window) => session.countTokens(window));
  return { prefix, suffix };
}

/** Tokens for the context chunks of a request on this model with these settings. */
export function contextBudget(session: ModelSession, settings: StandSettings): number {
  return inlineContextBudget(session.contextSize, settings.inlineMaxTokens, windowBudget(session, settings));
}

function windowBudget(session: ModelSession, settings: StandSettings): PromptBudget {
  return inlinePromptBudget(session.contextSize, settings.inlineMaxTokens, session.fillInTheMiddle);
}

/**
 * Where a completion should end: the end of the line when the cursor's line already has text,
 * else the first blank line (the end of the block being written).
 */
export function completionBoundary(text: string, singleLine: boolean): number | undefined {
  const index = singleLine ? text.indexOf("\n") : text.indexOf("\n\n");
  return index >= 0 ? index : undefined;
}

/**
 * Cuts a completion at its boundary, drops trailing spaces, a last line the suffix already has and
 * closing lines with nothing to close.
 * When the cursor's line holds only indentation (`lineSoFar`), the completion starts with code, not
 * with more indentation (token healing already asks the model for that; this covers its fallback).
 */
export function trimCompletion(text: string, singleLine: boolean, suffix: string, lineSoFar = ""): string {
  const boundary = completionBoundary(text, singleLine);
  const [first = "", ...rest] = (boundary === undefined ? text : text.slice(0, boundary)).split("\n").map((line) => line.trimEnd());
  const lines = [lineSoFar.length > 0 && lineSoFar.trim().length === 0 ? first.trimStart() : first, ...rest];
  while (lines.at(-1) === "") lines.pop();
  const nextLine = suffix
    .split("\n")
    .find((line) => line.trim())
    ?.trim();
  if (nextLine !== undefined && lines.at(-1)?.trim() === nextLine) lines.pop();
  // Closing lines with nothing left to close: the suffix closes the block already.
  while (CLOSING_LINE.test(lines.at(-1) ?? "") && bracketDepth(lines.join("\n")) < 0) lines.pop();
  return lines.join("\n").trimEnd();
}

const CLOSING_LINE = /^\s*[)\]}][\s)\]};,]*$/;

/** Opening minus closing brackets (strings and comments included: a heuristic). */
function bracketDepth(text: string): number {
  let depth = 0;
  for (const char of text) {
    if (char === "{" || char === "(" || char === "[") depth++;
    else if (char === "}" || char === ")" || char === "]") depth--;
  }
  return depth;
}

export async function completeInline(
  session: ModelSession,
  request: InlineRequest,
  settings: StandSettings,
  signal: AbortSignal,
): Promise<string[]> {
  const candidates = Math.max(1, settings.inlineCandidates);
  const lineSoFar = request.prefix.slice(request.prefix.lastIndexOf("\n") + 1);
  const singleLine = lineSoFar.trim().length > 0;
  // Several greedy candidates would all be the same one.
  const sampling = samplingFrom(settings, candidates > 1 ? Math.max(settings.temperature, 0.3) : settings.temperature);
  // The same place in the same text gets the same suggestions.
  const seed = seedOf(request.prefix, request.suffix);
  const textOf: TokenText = (token) => session.tokenText(token);
  const target = await session.inlineTargetFor(candidates, settings.draftShape);

  let prompts: number[][] | undefined;
  let removed = "";
  let starts: number[][] = [];
  let primed: HealedStarts["primed"] = [];
  const healing = await healingOf(session, request);
  if (healing) {
    const healed = await healedStartsOrCancelled(target, {
      prompt: healing.prompt,
      constraint: healing.constraint,
      typed: healing.typed,
      trajectories: candidates,
      sampling,
      seed: (seed ^ 0x5f3759df) >>> 1,
      textOf,
      excluded: session.stopTokens,
      index: session.vocabulary,
      readings: session.healingReadings,
      signal,
    });
    if (healed === "cancelled") return [];
    if (healed) {
      ({ starts, primed } = healed);
      removed = healing.constraint.remaining;
      prompts = starts.map((start) => [...healing.prompt, ...start]);
    }
  }
  if (!prompts) {
    const prompt = await session.tokenize(promptOf(request));
    prompts = Array.from({ length: candidates }, () => prompt);
    starts = prompts.map(() => []);
  }
  const textAfter = (trajectory: number, generated: readonly number[]): string =>
    stripRemoved(session.detokenize([...(starts[trajectory] ?? []), ...generated]), removed);

  const longest = Math.max(...prompts.map((prompt) => prompt.length));
  const maxTokens = Math.min(settings.inlineMaxTokens, session.contextSize - longest - 8);
  if (maxTokens <= 0) return [];
  const result = await decoderFor(session, target, settings, sampling, prompts.length).decode({
    prompts,
    maxTokens,
    sampling,
    seed,
    stopTokens: session.stopTokens,
    primed,
    stopAt: (trajectory, generated) =>
      completionBoundary(textAfter(trajectory, generated), singleLine) === undefined ? undefined : generated.length,
    signal,
  });
  const texts = result.trajectories.map((trajectory, index) =>
    trimCompletion(textAfter(index, trajectory.tokens), singleLine, request.suffix, lineSoFar),
  );
  return groupByVote(texts.map((text) => text.trimEnd()))
    .flatMap((group) => texts[group.representative] ?? [])
    .filter((text) => text.trim().length > 0);
}

/**
 * Token healing's prompt (see tokenHealing.ts): the prompt without the prefix's last token (or
 * word), whose text the first generated tokens spell again; undefined when the prefix ends a line
 * or healing is off or does not fit. Tokens do not cross a line start, so the cursor's line is
 * enough to find the cut.
 */
async function healingOf(
  session: ModelSession,
  request: InlineRequest,
): Promise<{ prompt: number[]; constraint: Constraint; typed: readonly number[] } | undefined> {
  const lineSoFar = request.prefix.slice(request.prefix.lastIndexOf("\n") + 1);
  if (!lineSoFar || request.heal === false) return undefined;
  const cut = healingCut(request.prefix, await session.tokenize({ text: lineSoFar, kind: "code" }), (token) => session.tokenText(token));
  if (!cut) return undefined;
  const prompt = await session.tokenize({ ...promptOf(request), text: cut.text });
  return session.contextSize - prompt.length - 8 > cut.constraint.remaining.length + 1
    ? { prompt, constraint: cut.constraint, typed: cut.typed }
    : undefined;
}

/** Tokens a warm-up evaluates between two looks at its signal: a request waits for one such batch at most. */
const WARM_UP_CHUNK_TOKENS = 128;

/**
 * Evaluates the prompt that completeInline's first model call would evaluate for `request` into
 * the inline target's first sequence, and nothing else: no completion. Where token healing backs
 * the prompt off, its end is read as healing reads it, and kept. A request at that place
 * then evaluates only what changed since (the held prefix is kept, and copied into the other
 * candidates' sequences: sharedPrefix.ts). In chunks, so that `signal` stops it within one.
 * Returns the prompt's length; throws the signal's reason when aborted.
 */
export async function warmInline(
  session: ModelSession,
  request: InlineRequest,
  settings: StandSettings,
  signal: AbortSignal,
): Promise<number> {
  const target = await session.inlineTargetFor(Math.max(1, settings.inlineCandidates));
  const healing = await healingOf(session, request);
  const prompt = healing?.prompt ?? (await session.tokenize(promptOf(request)));
  // The healing prompt's end is read as a keystroke there would read it, and kept: typing on in
  // this word then samples its start with no model call (healingReadings.ts).
  const among =
    healing && allowedTokens(healing.constraint, session.vocabulary, (token) => session.tokenText(token), new Set(session.stopTokens));
  for (let end = 0; end < prompt.length;) {
    end = Math.min(end + WARM_UP_CHUNK_TOKENS, prompt.length);
    signal.throwIfAborted();
    const context = prompt.slice(0, end);
    const requests = [{ trajectory: 0, context, draft: new DraftTree(context) }];
    if (end < prompt.length || !among || among.length === 0) await target.evaluate(requests, greedySampling, { signal });
    else {
      const [atEnd] = await target.evaluateAmong(requests, [among], signal);
      if (atEnd) session.healingReadings.keep(prompt, among, atEnd);
    }
  }
  return prompt.length;
}

function promptOf(request: InlineRequest): PromptInput {
  return { text: request.prefix, kind: "code", suffix: request.suffix, context: request.context, path: request.path };
}

async function healedStartsOrCancelled(target: TargetModel, request: HealingRequest): Promise<HealedStarts | undefined | "cancelled"> {
  try {
    return await healedStarts(target, request);
  } catch (error) {
    if (request.signal?.aborted) return "cancelled";
    throw error;
  }
}

/** A 31-bit FNV-1a hash of the request's text. */
function seedOf(prefix: string, suffix: string): number {
  let hash = 0x811c9dc5;
  for (const text of [prefix, "\u0000", suffix]) {
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash >>> 1;
}

// Inline completions: several candidates from one batched STAND decode (fill-in-the-middle when
// the model has FIM tokens), each cut at a sensible boundary, deduplicated and ranked by how
// many candidates agree.
import { groupByVote } from "./candidates";
import type { ModelSession } from "./model/session";
import { decoderFor, samplingFrom } from "./solve";
import type { StandSettings } from "../../common/protocol";

export interface InlineRequest {
  readonly prefix: string;
  readonly suffix: string;
}

/**
 * Where a completion should end: the end of the line when the cursor's line already has text,
 * else the first blank line (the end of the block being written).
 */
export function completionBoundary(text: string, singleLine: boolean): number | undefined {
  const index = singleLine ? text.indexOf("\n") : text.indexOf("\n\n");
  return index >= 0 ? index : undefined;
}

/** Cuts a completion at its boundary, drops trailing spaces and a last line the suffix already has. */
export function trimCompletion(text: string, singleLine: boolean, suffix: string): string {
  const boundary = completionBoundary(text, singleLine);
  const lines = (boundary === undefined ? text : text.slice(0, boundary)).split("\n").map((line) => line.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const nextLine = suffix.split("\n").find((line) => line.trim())?.trim();
  if (nextLine !== undefined && lines.length > 0 && lines[lines.length - 1]!.trim() === nextLine) lines.pop();
  return lines.join("\n").trimEnd();
}

export async function completeInline(session: ModelSession, request: InlineRequest, settings: StandSettings, signal: AbortSignal): Promise<string[]> {
  const candidates = Math.max(1, settings.inlineCandidates);
  const lineSoFar = request.prefix.slice(request.prefix.lastIndexOf("\n") + 1);
  const singleLine = lineSoFar.trim().length > 0;
  const prompt = await session.tokenize({ text: request.prefix, kind: "code", suffix: request.suffix });
  const maxTokens = Math.min(settings.inlineMaxTokens, session.contextSize - prompt.length - 8);
  if (maxTokens <= 0) return [];
  const target = await session.inlineTargetFor(candidates);
  const result = await decoderFor(session, target, settings).decode({
    prompts: Array.from({ length: candidates }, () => prompt),
    maxTokens,
    // Several greedy candidates would all be the same one.
    sampling: samplingFrom(settings, candidates > 1 ? Math.max(settings.temperature, 0.3) : settings.temperature),
    // The same place in the same text gets the same suggestions.
    seed: seedOf(request.prefix, request.suffix),
    stopTokens: session.stopTokens,
    stopAt: (_, generated) => (completionBoundary(session.detokenize(generated), singleLine) === undefined ? undefined : generated.length),
    signal,
  });
  const texts = result.trajectories.map((trajectory) => trimCompletion(session.detokenize(trajectory.tokens), singleLine, request.suffix));
  return groupByVote(texts.map((text) => text.trimEnd()))
    .map((group) => texts[group.representative]!)
    .filter((text) => text.trim().length > 0);
}

/** A 31-bit FNV-1a hash of the request's text. */
function seedOf(prefix: string, suffix: string): number {
  let hash = 0x811c9dc5;
  for (const text of [prefix, "\u0000", suffix]) {
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash >>> 1;
}

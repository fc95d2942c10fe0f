// stand/solve: N candidate solutions decoded together with STAND, streamed as they grow, then
// parsed and grouped by vote.
import { ResponseError } from "vscode-languageserver/node";
import {
  ErrorCodes,
  type Candidate,
  type SolveParams,
  type SolveProgress,
  type SolveResult,
  type StandSettings,
  type TrajectoryStatistics,
} from "../../common/protocol";
import { groupByVote, parseAnswer, splitThinking, voteKey } from "./candidates";
import { AnswerEnd } from "./code/answerEnd";
import type { ModelSession } from "./model/session";
import { decoderFor, samplingFrom } from "./decoding";
import type { DecodeStatistics } from "./stand";
import { TextStream } from "./textStream";

const MAX_TRAJECTORIES = 64;

export function statisticsOf(statistics: DecodeStatistics, elapsedMs: number): TrajectoryStatistics {
  return {
    tokens: statistics.tokens,
    targetCalls: statistics.targetCalls,
    tokensPerCall: statistics.tokensPerCall,
    acceptedDraftTokens: statistics.accepted,
    draftedTokens: statistics.drafted,
    tokensPerSecond: elapsedMs > 0 ? (1000 * statistics.tokens) / elapsedMs : 0,
  };
}

/** The fewest of `tokens` whose text reaches `length` characters. */
function tokensCovering(tokens: readonly number[], length: number, detokenize: (tokens: readonly number[]) => string): number {
  let keep = tokens.length;
  while (keep > 0 && detokenize(tokens.slice(0, keep - 1)).length >= length) keep--;
  return keep;
}

export async function solve(
  session: ModelSession,
  params: SolveParams,
  settings: StandSettings,
  notify: (progress: SolveProgress) => void,
  signal: AbortSignal,
): Promise<SolveResult> {
  const trajectories = Math.max(1, Math.min(MAX_TRAJECTORIES, Math.round(params.trajectories ?? settings.trajectories)));
  const kind = params.kind ?? "chat";
  const text =
    kind === "chat"
      ? params.context
        ? `${params.problem}\n\nContext:\n\`\`\`${params.languageId ?? ""}\n${params.context}\n\`\`\``
        : params.problem
      : `${params.context ?? ""}${params.problem}`;
  const prompt = await session.tokenize({ text, kind });
  const room = session.contextSize - prompt.length - 16;
  if (room <= 0) {
    throw new ResponseError(
      ErrorCodes.ContextOverflow,
      `The problem and its context take ${prompt.length} tokens; the model's context holds ${session.contextSize}. Select less text.`,
    );
  }
  const maxTokens = Math.min(params.maxTokens ?? settings.maxTokens, room);
  const target = await session.solveTargetFor(trajectories);
  const detokenize = (tokens: readonly number[]): string => session.detokenize(tokens);
  const streams = Array.from({ length: trajectories }, () => new TextStream(detokenize));
  // A code solve stops where its answer ends (the stub's block closes), so candidates compare.
  const linePrefix = params.context?.slice(params.context.lastIndexOf("\n") + 1) ?? "";
  const answerEnds = streams.map(() => (kind === "code" ? AnswerEnd.for(params.problem, params.languageId, linePrefix) : undefined));
  // The thinking so far goes with the progress that changes it, for the panel's thinking section.
  const thinkingSent: (string | undefined)[] = streams.map(() => undefined);
  const thinkingChange = (trajectory: number): string | undefined => {
    const { thinking } = splitThinking(streams[trajectory]?.text ?? "");
    if (thinking === undefined || thinking === thinkingSent[trajectory]) return undefined;
    thinkingSent[trajectory] = thinking;
    return thinking;
  };
  const started = performance.now();
  const result = await decoderFor(session, target, settings).decode({
    prompts: Array.from({ length: trajectories }, () => prompt),
    maxTokens,
    sampling: samplingFrom(settings, params.temperature),
    seed: params.seed ?? Math.floor(Math.random() * 2 ** 31),
    stopTokens: session.stopTokens,
    stopAt: (trajectory, generated) => {
      const end = answerEnds[trajectory]?.find(detokenize(generated));
      if (end === undefined) return undefined;
      streams[trajectory]?.end(end);
      return tokensCovering(generated, end, detokenize);
    },
    signal,
    onStep: (step) => {
      const spans = streams[step.trajectory]!.push(step.tokens, step.fromDraft, answerEnds[step.trajectory]?.settled);
      if (spans.length > 0) {
        notify({
          progressToken: params.progressToken,
          trajectory: step.trajectory,
          spans,
          statistics: statisticsOf(step.statistics, performance.now() - started),
          thinking: thinkingChange(step.trajectory),
        });
      }
    },
  });
  const elapsedMs = performance.now() - started;

  const parsed = result.trajectories.map((trajectory, index) => {
    const spans = streams[index]!.flush();
    if (spans.length > 0)
      notify({
        progressToken: params.progressToken,
        trajectory: index,
        spans,
        statistics: statisticsOf(trajectory.statistics, elapsedMs),
        thinking: thinkingChange(index),
      });
    return parseAnswer(streams[index]!.text, kind, params.languageId);
  });
  const groups = groupByVote(parsed.map(voteKey));
  const groupOf = new Map(groups.flatMap((group, g) => group.members.map((member) => [member, g] as const)));
  const candidates: Candidate[] = result.trajectories.map((trajectory, index) => ({
    trajectory: index,
    text: streams[index]!.text,
    ...parsed[index]!,
    finishReason: trajectory.finishReason,
    statistics: statisticsOf(trajectory.statistics, elapsedMs),
    group: groupOf.get(index)!,
  }));
  return {
    candidates,
    groups,
    statistics: {
      ...statisticsOf(result.statistics, elapsedMs),
      trajectories,
      elapsedMs,
      histogram: [...result.statistics.acceptedLengths],
    },
  };
}

// stand/solve: N candidate solutions decoded together with STAND, streamed as they grow (as LSP
// partial results, coalesced), then parsed and grouped by vote. One log line when a solve starts
// and one when it ends, with its timings (and, for a cancel, how long stopping took).
import { ResponseError } from "vscode-languageserver/node";
import {
  ErrorCodes,
  SOLVE_PROGRESS_INTERVAL_MS,
  type Candidate,
  type SolveParams,
  type SolvePartialResult,
  type SolvePlan,
  type SolveResult,
  type StandSettings,
  type TrajectoryStatistics,
} from "../../common/protocol";
import { endsInThinking, groupByVote, parseAnswer, splitThinking, voteKey } from "./candidates";
import { AnswerEnd } from "./code/answerEnd";
import type { ModelSession } from "./model/session";
import { decoderFor, samplingFrom } from "./decoding";
import { ProgressBatcher, type ThinkingProgress } from "./solveProgress";
import type { DecodeStatistics } from "./stand";
import { TextStream } from "./textStream";

const MAX_TRAJECTORIES = 64;
/** The prompt's last tokens, read to see whether its template opened a thinking segment (`<think>` and a newline or two). */
const PROMPT_END_TOKENS = 8;

export interface SolveReporter {
  /** The request's partial results: the plan, then batches of new text. */
  readonly partial: (result: SolvePartialResult) => void;
  readonly log: (message: string) => void;
}

let solveCount = 0;

/** A duration for the log. */
export function milliseconds(ms: number): string {
  return `${String(Math.round(ms))} ms`;
}

/**
 * A trajectory's statistics over its own time. A step that samples the end-of-text token commits
 * no text but is a token of the model's all the same, so tokens per step counts it (else a short
 * candidate reads "0.75 tokens per call").
 */
export function statisticsOf(statistics: DecodeStatistics, elapsedMs: number, endedByStopToken = false): TrajectoryStatistics {
  return {
    tokens: statistics.tokens,
    targetCalls: statistics.targetCalls,
    tokensPerCall: statistics.targetCalls > 0 ? (statistics.tokens + (endedByStopToken ? 1 : 0)) / statistics.targetCalls : 0,
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
  reporter: SolveReporter,
  signal: AbortSignal,
): Promise<SolveResult> {
  const label = `solve ${String(++solveCount)}`;
  const trajectories = Math.max(1, Math.min(MAX_TRAJECTORIES, Math.round(params.trajectories ?? settings.trajectories)));
  const kind = params.kind ?? (session.chatTemplate ? "chat" : "code");
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
  const plan: SolvePlan = {
    trajectories,
    temperature: params.temperature ?? settings.temperature,
    maxTokens: Math.min(params.maxTokens ?? settings.maxTokens, room),
    kind,
  };
  reporter.partial({ type: "planned", plan });
  reporter.log(
    `${label}: ${String(plan.trajectories)} × up to ${String(plan.maxTokens)} tokens, T = ${String(plan.temperature)}, ${kind}, prompt ${String(prompt.length)} tokens`,
  );
  const target = await session.solveTargetFor(trajectories, settings.draftShape);
  const detokenize = (tokens: readonly number[]): string => session.detokenize(tokens);
  const streams = Array.from({ length: trajectories }, () => new TextStream(detokenize));
  // A code solve stops where its answer ends (the stub's block closes), so candidates compare.
  const linePrefix = params.context?.slice(params.context.lastIndexOf("\n") + 1) ?? "";
  const answerEnds = streams.map(() => (kind === "code" ? AnswerEnd.for(params.problem, params.languageId, linePrefix) : undefined));
  /** Trajectories stopped there, rather than by an end-of-text token. */
  const endedByAnswer = new Set<number>();
  const batcher = new ProgressBatcher((batch) => {
    reporter.partial({ type: "progress", trajectories: batch });
  }, SOLVE_PROGRESS_INTERVAL_MS);
  // The thinking so far goes with the progress that changes it, for the panel's thinking section.
  const opensInThinking = endsInThinking(session.detokenize(prompt.slice(-PROMPT_END_TOKENS)));
  const thinkingSent: (ThinkingProgress | undefined)[] = streams.map(() => undefined);
  const thinkingChange = (trajectory: number): ThinkingProgress | undefined => {
    const { thinking, answerStart } = splitThinking(streams[trajectory]?.text ?? "", opensInThinking);
    const sent = thinkingSent[trajectory];
    if (thinking === undefined || (thinking === sent?.thinking && answerStart === sent.answerStart)) return undefined;
    return (thinkingSent[trajectory] = { thinking, answerStart });
  };
  const started = performance.now();
  /** When each trajectory last got tokens: its own time, for its tokens per second. */
  const lastTokenAt = new Array<number>(trajectories).fill(started);
  let cancelledAt: number | undefined;
  signal.addEventListener(
    "abort",
    () => {
      cancelledAt = performance.now();
    },
    { once: true },
  );
  const sampling = samplingFrom(settings, plan.temperature);
  const result = await decoderFor(session, target, settings, sampling, trajectories).decode({
    prompts: Array.from({ length: trajectories }, () => prompt),
    maxTokens: plan.maxTokens,
    sampling,
    seed: params.seed ?? Math.floor(Math.random() * 2 ** 31),
    stopTokens: session.stopTokens,
    stopAt: (trajectory, generated) => {
      const end = answerEnds[trajectory]?.find(detokenize(generated));
      if (end === undefined) return undefined;
      endedByAnswer.add(trajectory);
      streams[trajectory]?.end(end);
      return tokensCovering(generated, end, detokenize);
    },
    signal,
    onStep: (step) => {
      const stream = streams[step.trajectory];
      if (!stream) return;
      const now = performance.now();
      if (step.tokens.length > 0) lastTokenAt[step.trajectory] = now;
      const spans = stream.push(step.tokens, step.fromDraft, answerEnds[step.trajectory]?.settled);
      if (spans.length > 0)
        batcher.add(step.trajectory, spans, statisticsOf(step.statistics, now - started), thinkingChange(step.trajectory));
    },
  });
  const finished = performance.now();
  const elapsedMs = finished - started;

  const candidates: Candidate[] = result.trajectories.map((trajectory, index) => {
    const stream = streams[index] ?? new TextStream(() => "");
    const endToken = trajectory.finishReason === "stop" && !endedByAnswer.has(index);
    const statistics = statisticsOf(trajectory.statistics, (lastTokenAt[index] ?? finished) - started, endToken);
    const spans = stream.flush();
    if (spans.length > 0) batcher.add(index, spans, statistics, thinkingChange(index));
    const candidateText = stream.text;
    return {
      trajectory: index,
      text: candidateText,
      ...parseAnswer(candidateText, kind, params.languageId, opensInThinking),
      finishReason: trajectory.finishReason,
      statistics,
      group: 0,
    };
  });
  batcher.flush();
  const groups = groupByVote(candidates.map(voteKey));
  groups.forEach((group, index) => {
    for (const member of group.members) {
      const candidate = candidates[member];
      if (candidate) candidates[member] = { ...candidate, group: index };
    }
  });
  const statistics = {
    ...statisticsOf(result.statistics, elapsedMs),
    trajectories,
    elapsedMs,
    histogram: [...result.statistics.acceptedLengths],
  };
  const { accepted, drafted } = result.statistics;
  const drafts = drafted > 0 ? `${String(accepted)} of ${String(drafted)} draft tokens accepted` : "no drafts";
  const summary = `${String(statistics.tokens)} tokens in ${milliseconds(elapsedMs)} (${String(Math.round(statistics.tokensPerSecond))} tok/s, ${drafts})`;
  const at = new Date().toISOString();
  if (cancelledAt === undefined) reporter.log(`${label} done at ${at}: ${summary}`);
  else reporter.log(`${label} cancelled at ${at}: stopped ${milliseconds(finished - cancelledAt)} after the cancel; ${summary}`);
  return { plan, candidates, groups, statistics };
}

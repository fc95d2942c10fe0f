// Turning finished trajectories into candidates: thinking separated from the answer, code blocks
// extracted, the part that Insert, Replace and Copy use located in the text, and equal answers
// grouped so the majority can win (test-time scaling by voting).
import type { AppliedPart, SolveKind } from "../../common/protocol";
import { normaliseCode } from "./code/normalise";

export interface CodeBlock {
  readonly language: string;
  readonly code: string;
}

export interface ParsedAnswer {
  readonly thinking?: string;
  readonly answer: string;
  /** Where the answer starts in the text. */
  readonly answerStart: number;
  readonly codeBlocks: CodeBlock[];
  /** What is applied and copied, as a range of the text. */
  readonly applied: AppliedPart;
}

const THINK_OPEN = "<think>";
const THINK_CLOSE = "</think>";

/** The thinking segment of a text and where the answer after it starts. */
export interface ThinkingSplit {
  readonly thinking?: string;
  readonly answer: string;
  /** Where the answer starts in the text: after the thinking segment, the text's length while the segment is still open, 0 without one. */
  readonly answerStart: number;
}

/**
 * Splits a reasoning model's output into its thinking segment and its answer. Reasoning
 * templates often open the <think> tag in the prompt (`opensInThinking`), so the output may start
 * inside it: then all of it is thinking until the tag closes.
 */
export function splitThinking(text: string, opensInThinking = false): ThinkingSplit {
  const close = text.indexOf(THINK_CLOSE);
  if (close >= 0) {
    const open = text.lastIndexOf(THINK_OPEN, close);
    const start = open >= 0 ? open + THINK_OPEN.length : 0;
    const after = close + THINK_CLOSE.length;
    const rest = text.slice(after);
    const answer = rest.trim();
    return { thinking: text.slice(start, close).trim(), answer, answerStart: after + rest.length - rest.trimStart().length };
  }
  if (text.trimStart().startsWith(THINK_OPEN))
    return { thinking: text.trimStart().slice(THINK_OPEN.length).trim(), answer: "", answerStart: text.length };
  if (opensInThinking) return { thinking: text.trim(), answer: "", answerStart: text.length };
  return { answer: text, answerStart: 0 };
}

/** Whether a prompt leaves the model inside a thinking segment (its template opened <think> and did not close it). */
export function endsInThinking(promptEnd: string): boolean {
  return promptEnd.lastIndexOf(THINK_OPEN) > promptEnd.lastIndexOf(THINK_CLOSE);
}

/** A fenced block (```lang … ```, the closing fence optional at the end) and where its code lies. */
interface FencedBlock extends CodeBlock {
  /** The code's range in the searched text, and where the fence starts. */
  readonly start: number;
  readonly end: number;
  readonly fenceStart: number;
}

const FENCE = /```([\w+#.-]*)[^\n]*\n([\s\S]*?)(?:```|$)/g;

function fencedBlocks(answer: string, languageId: string): FencedBlock[] {
  return [...answer.matchAll(FENCE)].map((match) => {
    const start = match.index + match[0].indexOf("\n") + 1;
    const code = (match[2] ?? "").replace(/\n$/, "");
    return { language: match[1] || languageId, code, start, end: start + code.length, fenceStart: match.index };
  });
}

/** Fenced code blocks (```lang … ```); an unfenced answer to a code request is itself code. */
export function extractCodeBlocks(answer: string, kind: SolveKind, languageId = ""): CodeBlock[] {
  return parseAnswer(answer, kind, languageId).codeBlocks;
}

/** Documents whose text may hold fences of its own: a continuation of them keeps its fences. */
const PROSE_LANGUAGES = new Set(["markdown", "mdx", "plaintext", "restructuredtext"]);

/**
 * Thinking, answer, code blocks and the applied part. A chat answer applies its first code block,
 * else the whole answer. A code solve continues the selection, so its answer is code: a fence the
 * model writes after it (a stray one) ends the code (except in prose documents such as Markdown,
 * where fences are content), and only an answer that starts with a fence is read as fenced blocks.
 */
export function parseAnswer(text: string, kind: SolveKind, languageId = "", opensInThinking = false): ParsedAnswer {
  const { thinking, answer, answerStart } = splitThinking(text, opensInThinking);
  const blocks = fencedBlocks(answer, languageId);
  const inAnswer = (start: number, end: number, part: AppliedPart["kind"], language: string): AppliedPart => ({
    start: answerStart + start,
    end: answerStart + end,
    kind: part,
    language,
  });
  const first = blocks[0];
  const fencedFirst = first !== undefined && answer.slice(0, first.fenceStart).trim() === "";
  if (kind === "code" && !fencedFirst) {
    // The whole continuation (what the card shows), or the code up to a stray fence line.
    const stray = first && !PROSE_LANGUAGES.has(languageId) ? answer.slice(0, first.fenceStart).trimEnd().length : answer.length;
    const code = answer.slice(0, stray).trimEnd();
    return {
      thinking,
      answer,
      answerStart,
      codeBlocks: code.trim() ? [{ language: languageId, code }] : [],
      applied: inAnswer(0, stray, "code", languageId),
    };
  }
  return {
    thinking,
    answer,
    answerStart,
    codeBlocks: blocks.map(({ language, code }) => ({ language, code })),
    applied: first ? inAnswer(first.start, first.end, "code block", first.language) : inAnswer(0, answer.length, "answer", languageId),
  };
}

/** The code a candidate is judged by: its first code block (a code solve's answer is one). */
export function candidateCode(parsed: Pick<ParsedAnswer, "codeBlocks">): CodeBlock | undefined {
  return parsed.codeBlocks[0];
}

/**
 * What two candidates must share to count as the same answer: their code when they have code
 * (comments, spacing and statement-ending semicolons ignored), else their answer text (case and
 * spacing ignored).
 */
export function voteKey(parsed: Pick<ParsedAnswer, "answer" | "codeBlocks">): string {
  const code = candidateCode(parsed);
  if (code) return normaliseCode(code.code, code.language || undefined);
  return parsed.answer
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/[.!]+$/, "")
    .trim();
}

/** Groups equal keys; the largest group first, ties by first appearance. */
export function groupByVote(keys: readonly string[]): { members: number[]; representative: number }[] {
  // Each group is made with its first member: none is empty.
  const groups = new Map<string, [number, ...number[]]>();
  keys.forEach((key, index) => {
    const members = groups.get(key);
    if (members) members.push(index);
    else groups.set(key, [index]);
  });
  return [...groups.values()]
    .sort((a, b) => b.length - a.length || a[0] - b[0])
    .map((members) => ({ members, representative: members[0] }));
}

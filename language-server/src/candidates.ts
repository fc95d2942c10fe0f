// Turning finished trajectories into candidates: thinking separated from the answer, code blocks
// extracted, and equal answers grouped so the majority can win (test-time scaling by voting).
import { normaliseCode } from "./code/normalise";

export interface ParsedAnswer {
  readonly thinking?: string;
  readonly answer: string;
  readonly codeBlocks: { language: string; code: string }[];
}

const THINK_OPEN = "<think>";
const THINK_CLOSE = "</think>";

/**
 * Splits a reasoning model's output into its thinking segment and its answer. Reasoning
 * templates often open the <think> tag in the prompt, so the output may start inside it.
 */
export function splitThinking(text: string): { thinking?: string; answer: string } {
  const close = text.indexOf(THINK_CLOSE);
  if (close >= 0) {
    const open = text.lastIndexOf(THINK_OPEN, close);
    const start = open >= 0 ? open + THINK_OPEN.length : 0;
    return { thinking: text.slice(start, close).trim(), answer: text.slice(close + THINK_CLOSE.length).trim() };
  }
  if (text.trimStart().startsWith(THINK_OPEN)) return { thinking: text.trimStart().slice(THINK_OPEN.length).trim(), answer: "" };
  return { answer: text };
}

/** Fenced code blocks (```lang … ```); an unfenced answer to a code request is itself code. */
export function extractCodeBlocks(answer: string, kind: "code" | "chat", languageId = ""): { language: string; code: string }[] {
  const blocks = [...answer.matchAll(/```([\w+#.-]*)[^\n]*\n([\s\S]*?)(?:```|$)/g)].map((match) => ({
    language: match[1] || languageId,
    code: (match[2] ?? "").replace(/\n$/, ""),
  }));
  if (blocks.length === 0 && kind === "code" && answer.trim()) return [{ language: languageId, code: answer.trimEnd() }];
  return blocks;
}

export function parseAnswer(text: string, kind: "code" | "chat", languageId?: string): ParsedAnswer {
  const { thinking, answer } = splitThinking(text);
  return { thinking, answer, codeBlocks: extractCodeBlocks(answer, kind, languageId) };
}

/** The code a candidate is judged by: its first code block (a code solve's answer is one). */
export function candidateCode(parsed: ParsedAnswer): { language: string; code: string } | undefined {
  return parsed.codeBlocks[0];
}

/**
 * What two candidates must share to count as the same answer: their code when they have code
 * (comments, spacing and statement-ending semicolons ignored), else their answer text (case and
 * spacing ignored).
 */
export function voteKey(parsed: ParsedAnswer): string {
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

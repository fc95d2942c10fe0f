// A finished candidate laid out for reading: the thinking segment collapsed, the answer's prose,
// and its code blocks in the editor font.
import type { Candidate } from "../../common/protocol";
import { h } from "./dom";
import { plural } from "./format";

/**
 * "code": the whole output is one code block (a code solve): the marked text is shown as the code.
 * "text": plain prose without code or thinking: the marked text is shown as the answer.
 * "structured": thinking and/or fenced code: laid out by part, the marked output kept collapsed.
 */
export type CandidateLayout = "code" | "text" | "structured";

/** The same fences the language server recognises (language-server/src/candidates.ts). */
const FENCE = /```([\w+#.-]*)[^\n]*\n([\s\S]*?)(?:```|$)/g;

export function layoutOf(candidate: Candidate): CandidateLayout {
  if (candidate.thinking !== undefined) return "structured";
  if (candidate.answer.includes("```")) return "structured";
  const [first, ...rest] = candidate.codeBlocks;
  if (first && rest.length === 0 && first.code.trim() === candidate.text.trim()) return "code";
  if (!first) return "text";
  return "structured";
}

function codeBlock(language: string, code: string): HTMLElement {
  return h(
    "div",
    { class: "code-block-wrapper" },
    language ? h("div", { class: "code-language" }, language) : undefined,
    h("pre", { class: "code-block", "data-language": language || undefined }, h("code", {}, code)),
  );
}

function thinkingSegment(thinking: string): HTMLDetailsElement {
  const lines = thinking ? thinking.split("\n").length : 0;
  return h(
    "details",
    { class: "thinking" },
    h(
      "summary",
      {},
      h("span", { class: "codicon codicon-lightbulb", "aria-hidden": "true" }),
      " Thinking ",
      h("span", { class: "muted" }, `(${plural(lines, "line")})`),
    ),
    h("div", { class: "thinking-text" }, thinking || "(empty)"),
  );
}

/** The thinking, prose and code of a finished candidate, in order. */
export function structuredAnswer(candidate: Candidate): HTMLElement[] {
  const parts: HTMLElement[] = [];
  if (candidate.thinking !== undefined) parts.push(thinkingSegment(candidate.thinking));
  const answer = candidate.answer;
  let cursor = 0;
  let block = 0;
  for (const match of answer.matchAll(FENCE)) {
    const prose = answer.slice(cursor, match.index).trim();
    if (prose) parts.push(h("div", { class: "answer-text" }, prose));
    // The server's blocks are what apply and copy use; the fence text is the fallback.
    const known = candidate.codeBlocks[block];
    parts.push(codeBlock(known?.language ?? match[1] ?? "", known?.code ?? (match[2] ?? "").replace(/\n$/, "")));
    block++;
    cursor = match.index + match[0].length;
  }
  const rest = answer.slice(cursor).trim();
  if (block === 0 && candidate.codeBlocks.length > 0) {
    // Code without fences (a code solve after a thinking segment): the blocks are the answer.
    for (const known of candidate.codeBlocks) parts.push(codeBlock(known.language, known.code));
  } else if (rest) {
    parts.push(h("div", { class: "answer-text" }, rest));
  }
  if (!answer.trim()) parts.push(h("div", { class: "answer-text muted" }, "No answer after the thinking."));
  return parts;
}

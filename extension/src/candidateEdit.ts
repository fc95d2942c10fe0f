// Which text an applied candidate puts where. A "code" solve continues the selected code, so the
// selection stays in front of the continuation; a "chat" solve's answer stands for the selection.
// No VS Code import: unit-tested.
import { applicableText, type ApplyMode } from "../../common/panel";
import type { Candidate } from "../../common/protocol";

export interface SolveOrigin {
  readonly kind: "code" | "chat";
  /** The selected (or typed) problem text. */
  readonly problem: string;
}

/** The text that goes in: at the cursor for "insert", in place of the selection otherwise. */
export function candidateEditText(origin: SolveOrigin, candidate: Candidate, mode: ApplyMode): string {
  const text = applicableText(candidate);
  if (origin.kind === "code" && mode !== "insert") return origin.problem + text;
  return text;
}

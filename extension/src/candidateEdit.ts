// Which text an applied candidate puts where. A "code" solve continues the selected code, so the
// selection stays in front of the continuation; a "chat" solve's answer stands for the selection.
// No VS Code import: unit-tested.
import { applicableText, type ApplyMode } from "../../common/panel";
import type { Candidate, SolveKind } from "../../common/protocol";

export interface SolveText {
  /** How the server ran the solve (its plan). */
  readonly kind: SolveKind;
  /** The selected (or typed) problem text. */
  readonly problem: string;
}

/** The text that goes in: after the solve's selection for "insert", in place of it otherwise. */
export function candidateEditText(solve: SolveText, candidate: Candidate, mode: ApplyMode): string {
  const text = applicableText(candidate);
  if (solve.kind === "code" && mode !== "insert") return solve.problem + text;
  return text;
}

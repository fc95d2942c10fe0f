// What a finished solve hands to stand/runChecks, shared by the editor, `npm start` and the
// benchmark of checks, so that all three check the same code.
import type { RunChecksParams, SolveParams, SolveResult } from "./protocol";

/** A candidate's code as checks run it: its first code block (for a code solve, its text after the problem). */
export function checkedCandidates(result: SolveResult): RunChecksParams["candidates"] {
  return result.candidates.map((candidate) => ({ trajectory: candidate.trajectory, code: candidate.codeBlocks[0]?.code ?? "" }));
}

/** The stand/runChecks request for a solve's candidates. */
export function checksRequest(
  solve: Pick<SolveParams, "problem" | "context" | "kind" | "languageId">,
  result: SolveResult,
  extra: Omit<RunChecksParams, "problem" | "context" | "kind" | "languageId" | "candidates"> = {},
): RunChecksParams {
  return {
    problem: solve.problem,
    context: solve.context,
    // The server's choice when the request left it open (chat for a chat model, else code).
    kind: solve.kind ?? result.plan.kind,
    languageId: solve.languageId,
    candidates: checkedCandidates(result),
    ...extra,
  };
}

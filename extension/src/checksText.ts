// What STAND says about checks: why they cannot run, and what Apply Best chose. No VS Code import:
// unit-tested.
import type { BestCandidate, ChecksAvailability } from "../../common/panelChecks";

export interface ChecksUnavailable {
  readonly kind: "untrusted" | "off";
  readonly message: string;
}

/** Why checks may not run now, or undefined when they may. */
export function unavailableReason(availability: ChecksAvailability): ChecksUnavailable | undefined {
  if (!availability.trusted)
    return { kind: "untrusted", message: "checks run the candidates' code, so they run only in a trusted workspace." };
  if (availability.mode === "never") return { kind: "off", message: 'checks are off (stand.checks.run is "never").' };
  return undefined;
}

/** One sentence on the candidate Apply Best chose, for the status bar or a warning. */
export function bestCandidateNote(best: BestCandidate, candidates: number, noChecks?: string): string {
  const name = `candidate ${best.trajectory + 1}`;
  if (best.by === "vote") {
    const why = noChecks ? ` No checks ran: ${noChecks.replace(/^\w/, (c) => c.toLowerCase())}` : "";
    return `applied ${name}, the one most candidates agree with (${best.agreeing} of ${candidates}).${why}`;
  }
  const { passed, total } = best.result;
  if (best.passed) return `applied ${name}: it passed ${total === 1 ? "the check" : `all ${total} checks`}.`;
  const problem = best.result.message ? ` (${best.result.message})` : "";
  return `no candidate passed every check. The best, ${name}, passed ${passed} of ${total}${problem}.`;
}

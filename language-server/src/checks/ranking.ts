// Which candidate is best once checks ran: the one that passes the most checks; among equals, the
// one whose behaviour most candidates share (AlphaCode's clustering: the same results on the same
// inputs is a vote for the same program); then the one whose code most candidates wrote; then the
// earlier one.
import type { CandidateCheckResult, VoteGroup } from "../../../common/protocol";
import { groupByVote } from "../candidates";

/**
 * What a candidate did: each check's outcome and value (or error). A candidate that gave no value
 * at all (it did not compile, or every check threw or timed out) is a group of its own: failing
 * the same way is no vote for a program.
 */
export function behaviourKey(result: CandidateCheckResult): string {
  if (!result.results.some((check) => check.outcome === "passed" || check.outcome === "failed"))
    return `gave no value: #${result.trajectory}`;
  return JSON.stringify(
    result.results.map((check) => [check.outcome, check.outcome === "passed" || check.outcome === "failed" ? check.actual : check.message]),
  );
}

/** Candidates with the same behaviour, largest group first; members are trajectories. */
export function groupByBehaviour(results: readonly CandidateCheckResult[]): VoteGroup[] {
  return inTrajectories(groupByVote(results.map(behaviourKey)), results);
}

/**
 * Trajectories best first. `codeGroups` (the candidates' code vote) breaks ties between equal
 * behaviours; its members are trajectories too.
 */
export function rank(
  results: readonly CandidateCheckResult[],
  behaviour: readonly VoteGroup[],
  codeGroups: readonly VoteGroup[],
): number[] {
  const sizeIn = (groups: readonly VoteGroup[], trajectory: number): number =>
    groups.find((group) => group.members.includes(trajectory))?.members.length ?? 1;
  return [...results]
    .sort(
      (a, b) =>
        b.passed - a.passed ||
        sizeIn(behaviour, b.trajectory) - sizeIn(behaviour, a.trajectory) ||
        sizeIn(codeGroups, b.trajectory) - sizeIn(codeGroups, a.trajectory) ||
        a.trajectory - b.trajectory,
    )
    .map((result) => result.trajectory);
}

/** Vote groups over positions in `items`, as groups over the items' trajectories. */
export function inTrajectories(groups: readonly VoteGroup[], items: readonly { readonly trajectory: number }[]): VoteGroup[] {
  const trajectoryAt = (index: number): number => items[index]?.trajectory ?? index;
  return groups.map((group) => ({ members: group.members.map(trajectoryAt), representative: trajectoryAt(group.representative) }));
}

// Candidates that finish early, for the model tests of what a target does with the others
// (language-server/src/model/trajectoryPacking.ts): trajectories 0 and 2 of four stop after a few
// tokens, which leaves 1 and 3 with a gap between their sequences.
import assert from "node:assert/strict";
import type { LlamaTarget } from "../../language-server/src/model/llamaTarget";
import { greedySampling, type DecodeRequest } from "../../language-server/src/stand";
import { MAX_TOKENS, type GreedyReference } from "./greedyReference";

/** Tokens each early trajectory keeps. */
const EARLY_STOPS: ReadonlyMap<number, number> = new Map([
  [0, 3],
  [2, 6],
]);

/** The reference's prompts decoded greedily, with the early trajectories stopped (compare with stoppedEarly). */
export function decodingWithEarlyStops({ prompts, stopTokens }: Pick<GreedyReference, "prompts" | "stopTokens">): DecodeRequest {
  return { prompts, maxTokens: MAX_TOKENS, sampling: greedySampling, seed: 3, stopTokens, stopAt: stopEarly };
}

/** A decode's stopAt that stops the early trajectories. */
function stopEarly(trajectory: number, generated: readonly number[]): number | undefined {
  const stop = EARLY_STOPS.get(trajectory);
  return stop !== undefined && generated.length >= stop ? stop : undefined;
}

/** What a decode with stopEarly returns, from what each trajectory decodes in full. */
export function stoppedEarly<T>(outputs: readonly (readonly T[])[]): T[][] {
  return outputs.map((tokens, trajectory) => tokens.slice(0, EARLY_STOPS.get(trajectory) ?? tokens.length));
}

/** The trajectories left (1 and 3) ended in neighbouring groups of sequences. */
export function assertLeftPacked(target: LlamaTarget): void {
  const groups = [target.groupOf(1), target.groupOf(3)].sort((a, b) => a - b);
  assert.equal((groups[1] ?? 0) - (groups[0] ?? 0), 1, `trajectories 1 and 3 ended in groups ${groups.join(" and ")}`);
}

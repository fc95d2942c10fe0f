import { DraftTree } from "../draftTree";
import type { SparseDistribution } from "../distribution";
import type { Evidence } from "../evidence";
import type { NgramTable } from "../ngramTable";
import type { Drafter, DraftRequest } from "./drafter";
import { PromptLookupDrafter } from "./promptLookupDrafter";
import { standDrafter } from "./tableDrafter";

/**
 * Drafts with the first of its drafters that has evidence for the context (assess is defined),
 * and learns with each of them that learns. Each step's draft comes whole from one drafter, with
 * that drafter's evidence and draft distributions, so the verifier and the budget see exactly what
 * they would from it alone; the budget tells the sources apart by their evidence kinds.
 *
 * What it is for: STAND's table knows what the model said after contexts it has verified, prompt
 * lookup knows what the context itself says, and where the table has nothing yet (early in a
 * request, after text copied from the prompt) the context often does.
 */
export class FallbackDrafter implements Drafter {
  readonly name: string;
  /** Every drafter that learns learns from every step; none learning, the decoder keeps no lessons (see Drafter.learn). */
  readonly learn?: (draft: DraftTree, distributions: readonly SparseDistribution[], temperature: number) => void;

  constructor(private readonly drafters: readonly Drafter[]) {
    if (drafters.length === 0) throw new RangeError("a fallback drafter needs at least one drafter");
    this.name = drafters.map((drafter) => drafter.name).join(", then ");
    const learners = drafters.filter((drafter) => drafter.learn !== undefined);
    if (learners.length > 0) {
      this.learn = (draft, distributions, temperature) => {
        for (const learner of learners) learner.learn?.(draft, distributions, temperature);
      };
    }
  }

  assess(context: readonly number[], temperature: number): Evidence | undefined {
    for (const drafter of this.drafters) {
      const evidence = drafter.assess(context, temperature);
      if (evidence) return evidence;
    }
    return undefined;
  }

  draft(request: DraftRequest): DraftTree {
    const drafter = this.chosen(request.context, request.temperature);
    return drafter ? drafter.draft(request) : new DraftTree(request.context);
  }

  acceptanceIfDrafted(context: readonly number[], target: SparseDistribution, temperature: number): number | undefined {
    return this.chosen(context, temperature)?.acceptanceIfDrafted(context, target, temperature);
  }

  /** The drafter that drafts after this context: the first with evidence for it. */
  private chosen(context: readonly number[], temperature: number): Drafter | undefined {
    return this.drafters.find((drafter) => drafter.assess(context, temperature) !== undefined);
  }
}

/** STAND's table first; where it has nothing after the context, prompt lookup on the context. */
export function standThenLookupDrafter(table: NgramTable): FallbackDrafter {
  return new FallbackDrafter([standDrafter(table), new PromptLookupDrafter()]);
}

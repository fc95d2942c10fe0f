// How a request decodes, for solves and inline completions alike: the sampler the settings ask
// for, and a STAND decoder on one of the session's targets.
import type { StandSettings } from "../../common/protocol";
import { CHAIN_SHAPE, TREE_SHAPE } from "./draftShapes";
import type { ModelSession } from "./model/session";
import { Decoder, standDrafter, type SamplingOptions, type TargetModel } from "./stand";

export function samplingFrom(settings: StandSettings, temperature = settings.temperature): SamplingOptions {
  return { temperature, topK: settings.topK, topP: settings.topP, minP: settings.minP };
}

/**
 * A decoder for this session. `auto`: where the target verifies trees, the shape (adaptive chain or
 * adaptive tree) that measures faster on this machine (see ShapeChoice), else adaptive chains;
 * `tree`: the adaptive tree where the target verifies trees; `chain`: the whole chain every step.
 */
export function decoderFor(session: ModelSession, target: TargetModel, settings: StandSettings): Decoder {
  const drafter = standDrafter(session.table);
  if (settings.draftShape === "chain") return new Decoder({ target, drafter, shape: CHAIN_SHAPE });
  if (!target.capabilities.trees) return new Decoder({ target, drafter, shape: CHAIN_SHAPE, budget: session.budgetFor(target) });
  if (settings.draftShape === "tree") return new Decoder({ target, drafter, shape: TREE_SHAPE, budget: session.treeBudgetFor(target) });
  return new Decoder({ target, drafter, shape: CHAIN_SHAPE, choice: session.shapeChoiceFor(target) });
}

// How a request decodes, for solves and inline completions alike: the sampler the settings ask
// for, and a STAND decoder on one of the session's targets.
import type { StandSettings } from "../../common/protocol";
import { CHAIN_SHAPE, TREE_SHAPE } from "./draftShapes";
import type { ModelSession } from "./model/session";
import {
  Decoder,
  standDrafter,
  standThenLookupDrafter,
  type Drafter,
  type NgramTable,
  type SamplingOptions,
  type TargetModel,
} from "./stand";

export function samplingFrom(settings: StandSettings, temperature = settings.temperature): SamplingOptions {
  return { temperature, topK: settings.topK, topP: settings.topP, minP: settings.minP };
}

/**
 * A decoder for this session, for decodes sampled as `sampling` is of `trajectories` trajectories.
 * `auto`: step by step, whichever of the adaptive chain, plain steps (sampled decodes of several
 * trajectories only) and (where the target verifies trees) the adaptive tree measures faster on
 * this machine (see adaptiveArms, ShapeChoice); `tree`: the adaptive tree where the target
 * verifies trees; `chain`: the whole chain every step.
 */
export function decoderFor(
  session: ModelSession,
  target: TargetModel,
  settings: StandSettings,
  sampling: SamplingOptions,
  trajectories: number,
): Decoder {
  const drafter = drafterFor(session.onGpu, session.table);
  if (settings.draftShape === "chain") return new Decoder({ target, drafter, shape: CHAIN_SHAPE });
  if (settings.draftShape === "tree" && target.capabilities.trees) {
    return new Decoder({ target, drafter, shape: TREE_SHAPE, budget: session.treeBudgetFor(target) });
  }
  return new Decoder({ target, drafter, shape: CHAIN_SHAPE, choice: session.shapeChoiceFor(target, sampling, trajectories) });
}

/**
 * STAND's table; on a GPU, where a call verifying 8 draft tokens costs about a plain step, prompt
 * lookup drafts where the table has nothing after the context. On an H200 with the 7b cost twin that
 * was 1.28–1.47× STAND's table alone at T = 0 (N = 1, 4, 16) and level at T = 0.7; on a 2-core CPU,
 * where a draft token costs a good part of a step, it ran 0.99× (the median of 40 benchmark cells),
 * so there the table drafts alone (README, "On a GPU machine without network or Node").
 */
export function drafterFor(onGpu: boolean, table: NgramTable): Drafter {
  return onGpu ? standThenLookupDrafter(table) : standDrafter(table);
}

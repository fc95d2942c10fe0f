// How a request decodes, for solves and inline completions alike: the sampler the settings ask
// for, and a STAND decoder on one of the session's targets.
import type { StandSettings } from "../../common/protocol";
import type { ModelSession } from "./model/session";
import { Decoder, DraftShape, standDrafter, type SamplingOptions, type TargetModel } from "./stand";

export function samplingFrom(settings: StandSettings, temperature = settings.temperature): SamplingOptions {
  return { temperature, topK: settings.topK, topP: settings.topP, minP: settings.minP };
}

/** A decoder for this session: adaptive chains by default (trees cannot be verified in llama.cpp). */
export function decoderFor(session: ModelSession, target: TargetModel, settings: StandSettings): Decoder {
  const adaptive = settings.draftShape === "auto";
  return new Decoder({
    target,
    drafter: standDrafter(session.table),
    shape: DraftShape.chain(8),
    budget: adaptive ? session.budgetFor(target) : undefined,
  });
}

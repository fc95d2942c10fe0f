import { DraftTree } from "../draftTree";
import type { Drafter, DraftRequest } from "./drafter";

/** Plain autoregressive decoding: an empty draft, so each target call yields one sampled token. */
export class NoDrafter implements Drafter {
  readonly name = "autoregressive";

  assess(): undefined {
    return undefined;
  }

  draft({ context }: DraftRequest): DraftTree {
    return new DraftTree(context);
  }

  acceptanceIfDrafted(): undefined {
    return undefined;
  }
}

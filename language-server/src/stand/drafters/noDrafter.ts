import { DraftTree } from "../draftTree";
import type { Drafter, DraftRequest } from "./drafter";

/** Plain autoregressive decoding: an empty draft, so each target call yields one sampled token. */
export class NoDrafter implements Drafter {
  readonly name = "autoregressive";

  draft({ context }: DraftRequest): DraftTree {
    return new DraftTree(context);
  }

  learn(): void {}
}

import { DraftTree } from "../draftTree";
import { NO_DRAFT, type Drafter, type DraftRequest } from "./drafter";

/** Plain autoregressive decoding: an empty draft, so each target call yields one sampled token. */
export class NoDrafter implements Drafter {
  readonly name = "autoregressive";

  assess(): number {
    return NO_DRAFT;
  }

  draft({ context }: DraftRequest): DraftTree {
    return new DraftTree(context);
  }

  acceptanceIfDrafted(): undefined {
    return undefined;
  }

  learn(): void {}
}

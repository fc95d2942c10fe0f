/**
 * What a drafter knows about its next draft before drawing it: one kind of evidence among a few,
 * such as "a 3-token key matched and its most likely token holds 60–80 % of the mass". The draft
 * budget learns acceptance rates per kind and plans how much to draft from them.
 *
 * A kind is its identity: the budget keys its counts on the object, with nothing to pack or
 * decode. Evidence.of hands out one object per source and description for the life of the
 * process, so the kinds of a drafter made for one request are those of the next one's: the
 * budget outlives its drafters (the server makes one per request), and with a kind per drafter
 * it learned nothing across requests and kept every request's kinds. A kind must not depend on
 * the draft's own random tokens: cutting a sampled draft according to what was sampled would
 * bias the output.
 */
export class Evidence {
  private static readonly kinds = new Map<string, Evidence>();

  /** The one kind with this source and description. */
  static of(source: string, description: string): Evidence {
    const name = `${source}: ${description}`;
    let kind = Evidence.kinds.get(name);
    if (!kind) Evidence.kinds.set(name, (kind = new Evidence(source, description)));
    return kind;
  }

  private constructor(
    /** Who made it (the drafter's name), for statistics and debugging. */
    readonly source: string,
    /** What it says, in words. */
    readonly description: string,
  ) {}

  toString(): string {
    return `${this.source}: ${this.description}`;
  }
}

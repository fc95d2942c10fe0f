/**
 * What a drafter knows about its next draft before drawing it: one kind of evidence among a few,
 * such as "a 3-token key matched and its most likely token holds 60–80 % of the mass". The draft
 * budget learns acceptance rates per kind and plans how much to draft from them.
 *
 * A drafter makes each of its kinds once and hands out the same object every time, so a kind is
 * its identity: the budget keys its counts on the object, with nothing to pack or decode. A kind
 * must not depend on the draft's own random tokens: cutting a sampled draft according to what
 * was sampled would bias the output.
 */
export class Evidence {
  constructor(
    /** Who made it (the drafter's name), for statistics and debugging. */
    readonly source: string,
    /** What it says, in words. */
    readonly description: string,
  ) {}

  toString(): string {
    return `${this.source}: ${this.description}`;
  }
}

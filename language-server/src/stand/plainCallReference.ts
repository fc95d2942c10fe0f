/**
 * What a plain call (no draft) of each size costs now, so that a step's time can be told in plain
 * calls, and the shape choice can compare arms measured hundreds of steps apart. In milliseconds
 * they are not comparable: at N = 4, T = 0.7 on a 2-core CPU the steps of a decode ran 15–40 %
 * faster or slower as the machine's load changed and trajectories finished, a drift many times
 * the 3–5 % between the arms, and the choice kept an arm that had measured fast while the machine
 * was quick (a chain 4 % slower than plain steps took up to 60 % of a run's steps).
 *
 * A call of one new token per sequence (no draft, not a prompt) after another of the same size
 * is a plain call: its own target time is the reference for its step (which then costs 1 plus
 * what the decoder did around the call), and it moves the size's reference, a running mean of
 * such calls (a mean, so that calls the scheduler held up count for draft steps as they do for
 * plain ones). Any other step is priced against the size's reference: a draft call, and the plain
 * call after one, which erases the rejected tail and pays for a change of shape (part of what the
 * draft cost). Before a size has a reference its steps have no price.
 */
export class PlainCallReference {
  /** Milliseconds of a plain call, by the number of sequences it evaluated (a running mean). */
  private readonly byCallSize = new Map<number, number>();
  private previous: { sequences: number; oneTokenEach: boolean } | undefined;

  /** How fast the reference follows the latest plain calls (1: the latest alone). */
  constructor(private readonly smoothing = 0.25) {}

  /**
   * The step's cost in plain calls of its size, undefined while that size has no reference.
   * `sequences`: those the target evaluated; `oneTokenEach`: whether the call evaluated one new
   * token per sequence (no draft, and not a decode's first call, which evaluates the prompts);
   * `stepMilliseconds`: the whole step (drafting, target call, verification); `targetMilliseconds`:
   * the target call's part.
   */
  price(sequences: number, oneTokenEach: boolean, stepMilliseconds: number, targetMilliseconds: number): number | undefined {
    const plain = oneTokenEach && this.previous?.sequences === sequences && this.previous.oneTokenEach;
    this.previous = { sequences, oneTokenEach };
    if (plain && targetMilliseconds > 0) {
      const known = this.byCallSize.get(sequences);
      this.byCallSize.set(sequences, known === undefined ? targetMilliseconds : known + this.smoothing * (targetMilliseconds - known));
      return stepMilliseconds / targetMilliseconds;
    }
    const reference = this.byCallSize.get(sequences);
    return reference === undefined ? undefined : stepMilliseconds / reference;
  }
}

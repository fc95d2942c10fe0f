/** Counters for one trajectory, or for a whole batched decode. */
export class DecodeStatistics {
  /** Target calls (verification steps). For a batch, one call verifies every trajectory. */
  targetCalls = 0;
  /** Tokens committed. */
  tokens = 0;
  /** Draft tokens sent to the target. */
  drafted = 0;
  /** Draft tokens the verifier accepted. */
  accepted = 0;
  /** acceptedLengths[n] = steps that accepted exactly n draft tokens. */
  readonly acceptedLengths: number[] = [];
  /** Time spent drafting, verifying and learning while the target is idle (learning overlaps its calls). */
  drafterMs = 0;
  /** Time from the start to the end of each target call, learning from the call before included. */
  targetMs = 0;

  recordStep(drafted: number, accepted: number): void {
    this.drafted += drafted;
    this.accepted += accepted;
    while (this.acceptedLengths.length <= accepted) this.acceptedLengths.push(0);
    this.acceptedLengths[accepted] = (this.acceptedLengths[accepted] ?? 0) + 1;
  }

  /** Tokens committed per target call: the speedup over plain decoding if a call cost the same. */
  get tokensPerCall(): number {
    return this.targetCalls === 0 ? 0 : this.tokens / this.targetCalls;
  }

  /** Mean number of draft tokens accepted per verification step. */
  get meanAcceptedLength(): number {
    const steps = this.acceptedLengths.reduce((sum, count) => sum + count, 0);
    return steps === 0 ? 0 : this.acceptedLengths.reduce((sum, count, length) => sum + count * length, 0) / steps;
  }

  get acceptanceRate(): number {
    return this.drafted === 0 ? 0 : this.accepted / this.drafted;
  }

  /** Share of the decode's time spent outside the target. */
  get drafterOverhead(): number {
    const total = this.drafterMs + this.targetMs;
    return total === 0 ? 0 : this.drafterMs / total;
  }

  toJSON(): Record<string, unknown> {
    return {
      targetCalls: this.targetCalls,
      tokens: this.tokens,
      drafted: this.drafted,
      accepted: this.accepted,
      acceptedLengths: [...this.acceptedLengths],
      tokensPerCall: this.tokensPerCall,
      meanAcceptedLength: this.meanAcceptedLength,
      acceptanceRate: this.acceptanceRate,
      drafterMs: this.drafterMs,
      targetMs: this.targetMs,
      drafterOverhead: this.drafterOverhead,
    };
  }
}

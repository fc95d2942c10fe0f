// When the language server dies, restart it after a growing pause, and stop trying when it keeps
// dying: a model that crashes llama.cpp on load should not spin the CPU forever. No VS Code import.

export interface RestartDecision {
  readonly restart: boolean;
  /** How long to wait before restarting. */
  readonly delayMs: number;
  /** Crashes counted in the current window, this one included. */
  readonly crashes: number;
}

export class CrashBackoff {
  private crashTimes: number[] = [];

  constructor(
    private readonly initialDelayMs = 1000,
    private readonly maxDelayMs = 30_000,
    private readonly maxCrashes = 5,
    /** Crashes older than this are forgiven. */
    private readonly windowMs = 5 * 60_000,
  ) {}

  onCrash(now: number): RestartDecision {
    this.crashTimes = [...this.crashTimes.filter((time) => now - time < this.windowMs), now];
    const crashes = this.crashTimes.length;
    if (crashes > this.maxCrashes) return { restart: false, delayMs: 0, crashes };
    return { restart: true, delayMs: Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (crashes - 1)), crashes };
  }

  /** A restart the user asked for starts afresh. */
  reset(): void {
    this.crashTimes = [];
  }
}

// A solve's streamed text, coalesced: a decode step yields a few tokens per trajectory, hundreds of
// times a second, and sending each one made the editor fall a minute behind at 16 candidates. New
// spans are gathered per trajectory and sent at most once per interval, each trajectory once per
// batch with its latest statistics; the first tokens go out at once, the rest on finish().
import type { Span, TrajectoryProgress, TrajectoryStatistics } from "../../common/protocol";
import { appendSpan } from "../../common/spans";

/** A trajectory's thinking so far and where its answer starts (see TrajectoryProgress). */
export interface ThinkingProgress {
  readonly thinking: string;
  readonly answerStart: number;
}

interface Pending {
  spans: Span[];
  statistics: TrajectoryStatistics;
  /** The thinking so far, when a step of this batch changed it. */
  thinking?: ThinkingProgress;
}

export class ProgressBatcher {
  private readonly pending = new Map<number, Pending>();
  private lastSent = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly send: (batch: TrajectoryProgress[]) => void,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** `thinking`: the trajectory's thinking so far, when these spans changed it (the batch sends the latest). */
  add(trajectory: number, spans: readonly Span[], statistics: TrajectoryStatistics, thinking?: ThinkingProgress): void {
    const pending = this.pending.get(trajectory);
    if (pending) {
      for (const span of spans) appendSpan(pending.spans, span);
      pending.statistics = statistics;
      if (thinking !== undefined) pending.thinking = thinking;
    } else {
      const merged: Span[] = [];
      for (const span of spans) appendSpan(merged, span);
      this.pending.set(trajectory, { spans: merged, statistics, ...(thinking === undefined ? {} : { thinking }) });
    }
    if (this.now() - this.lastSent >= this.intervalMs) this.flush();
  }

  /** Sends what is pending now (at the end of the solve, before its result). */
  flush(): void {
    if (this.pending.size === 0) return;
    const batch = [...this.pending].map(([trajectory, { thinking, ...pending }]): TrajectoryProgress => ({
      trajectory,
      ...pending,
      ...thinking,
    }));
    this.pending.clear();
    this.lastSent = this.now();
    this.send(batch);
  }
}

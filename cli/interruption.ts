// Ctrl+C for `npm start`. The first press (or SIGTERM) cancels one token, and the step that is
// running decides what cancelling means for it (see steps.ts); a later press calls `force`.
// npm forwards the terminal's SIGINT, so one press can arrive twice: a repeat within a second is
// the same press.
import { CancellationTokenSource, type CancellationToken, type Disposable } from "vscode-languageserver-protocol/node";

const SAME_PRESS_MS = 1000;

export class Interruption implements Disposable {
  private readonly source = new CancellationTokenSource();
  readonly token: CancellationToken = this.source.token;
  private firstPressAt: number | undefined;

  constructor(private readonly force: () => void) {
    process.on("SIGINT", this.onSignal);
    process.on("SIGTERM", this.onSignal);
  }

  dispose(): void {
    process.removeListener("SIGINT", this.onSignal);
    process.removeListener("SIGTERM", this.onSignal);
    this.source.dispose();
  }

  private readonly onSignal = (): void => {
    const now = performance.now();
    if (this.firstPressAt === undefined) {
      this.firstPressAt = now;
      this.source.cancel();
    } else if (now - this.firstPressAt >= SAME_PRESS_MS) {
      this.force();
    }
  };
}

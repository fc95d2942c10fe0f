// Where `npm start` writes: results on stdout (nothing but the JSON object with --json), notes and
// errors on stderr, styled only where the stream is a colour terminal.
import { makeStyle, useColor, type Style } from "./style";

/** One line on stderr, the CLI's name first. */
export function fail(message: string): void {
  process.stderr.write(`stand: ${message.replace(/\s*\n\s*/g, " ").trim()}\n`);
}

export interface Spinner {
  stop(): void;
}

const SPINNER_FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class Terminal {
  /** Redraw in place: stdout is a terminal and the output is not JSON. */
  readonly live: boolean;
  readonly style: Style;

  constructor(private readonly json: boolean) {
    this.live = process.stdout.isTTY && !json;
    this.style = makeStyle(!json && useColor(process.stdout), this.live);
  }

  /** A line of the report (not with --json). */
  say(text = ""): void {
    if (!this.json) process.stdout.write(`${text}\n`);
  }

  /** Text as it is, for views that draw themselves. */
  readonly write = (text: string): void => {
    process.stdout.write(text);
  };

  note(text: string): void {
    process.stderr.write(`${makeStyle(useColor(process.stderr), false).yellow("note:")} ${text}\n`);
  }

  /** The terminal's width for live views; a pipe has none, and its lines are not cut. */
  get columns(): number {
    return this.live ? process.stdout.columns : Infinity;
  }

  get rows(): number {
    return this.live ? process.stdout.rows : Infinity;
  }

  /** A line redrawn in place on a terminal (nothing is shown elsewhere); clear() removes it if it was drawn. */
  transientLine(): { show(text: string): void; clear(): void } {
    let shown = false;
    return {
      show: (text) => {
        if (!this.live) return;
        this.write(`\r${this.style.clearLine}${text}`);
        shown = true;
      },
      clear: () => {
        if (shown) this.write(`\r${this.style.clearLine}`);
        shown = false;
      },
    };
  }

  /** `text` with a spinner and the time so far on a terminal; the plain line once elsewhere. */
  spinner(text: string): Spinner {
    if (!this.live) {
      this.say(text);
      return { stop: () => undefined };
    }
    const style = this.style;
    const started = performance.now();
    let frame = 0;
    const draw = (): void => {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      this.write(
        `\r${style.clearLine}${style.cyan(SPINNER_FRAMES[frame++ % SPINNER_FRAMES.length] ?? "")} ${text} ${style.dim(`${seconds} s`)}`,
      );
    };
    this.write(style.hideCursor);
    draw();
    const timer = setInterval(draw, 100);
    let stopped = false;
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        this.write(`\r${style.clearLine}${style.showCursor}`);
      },
    };
  }

  /** After a failure mid-drawing: the cursor back. */
  restoreCursor(): void {
    if (this.live) this.write(this.style.showCursor);
  }
}

// Live progress of a solve from its partial results: one line per candidate with its tokens,
// tokens/s, tokens per target call and drafts, redrawn in place on a terminal; plain periodic
// lines otherwise (a pipe, a CI log).
import type { TrajectoryProgress, TrajectoryStatistics } from "../common/protocol";
import { type Style } from "./style";

interface Trajectory {
  statistics?: TrajectoryStatistics;
  text: string;
  /** Characters that came from accepted drafts. */
  drafted: number;
}

export interface ProgressOptions {
  readonly trajectories: number;
  readonly maxTokens: number;
  /** Redraw in place (a TTY); else print a block of plain lines every `intervalMs`. */
  readonly live: boolean;
  readonly style: Style;
  readonly columns: () => number;
  readonly rows: () => number;
  readonly intervalMs?: number;
}

export class SolveProgressView {
  private readonly trajectories: Trajectory[];
  private readonly started = performance.now();
  private timer?: NodeJS.Timeout;
  private drawnLines = 0;
  private dirty = false;
  private finished = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly options: ProgressOptions,
  ) {
    this.trajectories = Array.from({ length: options.trajectories }, () => ({ text: "", drafted: 0 }));
    if (options.live) {
      this.write(options.style.hideCursor);
      this.draw();
    }
    this.timer = setInterval(
      () => {
        this.tick();
      },
      options.intervalMs ?? (options.live ? 80 : 1000),
    );
  }

  update(progress: TrajectoryProgress): void {
    const trajectory = this.trajectories[progress.trajectory];
    if (!trajectory) return;
    trajectory.statistics = progress.statistics;
    for (const span of progress.spans) {
      trajectory.text += span.text;
      if (span.origin === "draft") trajectory.drafted += span.text.length;
    }
    this.dirty = true;
  }

  /** Draws the final state once and stops. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.timer);
    if (this.options.live) {
      this.draw();
      this.write(this.options.style.showCursor);
    } else {
      this.printBlock();
    }
  }

  private tick(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.options.live) this.draw();
    else this.printBlock();
  }

  private lines(): string[] {
    const { style, maxTokens } = this.options;
    const width = Math.max(40, this.options.columns());
    const elapsed = (performance.now() - this.started) / 1000;
    const total = this.trajectories.reduce((sum, t) => sum + (t.statistics?.tokens ?? 0), 0);
    const calls = this.trajectories.reduce((sum, t) => sum + (t.statistics?.targetCalls ?? 0), 0);
    const rate = elapsed > 0 ? total / elapsed : 0;
    const header = `${style.bold("Decoding")} ${this.trajectories.length} candidate${this.trajectories.length === 1 ? "" : "s"}  ${total}/${maxTokens * this.trajectories.length} tokens  ${elapsed.toFixed(1)} s  ${style.bold(rate.toFixed(0))} tok/s in all  ${calls > 0 ? (total / calls).toFixed(2) : "–"} tok/call`;
    const lines = [fit(header, width, style)];
    // Keep the block within the screen: cursor movement cannot reach lines scrolled away.
    const room = this.options.live ? Math.max(1, this.options.rows() - 3) : this.trajectories.length;
    const shown = this.trajectories.length <= room ? this.trajectories.length : room - 1;
    this.trajectories.slice(0, shown).forEach((trajectory, index) => lines.push(fit(this.line(trajectory, index), width, style)));
    if (shown < this.trajectories.length) lines.push(style.dim(`  … and ${this.trajectories.length - shown} more`));
    return lines;
  }

  private line(trajectory: Trajectory, index: number): string {
    const { style, maxTokens } = this.options;
    const s = trajectory.statistics;
    const tokens = s?.tokens ?? 0;
    const bar = this.options.live ? `${progressBar(tokens / maxTokens, 12, style)} ` : "";
    const number = `#${index + 1}`.padStart(4);
    const counts = `${String(tokens).padStart(String(maxTokens).length)}/${maxTokens} tok`;
    const rate = `${(s?.tokensPerSecond ?? 0).toFixed(0).padStart(5)} tok/s`;
    const perCall = `${s ? s.tokensPerCall.toFixed(2) : "   –"} tok/call`;
    const drafts = `drafts ${s?.acceptedDraftTokens ?? 0}/${s?.draftedTokens ?? 0}`;
    const preview = style.dim(`│ ${lastLine(trajectory.text)}`);
    return `${number} ${bar}${counts}  ${rate}  ${perCall}  ${drafts.padEnd(13)} ${preview}`;
  }

  private draw(): void {
    const { style } = this.options;
    const lines = this.lines();
    let output = this.drawnLines > 0 ? style.cursorUp(this.drawnLines) : "";
    for (const line of lines) output += `\r${style.clearLine}${line}\n`;
    // Fewer lines than last time (a terminal resized): clear what is left below.
    for (let extra = lines.length; extra < this.drawnLines; extra++) output += `${style.clearLine}\n`;
    this.drawnLines = Math.max(lines.length, this.drawnLines);
    this.write(output);
  }

  private printBlock(): void {
    this.write(`${this.lines().join("\n")}\n`);
  }
}

function progressBar(fraction: number, width: number, style: Style): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return style.green("█".repeat(filled)) + style.dim("░".repeat(width - filled));
}

/** The last line of text written so far, made safe for one terminal line. */
export function lastLine(text: string): string {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  return printable((lines.at(-1) ?? "").trim());
}

/** Tabs to spaces and control characters out, so one string stays one terminal line. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\t/g, "  ").replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

/** Cuts a line to the terminal width (counting visible characters, not escape codes). */
export function fit(line: string, width: number, style: Style): string {
  if (characters(stripAnsi(line)).length <= width - 1) return line;
  // Cut the visible text, keeping escape codes, and reset the style at the end.
  let out = "";
  let count = 0;
  // eslint-disable-next-line no-control-regex
  for (const part of line.split(/(\u001b\[[0-9;?]*[A-Za-z])/)) {
    if (part.startsWith("\u001b[")) {
      out += part;
      continue;
    }
    for (const character of characters(part)) {
      if (count >= width - 2) return `${out}…${style.reset}`;
      out += character;
      count++;
    }
  }
  return out;
}

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/** What a terminal shows as one character each: an accented letter or a flag is one, not two. */
function characters(text: string): string[] {
  return Array.from(graphemes.segment(text), (segment) => segment.segment);
}

export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "");
}

// Terminal styling: colours only on a colour terminal without NO_COLOR (https://no-color.org);
// cursor movement only on a terminal.

export interface Style {
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly red: (text: string) => string;
  readonly cyan: (text: string) => string;
  readonly reset: string;
  readonly cursorUp: (lines: number) => string;
  readonly clearLine: string;
  readonly hideCursor: string;
  readonly showCursor: string;
}

export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

export function makeStyle(color: boolean, tty: boolean): Style {
  const sgr = (open: number, close: number) => (text: string) => (color ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    red: sgr(31, 39),
    cyan: sgr(36, 39),
    reset: color ? "\u001b[0m" : "",
    cursorUp: (lines) => (tty && lines > 0 ? `\u001b[${lines}A` : ""),
    clearLine: tty ? "\u001b[2K" : "",
    hideCursor: tty ? "\u001b[?25l" : "",
    showCursor: tty ? "\u001b[?25h" : "",
  };
}

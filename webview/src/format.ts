// Numbers as the panel writes them.

export function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/** Rates and ratios: three significant digits, no more than two decimals. */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString("en-US");
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

export function formatSpeedup(value: number): string {
  return `${value.toFixed(2)}×`;
}

export function formatPercent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : "–";
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : pluralForm}`;
}

/** The first line of a problem, shortened for one line of the header. */
export function oneLine(text: string, max = 120): string {
  const line =
    text
      .trim()
      .split("\n")
      .find((candidate) => candidate.trim().length > 0)
      ?.trim() ?? "";
  const multiline = text.trim().includes("\n");
  if (line.length > max) return `${line.slice(0, max - 1)}…`;
  return multiline ? `${line} …` : line;
}

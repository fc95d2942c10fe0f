// The numbers the benchmark scripts' options take, checked where they are parsed.

interface NumberRule {
  /** Whole numbers only. */
  readonly whole?: boolean;
  /** The least value allowed (0 when absent). */
  readonly least?: number;
}

function allows({ whole = false, least = 0 }: NumberRule, value: number): boolean {
  return Number.isFinite(value) && value >= least && (!whole || Number.isInteger(value));
}

function described({ whole = false, least = 0 }: NumberRule, plural: boolean): string {
  return `${whole ? "whole number" : "number"}${plural ? "s" : ""} of at least ${String(least)}`;
}

/** A comma-separated list of numbers, each as the rule allows. */
export function numberList(list: string, name: string, rule: NumberRule = {}): number[] {
  const parsed = list.split(",").map(Number);
  if (!parsed.every((value) => allows(rule, value)))
    throw new Error(`--${name} takes comma-separated ${described(rule, true)}, not "${list}"`);
  return parsed;
}

/** The one number an option takes. */
export function numberOf(text: string, name: string, rule: NumberRule = {}): number {
  const value = Number(text);
  if (!allows(rule, value)) throw new Error(`--${name} takes a ${described(rule, false)}, not "${text}"`);
  return value;
}

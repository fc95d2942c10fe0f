// Small numeric helpers.

export function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

export function mean(values: number[]): number {
  if (values.length === 0) return 0;
  let total = 0;
  for (const value of values) total += value;
  return total / values.length;
}

/** Returns the largest number in `values`, or undefined when it is empty. */
export function largest(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
}

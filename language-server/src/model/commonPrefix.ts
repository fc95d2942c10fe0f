/**
 * How many first tokens `a` and `b` share, up to `limit`: what a context sequence keeps of a new
 * context, and what several trajectories' contexts have in common.
 */
export function commonPrefix(a: readonly number[], b: readonly number[], limit = Infinity): number {
  const end = Math.min(a.length, b.length, limit);
  let i = 0;
  while (i < end && a[i] === b[i]) i++;
  return i;
}

/**
 * For each context, the index of the first earlier one with the same tokens (its leader), or
 * undefined for the first of its kind. At temperature 0 a decode is a function of its context, so
 * trajectories with one context decode alike and the target need only evaluate the leader's.
 */
export function leadersOf(contexts: readonly (readonly number[])[]): (number | undefined)[] {
  const firsts: number[] = [];
  return contexts.map((context, index) => {
    const leader = firsts.find((first) => sameTokens(contexts[first] ?? [], context));
    if (leader === undefined) firsts.push(index);
    return leader;
  });
}

/** Whether two contexts hold the same tokens. */
export function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  // From the end: contexts that differ mostly differ in what was generated.
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

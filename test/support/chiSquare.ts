// Chi-square goodness of fit, for the statistical tests of losslessness.
import chi2gof from "@stdlib/stats-chi2gof";

export interface FitResult {
  readonly pValue: number;
  readonly statistic: number;
  readonly degreesOfFreedom: number;
  /** Outcomes that were observed but have probability zero under the expected law. */
  readonly impossible: string[];
}

/**
 * Chi-square goodness of fit of observed outcome counts to exact outcome probabilities. Cells
 * whose expected count is below 5 are pooled into one, as the test's approximation requires. An
 * outcome the law gives probability zero is reported and makes the p-value 0.
 */
export function goodnessOfFit(observed: ReadonlyMap<string, number>, probabilities: ReadonlyMap<string, number>): FitResult {
  const total = [...observed.values()].reduce((sum, count) => sum + count, 0);
  const impossible = [...observed.keys()].filter((outcome) => !((probabilities.get(outcome) ?? 0) > 0));
  if (impossible.length > 0) return { pValue: 0, statistic: Infinity, degreesOfFreedom: 0, impossible };

  const counts: number[] = [];
  const expected: number[] = [];
  let pooledCount = 0;
  let pooledProbability = 0;
  for (const [outcome, probability] of probabilities) {
    const count = observed.get(outcome) ?? 0;
    if (probability * total < 5) {
      pooledCount += count;
      pooledProbability += probability;
    } else {
      counts.push(count);
      expected.push(probability);
    }
  }
  if (pooledProbability > 0) {
    counts.push(pooledCount);
    expected.push(pooledProbability);
  }
  // Renormalise away the rounding error of the enumerated probabilities.
  const mass = expected.reduce((sum, probability) => sum + probability, 0);
  const result = chi2gof(
    counts,
    expected.map((probability) => probability / mass),
  );
  return { pValue: result.pValue, statistic: result.statistic, degreesOfFreedom: result.df ?? 0, impossible };
}

export function countOutcomes(outcomes: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  return counts;
}

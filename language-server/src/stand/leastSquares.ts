/**
 * Exponentially weighted least squares with a ridge pull towards a prior: accumulates the normal
 * equations of y ≈ x · β one observation at a time, older ones weighing less, and solves
 * (XᵀWX + λI) β = XᵀWy + λ β₀ on demand. The prior keeps the fit defined from the first
 * observation and sane while the data cannot yet separate the terms.
 */
export class DecayedLeastSquares {
  /** XᵀWX, row-major. */
  private readonly normal: Float64Array;
  /** XᵀWy. */
  private readonly moments: Float64Array;

  constructor(
    readonly features: number,
    private readonly decay: number,
  ) {
    this.normal = new Float64Array(features * features);
    this.moments = new Float64Array(features);
  }

  add(x: readonly number[], y: number): void {
    const n = this.features;
    for (let i = 0; i < this.normal.length; i++) this.normal[i] = (this.normal[i] ?? 0) * this.decay;
    for (let i = 0; i < n; i++) {
      const xi = x[i] ?? 0;
      this.moments[i] = (this.moments[i] ?? 0) * this.decay + xi * y;
      for (let j = 0; j < n; j++) this.normal[n * i + j] = (this.normal[n * i + j] ?? 0) + xi * (x[j] ?? 0);
    }
  }

  /**
   * β, pulled towards `prior` with weight `priorWeight` in every term, with the terms `pinned`
   * names held at its values and the others fitted around them; undefined when singular.
   */
  solve(prior: readonly number[], priorWeight: number, pinned: ReadonlyMap<number, number> = new Map()): number[] | undefined {
    const n = this.features;
    const a = Array.from(this.normal);
    const b = Array.from(this.moments, (moment, i) => moment + priorWeight * (prior[i] ?? 0));
    for (let i = 0; i < n; i++) a[(n + 1) * i] = (a[(n + 1) * i] ?? 0) + priorWeight;
    // A pinned term's share of every other equation moves to the right-hand side; its own equation says its value.
    for (const [term, value] of pinned) {
      for (let i = 0; i < n; i++) {
        b[i] = (b[i] ?? 0) - (a[n * i + term] ?? 0) * value;
        a[n * i + term] = 0;
        a[n * term + i] = 0;
      }
      a[(n + 1) * term] = 1;
      b[term] = value;
    }
    const solution = solveLinear(a, b);
    return solution?.every(Number.isFinite) ? solution : undefined;
  }
}

/**
 * Solves a·x = b for a square row-major a (b.length × b.length) by Gaussian elimination with
 * partial pivoting; undefined when a is singular.
 */
export function solveLinear(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = b.length;
  // The augmented matrix [a | b], one row per equation.
  const rows = b.map((value, row) => [...a.slice(n * row, n * row + n), value]);
  const at = (row: number, column: number): number => rows[row]?.[column] ?? 0;
  for (let column = 0; column < n; column++) {
    let pivot = column;
    for (let row = column + 1; row < n; row++) if (Math.abs(at(row, column)) > Math.abs(at(pivot, column))) pivot = row;
    const pivotRow = rows[pivot];
    const current = rows[column];
    if (!pivotRow || !current || Math.abs(at(pivot, column)) < 1e-12) return undefined;
    rows[column] = pivotRow;
    rows[pivot] = current;
    rows.forEach((row, index) => {
      if (index === column) return;
      const factor = (row[column] ?? 0) / (pivotRow[column] ?? 1);
      for (let k = column; k <= n; k++) row[k] = (row[k] ?? 0) - factor * (pivotRow[k] ?? 0);
    });
  }
  return rows.map((row, i) => (row[n] ?? 0) / (row[i] ?? 1));
}

import { ZeronasError } from '../../../shared/errors.js';
import { symmetricEigenvalues } from './linalg.js';
import { firstNonFinite, rejected, type ScoreValue } from './scoreValue.js';

/**
 * Pearson correlation between the rows of an n x d matrix (NumPy corrcoef with rowvar=True), in float64.
 * Returns n x n row-major, or the index of a zero-variance row (whose correlations are undefined).
 */
export function corrcoef(rows: ArrayLike<number>, n: number): { matrix: Float64Array } | { constantRow: number } {
  if (!Number.isInteger(n) || n < 1 || rows.length % n !== 0 || rows.length === 0) {
    throw new ZeronasError('ZN_SHAPE_MISMATCH', `corrcoef: ${rows.length} values do not form ${n} equal rows`);
  }
  const d = rows.length / n;
  const centred = new Float64Array(rows.length);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let k = 0; k < d; k++) mean += rows[i * d + k]!;
    mean /= d;
    let ss = 0;
    for (let k = 0; k < d; k++) {
      const v = rows[i * d + k]! - mean;
      centred[i * d + k] = v;
      ss += v * v;
    }
    if (ss === 0) return { constantRow: i };
    norms[i] = Math.sqrt(ss);
  }
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    c[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += centred[i * d + k]! * centred[j * d + k]!;
      const r = Math.max(-1, Math.min(1, dot / (norms[i]! * norms[j]!)));
      c[i * n + j] = r;
      c[j * n + i] = r;
    }
  }
  return { matrix: c };
}

/** The constant k added to every eigenvalue in the jacob_cov score. */
export const JACOB_COV_K = 1e-5;

/**
 * jacob_cov (ALGORITHMS.md §A.9): J = ∂(Σ_k y_k)/∂x per sample, one row of 3·R·R per sample (n rows);
 * C = corrcoef(J); λ = eigenvalues of C; score = -Σ_i [ln(λ_i + k) + 1/(λ_i + k)], k = 1e-5.
 * Departures: a symmetric eigensolver (Jacobi) instead of np.linalg.eig; a zero-variance row, any
 * λ_i + k ≤ 0 or a non-finite Jacobian gives -Infinity with a reason (the reference yields NaN).
 * Rank deficiency is punished hard (each λ ≈ 0 costs about 1e5). Higher is better.
 */
export function jacobCovScore(jacobian: ArrayLike<number>, n: number): ScoreValue & { eigenvalues?: Float64Array } {
  const bad = firstNonFinite(jacobian);
  if (bad >= 0) return rejected(`the input Jacobian has a non-finite entry ${jacobian[bad]} at index ${bad}`);
  const c = corrcoef(jacobian, n);
  if ('constantRow' in c) return rejected(`the Jacobian row of sample ${c.constantRow} is constant (zero variance)`);
  const eigenvalues = symmetricEigenvalues(c.matrix, n);
  let value = 0;
  for (const l of eigenvalues) {
    const v = l + JACOB_COV_K;
    if (!(v > 0))
      return { ...rejected(`an eigenvalue of the correlation matrix is ${l}, so λ + 1e-5 ≤ 0`), eigenvalues };
    value -= Math.log(v) + 1 / v;
  }
  return { value, eigenvalues };
}

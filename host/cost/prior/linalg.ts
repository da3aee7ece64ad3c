/**
 * Dense linear algebra for the fleet prior (matrices of a few dozen rows: feature count or measurement count).
 * Cholesky because every matrix solved here is a covariance (symmetric positive definite after a tiny jitter).
 */
import { ZeronasError } from '../../../shared/errors.js';

export type Matrix = number[][];

export function zeros(n: number, m = n): Matrix {
  return Array.from({ length: n }, () => new Array<number>(m).fill(0));
}

export function matVec(a: Matrix, v: readonly number[]): number[] {
  return a.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
}

/** v·A·v for a symmetric A. */
export function quadForm(a: Matrix, v: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === 0) continue;
    let r = 0;
    const row = a[i]!;
    for (let j = 0; j < v.length; j++) r += row[j]! * v[j]!;
    s += v[i]! * r;
  }
  return s;
}

/** Lower-triangular L with L·Lᵀ = A; a jitter of 1e-10·mean diagonal keeps a semi-definite A solvable. */
export function cholesky(a: Matrix): Matrix {
  const n = a.length;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a[i]![i]!;
  const jitter = (1e-10 * trace) / Math.max(1, n);
  const l = zeros(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]! + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      if (i === j) {
        if (!(s > 0)) throw new ZeronasError('ZN_BAD_DATA', `covariance matrix is not positive definite at row ${i} (pivot ${s})`);
        l[i]![i] = Math.sqrt(s);
      } else {
        l[i]![j] = s / l[j]![j]!;
      }
    }
  }
  return l;
}

/** Solves (L·Lᵀ)·x = b. */
export function choleskySolve(l: Matrix, b: readonly number[]): number[] {
  const n = b.length;
  const z = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i]![k]! * z[k]!;
    z[i] = s / l[i]![i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k]![i]! * x[k]!;
    x[i] = s / l[i]![i]!;
  }
  return x;
}

/** diag((L·Lᵀ)⁻¹) from the triangular inverse: Σ_j (L⁻¹)_ji² per column i, k³/3 instead of k solves' k³. */
export function inverseDiagonalFromCholesky(l: Matrix): number[] {
  const n = l.length;
  const inv = zeros(n);
  for (let i = 0; i < n; i++) {
    inv[i]![i] = 1 / l[i]![i]!;
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = i; k < j; k++) s -= l[j]![k]! * inv[k]![i]!;
      inv[j]![i] = s / l[j]![j]!;
    }
  }
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = i; j < n; j++) s += inv[j]![i]! ** 2;
    return s;
  });
}

export function logDetFromCholesky(l: Matrix): number {
  return l.reduce((s, row, i) => s + 2 * Math.log(row[i]!), 0);
}

/** Sample covariance (divisor n − 1) of the rows of `rows`; zeros for a single row. */
export function covariance(rows: readonly number[][]): { mean: number[]; cov: Matrix } {
  const p = rows[0]!.length;
  const n = rows.length;
  const mean = new Array<number>(p).fill(0);
  for (const r of rows) for (let j = 0; j < p; j++) mean[j]! += r[j]! / n;
  const cov = zeros(p);
  if (n < 2) return { mean, cov };
  for (const r of rows) {
    for (let i = 0; i < p; i++) {
      const di = r[i]! - mean[i]!;
      for (let j = 0; j < p; j++) cov[i]![j]! += (di * (r[j]! - mean[j]!)) / (n - 1);
    }
  }
  return { mean, cov };
}

/**
 * Small dense regression for cost models (a handful of features, up to a few thousand rows): weighted ridge least
 * squares by the normal equations, and least relative absolute error by iteratively reweighted least squares.
 */
import { ZeronasError } from '../../shared/errors.js';

/** Solves A x = b for a symmetric positive (semi)definite A by Gaussian elimination with partial pivoting. */
export function solveLinear(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const pivot = m[c]![c]!;
    if (Math.abs(pivot) < 1e-300) {
      throw new ZeronasError('ZN_BAD_DATA', `regression system is singular at column ${c}; add ridge regularisation or drop constant features`);
    }
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / pivot;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

/**
 * Weighted ridge: w = argmin Σ_i s_i (y_i − x_i·w)² + λ Σ_{j∈penalised} w_j². Column 0 is usually the intercept and
 * left unpenalised (`penalise[0] = false`). A tiny floor (1e-10 · trace/n) keeps exactly collinear columns solvable.
 */
export function weightedRidge(x: number[][], y: number[], sampleWeights: number[], lambda: number, penalise: boolean[]): number[] {
  const p = x[0]?.length ?? 0;
  const a = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  x.forEach((row, i) => {
    const s = sampleWeights[i]!;
    for (let j = 0; j < p; j++) {
      const v = s * row[j]!;
      b[j]! += v * y[i]!;
      for (let k = j; k < p; k++) a[j]![k]! += v * row[k]!;
    }
  });
  let trace = 0;
  for (let j = 0; j < p; j++) trace += a[j]![j]!;
  const floor = (1e-10 * trace) / Math.max(1, p);
  for (let j = 0; j < p; j++) {
    for (let k = 0; k < j; k++) a[j]![k] = a[k]![j]!;
    a[j]![j]! += (penalise[j] ? lambda : 0) + floor;
  }
  return solveLinear(a, b);
}

export type RegressionLoss = 'relL1' | 'ls';

/**
 * Fits y ≈ x·w. y is divided by its median first (so λ means the same for milliseconds and millijoules) and the
 * weights scaled back at the end.
 *  - `ls`: ridge least squares, min Σ_i (y_i − x_i·w)² + λ·n·‖w‖² over penalised w_j.
 *  - `relL1`: min Σ_i |y_i − x_i·w| / y_i + λ·n·‖w‖², the mean absolute percentage error. Why: device timings
 *    have heavy-tailed noise (the Pi 4's CIFAR-10 and CIFAR-100 runs of the same network differ by > 30% for one
 *    cell in ten), and the figure of merit is relative (share within ±10%); an L1 fit tracks the typical
 *    measurement, not the outliers. Solved by IRLS with the majoriser |r|/y ≤ r²/(2·y·|r_old|) + const:
 *    weights s_i = 1 / (y_i · max(|r_i|, ε)), ε = 1e-6 · median y, penalty 2·λ·n; started from the relative
 *    least-squares fit; 60 iterations. (A floor of 1e-9 made the weighted normal equations blow up when a model
 *    fits the data exactly, e.g. per-kind table slopes on a synthetic device.)
 */
export function fitLinear(x: number[][], y: number[], loss: RegressionLoss, lambda: number, penalise: boolean[]): number[] {
  const sorted = y.map(Math.abs).sort((a, b) => a - b);
  const unit = sorted[Math.floor(sorted.length / 2)]! || 1;
  const t = y.map((v) => v / unit);
  const n = t.length;
  let w: number[];
  if (loss === 'ls') {
    w = weightedRidge(x, t, t.map(() => 1), lambda * n, penalise);
  } else {
    const scale = t.map((v) => Math.max(Math.abs(v), 1e-12));
    const eps = 1e-6;
    w = weightedRidge(x, t, scale.map((v) => 1 / v / v), lambda * n * (1 / n) * scale.reduce((a, v) => a + 1 / v / v, 0), penalise);
    for (let it = 0; it < 60; it++) {
      const s = x.map((row, i) => 1 / (scale[i]! * Math.max(Math.abs(t[i]! - dot(row, w)), eps)));
      w = weightedRidge(x, t, s, 2 * lambda * n, penalise);
    }
  }
  return w.map((v) => v * unit);
}

export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

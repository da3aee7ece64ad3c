/** Small dense linear algebra in float64 for B x B proxy kernels (B is a batch size: tens to a few hundred). */
import { ZeronasError } from '../../../shared/errors.js';

function checkSquare(a: ArrayLike<number>, n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || a.length !== n * n) {
    throw new ZeronasError(
      'ZN_SHAPE_MISMATCH',
      `${what}: expected an ${n}x${n} matrix (${n * n} values), got ${a.length} values`,
      {
        n,
        length: a.length,
      },
    );
  }
}

/**
 * Eigenvalues of a real symmetric matrix (row-major n x n), ascending, by the cyclic Jacobi method: rotate away
 * each off-diagonal entry in turn until the off-diagonal mass is below 1e-15 of the Frobenius norm. Accurate to
 * about eps·‖A‖ in absolute terms, like LAPACK's symmetric solvers. Only the upper triangle is read after a
 * symmetry check (relative tolerance 1e-9).
 */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number): Float64Array {
  checkSquare(matrix, n, 'symmetricEigenvalues');
  const a = Float64Array.from(matrix);
  let frob = 0;
  for (let i = 0; i < n * n; i++) frob += a[i]! * a[i]!;
  frob = Math.sqrt(frob);
  if (!Number.isFinite(frob)) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', 'symmetricEigenvalues: the matrix has non-finite entries');
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.abs(a[i * n + j]! - a[j * n + i]!);
      if (d > 1e-9 * Math.max(frob, Number.MIN_VALUE)) {
        throw new ZeronasError(
          'ZN_BAD_ARGUMENT',
          `symmetricEigenvalues: matrix is not symmetric at (${i},${j}): ${a[i * n + j]} vs ${a[j * n + i]}`,
        );
      }
      a[j * n + i] = a[i * n + j]!;
    }
  }
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! * a[p * n + q]!;
    if (off === 0 || Math.sqrt(off) <= 1e-15 * frob) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        // After a few sweeps an entry below the precision of both diagonal entries is simply dropped.
        const g = 100 * Math.abs(apq);
        if (sweep > 3 && Math.abs(app) + g === Math.abs(app) && Math.abs(aqq) + g === Math.abs(aqq)) {
          a[p * n + q] = 0;
          a[q * n + p] = 0;
          continue;
        }
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
      }
    }
  }
  const eig = new Float64Array(n);
  for (let i = 0; i < n; i++) eig[i] = a[i * n + i]!;
  return eig.sort();
}

/**
 * log|det A| and the sign of det A by LU decomposition with partial pivoting (NumPy's slogdet). A zero pivot
 * (a singular matrix) gives sign 0 and logAbsDet -Infinity, as NumPy does.
 */
export function slogdet(matrix: ArrayLike<number>, n: number): { sign: number; logAbsDet: number } {
  checkSquare(matrix, n, 'slogdet');
  const a = Float64Array.from(matrix);
  let sign = 1;
  let logAbsDet = 0;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    const pv = a[pivot * n + col]!;
    if (pv === 0 || !Number.isFinite(pv)) return { sign: 0, logAbsDet: pv === 0 ? -Infinity : NaN };
    if (pivot !== col) {
      for (let k = 0; k < n; k++) {
        const t = a[col * n + k]!;
        a[col * n + k] = a[pivot * n + k]!;
        a[pivot * n + k] = t;
      }
      sign = -sign;
    }
    if (pv < 0) sign = -sign;
    logAbsDet += Math.log(Math.abs(pv));
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col]! / pv;
      if (f === 0) continue;
      for (let k = col; k < n; k++) a[r * n + k] = a[r * n + k]! - f * a[col * n + k]!;
    }
  }
  return { sign, logAbsDet };
}

/**
 * Eigenvalues of a real symmetric matrix (row-major n x n), ascending, by Householder reduction to tridiagonal form
 * and the implicit QL iteration (the classic tred2/tqli pair, eigenvalues only): ~(4/3)n³ operations in one pass,
 * where cyclic Jacobi needs several sweeps of ~4n³. For the wide channel covariances of ImageNet-type networks
 * (C up to thousands). Reads the lower triangle.
 */
export function symmetricEigenvaluesFast(matrix: ArrayLike<number>, n: number): Float64Array {
  checkSquare(matrix, n, 'symmetricEigenvaluesFast');
  const a = Float64Array.from(matrix);
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(a[i]!)) throw new ZeronasError('ZN_BAD_ARGUMENT', 'symmetricEigenvaluesFast: the matrix has non-finite entries');
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    const row = i * n;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[row + k]!);
      if (scale === 0) {
        e[i] = a[row + l]!;
      } else {
        for (let k = 0; k <= l; k++) {
          a[row + k]! /= scale;
          h += a[row + k]! * a[row + k]!;
        }
        let f = a[row + l]!;
        let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[row + l] = f - g;
        f = 0;
        for (let j = 0; j <= l; j++) {
          g = 0;
          for (let k = 0; k <= j; k++) g += a[j * n + k]! * a[row + k]!;
          for (let k = j + 1; k <= l; k++) g += a[k * n + j]! * a[row + k]!;
          e[j] = g / h;
          f += e[j]! * a[row + j]!;
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          f = a[row + j]!;
          g = e[j]! - hh * f;
          e[j] = g;
          for (let k = 0; k <= j; k++) a[j * n + k]! -= f * e[k]! + g * a[row + k]!;
        }
      }
    } else {
      e[i] = a[row + l]!;
    }
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i]!;
  // Implicit QL on the tridiagonal (d, e).
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  if (n > 0) e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iterations = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (++iterations > 60) throw new ZeronasError('ZN_BAD_ARGUMENT', `symmetricEigenvaluesFast: no convergence for eigenvalue ${l}`);
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = Math.hypot(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1]! -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (underflow) continue;
      d[l]! -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d.sort();
}

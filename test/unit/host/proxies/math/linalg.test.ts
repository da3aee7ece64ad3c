import { describe, expect, it } from 'vitest';
import { slogdet, symmetricEigenvalues } from '../../../../../host/proxies/math/linalg.js';
import { mulberry32 } from '../../../../../host/ir/init.js';

describe('symmetric eigensolver (Jacobi)', () => {
  it('4x4 matrix: eigenvalues match NumPy eigvalsh', () => {
    const a = [4, 1, -2, 2, 1, 2, 0, 1, -2, 0, 3, -2, 2, 1, -2, -1];
    const expected = [-2.19751698, 1.08436446, 2.26853141, 6.84462111];
    Array.from(symmetricEigenvalues(a, 4)).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 7));
  });

  it('a random 40x40 Gram matrix: eigenvalues sum to the trace and reproduce det via slogdet', () => {
    const rand = mulberry32(1);
    const n = 40;
    const g = Array.from({ length: n * 60 }, () => rand() - 0.5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) for (let k = 0; k < 60; k++) a[i * n + j]! += g[i * 60 + k]! * g[j * 60 + k]!;
    const eig = symmetricEigenvalues(a, n);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i]!;
    expect(eig.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 9);
    const logDet = eig.reduce((s, v) => s + Math.log(v), 0);
    expect(slogdet(a, n).logAbsDet).toBeCloseTo(logDet, 8);
    for (let i = 1; i < n; i++) expect(eig[i]!).toBeGreaterThanOrEqual(eig[i - 1]!);
  });

  it('rejects a non-symmetric matrix (ZN_BAD_ARGUMENT)', () => {
    expect(() => symmetricEigenvalues([1, 2, 3, 4], 2)).toThrow(/not symmetric at \(0,1\)/);
  });
});

describe('slogdet', () => {
  it('4x4 matrix: sign -1, log|det| 3.6109 (NumPy)', () => {
    const r = slogdet([4, 1, -2, 2, 1, 2, 0, 1, -2, 0, 3, -2, 2, 1, -2, -1], 4);
    expect(r.sign).toBe(-1);
    expect(r.logAbsDet).toBeCloseTo(3.6109179126442243, 12);
  });

  it('a singular matrix gives sign 0 and -Infinity', () => {
    expect(slogdet([1, 2, 2, 4], 2)).toEqual({ sign: 0, logAbsDet: -Infinity });
  });

  it('rejects 5 values for a 2x2 matrix (ZN_SHAPE_MISMATCH)', () => {
    expect(() => slogdet([1, 2, 3, 4, 5], 2)).toThrow(/expected an 2x2 matrix \(4 values\), got 5/);
  });
});

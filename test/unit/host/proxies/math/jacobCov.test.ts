import { describe, expect, it } from 'vitest';
import { corrcoef, jacobCovScore } from '../../../../../host/proxies/math/jacobCov.js';

describe('jacob_cov (ALGORITHMS.md §A.9)', () => {
  it('test vector: J rows [1,2,3], [2,4,6.5], [0,1,0] score ≈ -99990.68 (one eigenvalue ≈ 0)', () => {
    const r = jacobCovScore([1, 2, 3, 2, 4, 6.5, 0, 1, 0], 3);
    expect(r.reason).toBeUndefined();
    expect(r.value).toBeCloseTo(-99990.68022643604, 4);
    const eig = Array.from(r.eigenvalues!);
    [0, 1, 2].forEach((v, i) => expect(eig[i]).toBeCloseTo(v, 9));
  });

  it('corrcoef of perfectly correlated and anti-correlated rows', () => {
    const c = corrcoef([1, 2, 3, 2, 4, 6, 3, 2, 1], 3);
    if (!('matrix' in c)) throw new Error('expected a matrix');
    [1, 1, -1, 1, 1, -1, -1, -1, 1].forEach((v, i) => expect(c.matrix[i]).toBeCloseTo(v, 14));
  });

  it('a constant Jacobian row gives -Infinity with a reason naming the sample', () => {
    const r = jacobCovScore([1, 2, 3, 5, 5, 5], 2);
    expect(r.value).toBe(-Infinity);
    expect(r.reason).toContain('sample 1 is constant');
  });

  it('a non-finite Jacobian gives -Infinity with a reason', () => {
    expect(jacobCovScore([1, Infinity, 3, 5, 6, 5], 2).reason).toContain('non-finite entry Infinity at index 1');
  });
});

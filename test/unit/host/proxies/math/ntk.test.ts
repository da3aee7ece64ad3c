import { describe, expect, it } from 'vitest';
import { GramAccumulator, ntkScore } from '../../../../../host/proxies/math/ntk.js';

describe('NTK condition number (ALGORITHMS.md §A.12)', () => {
  it('rows [1,0], [0,2]: NTK diag(1,4), cond 4, score -4', () => {
    const g = new GramAccumulator(2);
    g.add([[1], [0]]);
    g.add([[0], [2]]);
    expect(Array.from(g.gram)).toEqual([1, 0, 0, 4]);
    expect(g.columns).toBe(2);
    expect(ntkScore(g.gram, 2)).toEqual({ value: -4, condition: 4, lambdaMin: 1, lambdaMax: 4 });
  });

  it('chunked accumulation equals G·Gᵀ: rows [1,2,3], [0,1,-1] -> [[14,-1],[-1,2]]', () => {
    const g = new GramAccumulator(2);
    g.add([
      [1, 2],
      [0, 1],
    ]);
    g.add([[3], [-1]]);
    expect(Array.from(g.gram)).toEqual([14, -1, -1, 2]);
    const r = ntkScore(g.gram, 2);
    const disc = Math.sqrt(12 * 12 + 4);
    expect(r.condition).toBeCloseTo((16 + disc) / (16 - disc), 10);
  });

  it('identical rows make the NTK singular: -Infinity with a reason', () => {
    const g = new GramAccumulator(2);
    g.add([
      [1, 1],
      [1, 1],
    ]);
    const r = ntkScore(g.gram, 2);
    expect(r.value).toBe(-Infinity);
    expect(r.reason).toContain('smallest eigenvalue');
  });

  it('rejects a block with 3 rows for 2 samples (ZN_SHAPE_MISMATCH)', () => {
    expect(() => new GramAccumulator(2).add([[1], [2], [3]], 'stem.0.weight')).toThrow(
      /stem.0.weight has 3 rows, expected 2/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { ZeronasError } from '../../../../shared/errors.js';
import { mulberry32 } from '../../../../host/ir/init.js';
import { averageRanks, bootstrapCorrelation, kendallTauB, quantile, spearman } from '../../../../host/stats/rank.js';

/** Kendall tau-b straight from its definition, O(n^2): (C - D) / sqrt((C + D + Tx)(C + D + Ty)). */
function bruteTauB(x: number[], y: number[]): number {
  let c = 0;
  let d = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const a = Math.sign(x[i]! - x[j]!);
      const b = Math.sign(y[i]! - y[j]!);
      if (a === 0 && b === 0) continue;
      if (a === 0) tx++;
      else if (b === 0) ty++;
      else if (a === b) c++;
      else d++;
    }
  }
  return (c - d) / Math.sqrt((c + d + tx) * (c + d + ty));
}

describe('rank correlation (ALGORITHMS.md §0.6)', () => {
  it('test vector x=[1,2,3,4], y=[1,3,2,4]: tau-b 0.6667, rho 0.8', () => {
    expect(kendallTauB([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(2 / 3, 12);
    expect(spearman([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
  });

  it('with ties in both sides matches the tau-b definition and average-rank Spearman (values from NumPy)', () => {
    const x = [1, 1, 2, 3, 3, 3, 5, -1, 0, 2];
    const y = [2, 2, 1, 3, 3, 4, 4, 0, 0, 1];
    expect(kendallTauB(x, y)).toBeCloseTo(0.75, 12);
    expect(spearman(x, y)).toBeCloseTo(0.8777472595071586, 12);
    expect(kendallTauB([3, 1, 4, 1, 5, 9, 2, 6], [8, 6, 7, 5, 3, 0, 9, 9])).toBeCloseTo(-0.14814814814814814, 12);
    expect(spearman([3, 1, 4, 1, 5, 9, 2, 6], [8, 6, 7, 5, 3, 0, 9, 9])).toBeCloseTo(-0.18072289156626503, 12);
  });

  it('O(n log n) tau-b equals the O(n^2) definition on 300 random pairs with many ties', () => {
    const rand = mulberry32(11);
    const x = Array.from({ length: 300 }, () => Math.floor(rand() * 20));
    const y = x.map((v) => Math.floor(v / 2 + rand() * 8));
    expect(kendallTauB(x, y)).toBeCloseTo(bruteTauB(x, y), 12);
  });

  it('ranks -Infinity (a failed proxy) last without producing NaN', () => {
    expect(Array.from(averageRanks([3, -Infinity, 1, -Infinity]))).toEqual([4, 1.5, 3, 1.5]);
    expect(kendallTauB([-Infinity, 1, 2], [0, 1, 2])).toBeCloseTo(1, 12);
  });

  it('is NaN when one side is constant (undefined, as in SciPy)', () => {
    expect(kendallTauB([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(spearman([1, 2, 3], [5, 5, 5])).toBeNaN();
  });

  it('rejects x of length 3 with y of length 2 (ZN_BAD_ARGUMENT)', () => {
    try {
      kendallTauB([1, 2, 3], [1, 2]);
      throw new Error('expected a throw');
    } catch (err) {
      expect((err as ZeronasError).code).toBe('ZN_BAD_ARGUMENT');
      expect((err as Error).message).toContain('x has 3 values but y has 2');
    }
  });

  it('rejects a NaN score (ZN_BAD_ARGUMENT naming its index)', () => {
    expect(() => spearman([1, NaN, 3], [1, 2, 3])).toThrow(/x\[1\] is NaN/);
  });
});

describe('bootstrapCorrelation', () => {
  const rand = mulberry32(5);
  const x = Array.from({ length: 200 }, () => rand());
  const y = x.map((v) => v + 0.5 * rand());

  it('is deterministic for a seed and brackets the estimate', () => {
    const a = bootstrapCorrelation(x, y, 'kendall', { resamples: 200, seed: 3 });
    const b = bootstrapCorrelation(x, y, 'kendall', { resamples: 200, seed: 3 });
    expect(a).toEqual(b);
    expect(a.low).toBeLessThan(a.estimate);
    expect(a.high).toBeGreaterThan(a.estimate);
    expect(a.estimate).toBeCloseTo(kendallTauB(x, y), 12);
    const c = bootstrapCorrelation(x, y, 'spearman', { resamples: 200, seed: 4, level: 0.9 });
    expect(c.low).toBeLessThan(c.high);
    expect(c.level).toBe(0.9);
    expect(c.undefinedResamples).toBe(0);
  });

  it('quantile interpolates linearly like NumPy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.025)).toBeCloseTo(1.1, 12);
  });

  it('rejects 0 resamples (ZN_BAD_ARGUMENT)', () => {
    expect(() => bootstrapCorrelation(x, y, 'kendall', { resamples: 0 })).toThrow(
      /resamples must be a positive integer, got 0/,
    );
  });
});

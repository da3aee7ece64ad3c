import { describe, expect, it } from 'vitest';
import { latencyStats, quantileSorted } from '../../../../shared/measure/robustStats.js';

describe('robustStats', () => {
  it('matches numpy for [1, 2, 3, 4, 100] (median, type-7 p90/p95, ddof=1 std, MAD)', () => {
    const s = latencyStats([4, 1, 100, 3, 2]);
    expect(s.n).toBe(5);
    expect(s.medianMs).toBe(3);
    expect(s.meanMs).toBe(22);
    // numpy.std([1,2,3,4,100], ddof=1) = 43.617656975128...
    expect(s.stdMs).toBeCloseTo(43.61765697512, 9);
    expect(s.cv).toBeCloseTo(43.61765697512 / 22, 9);
    expect(s.minMs).toBe(1);
    expect(s.maxMs).toBe(100);
    // numpy.percentile(x, 90) = 61.6, percentile(x, 95) = 80.8
    expect(s.p90Ms).toBeCloseTo(61.6, 9);
    expect(s.p95Ms).toBeCloseTo(80.8, 9);
    // |x - 3| = [2,1,0,1,97] -> median 1
    expect(s.madMs).toBe(1);
  });

  it('single sample: std 0, all quantiles equal', () => {
    expect(latencyStats([7])).toMatchObject({ n: 1, medianMs: 7, stdMs: 0, p95Ms: 7, madMs: 0 });
  });

  it('rejects an empty sample (ZN_BAD_ARGUMENT)', () => {
    expect(() => latencyStats([])).toThrow(expect.objectContaining({ code: 'ZN_BAD_ARGUMENT', message: expect.stringMatching(/got 0/) }));
  });

  it('rejects NaN samples (ZN_BAD_ARGUMENT naming the value)', () => {
    expect(() => latencyStats([1, Number.NaN])).toThrow(expect.objectContaining({ message: expect.stringMatching(/NaN/) }));
  });

  it('quantile q=1.5 is out of range', () => {
    expect(() => quantileSorted([1], 1.5)).toThrow(expect.objectContaining({ code: 'ZN_BAD_ARGUMENT', message: expect.stringMatching(/1\.5/) }));
  });
});

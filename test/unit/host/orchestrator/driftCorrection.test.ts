import { describe, expect, it } from 'vitest';
import { driftFactor, withSentinels } from '../../../../host/orchestrator/driftCorrection.js';

describe('drift correction with a sentinel', () => {
  it('divides out a device that slows down by 25% half way, and ignores one sentinel caught in a burst', () => {
    // sentinel: 2 ms at t < 100, 2.5 ms after; one burst sample (9 ms) at t = 40
    const samples = [0, 20, 40, 60, 80, 100, 120, 140, 160, 180].map((t) => ({ atMs: t, latencyMs: t === 40 ? 9 : t < 100 ? 2 : 2.5 }));
    const f = driftFactor(samples);
    const overall = 2.5; // median of four 2s, five 2.5s and one 9
    expect(f(30)).toBeCloseTo(2 / overall, 12); // nearest 3: t=20,40,60 -> median 2 (the burst is outvoted)
    expect(f(170)).toBeCloseTo(2.5 / overall, 12);
    // a model that takes 4 ms at normal speed reads 4 before and 5 after; corrected, both are 4 x 2.5/2
    expect(4 / f(10)).toBeCloseTo(5 / f(150), 12);
  });

  it('is 1 everywhere without sentinel samples, and inserts sentinels first, every k and last', () => {
    expect(driftFactor([])(123)).toBe(1);
    expect(withSentinels(['a', 'b', 'c', 'd', 'e'], (i) => `S${i}`, 2)).toEqual(['S0', 'a', 'b', 'S1', 'c', 'd', 'S2', 'e', 'S3']);
    expect(() => withSentinels(['a'], () => 'S', 0)).toThrow(/positive integer/);
  });
});

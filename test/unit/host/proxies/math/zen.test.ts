import { describe, expect, it } from 'vitest';
import {
  runningVarAfterPasses,
  unbiasedChannelVariance,
  zenDelta,
  zenScore,
} from '../../../../../host/proxies/math/zen.js';

describe('Zen-score (ALGORITHMS.md §A.11)', () => {
  it('running_var after two passes with momentum 0.1 from 1 is 0.81 + 0.09·v1 + 0.1·v2', () => {
    const r = runningVarAfterPasses([
      [2, 4],
      [3, 0.5],
    ]);
    expect(r[0]).toBeCloseTo(0.81 + 0.09 * 2 + 0.1 * 3, 14);
    expect(r[1]).toBeCloseTo(0.81 + 0.09 * 4 + 0.1 * 0.5, 14);
  });

  it("Δ = mean over samples of Σ|f(x) - f(x')|: two samples, sums 3 and 1 give 2", () => {
    expect(zenDelta([1, 2, 0, 0], [0, 0, 1, 0], 2)).toBe(2);
  });

  it('score = ln Δ + Σ_BN ln sqrt(mean running_var): Δ=2, BN means [4, 0.25] give ln 2 + ln 2 + ln 0.5 = ln 2', () => {
    const r = zenScore(2, [4, 0.25]);
    expect(r.value).toBeCloseTo(Math.log(2), 14);
    expect(r.logDelta).toBeCloseTo(Math.log(2), 14);
    expect(r.logBnScaling).toBeCloseTo(0, 14);
  });

  it('unbiased per-channel variance over n and spatial: [n=2, C=1, 2] values 1,2,3,4 give 5/3', () => {
    expect(unbiasedChannelVariance([1, 2, 3, 4], 2, 1)[0]).toBeCloseTo(5 / 3, 14);
  });

  it('Δ = 0 (the perturbation changed nothing) gives -Infinity with a reason', () => {
    const r = zenScore(0, [1]);
    expect(r.value).toBe(-Infinity);
    expect(r.reason).toContain('Δ = 0');
  });
});

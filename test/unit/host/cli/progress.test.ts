import { describe, expect, it } from 'vitest';
import { etaSeconds, formatEta } from '../../../../host/cli/progress.js';

describe('formatEta', () => {
  it('prints seconds, minutes and hours, and a dash before there is a rate (never NaN or "NFs")', () => {
    expect(formatEta(Number.NaN)).toBe('-');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('-');
    expect(formatEta(41.6)).toBe('42s');
    expect(formatEta(185)).toBe('3m05s');
    expect(formatEta(3720)).toBe('1h02m');
  });
});

describe('etaSeconds', () => {
  const started = { at: 0, done: 0 };
  it('counts down during a long item instead of up, and never below what the later items need', () => {
    // 1 of 4 done after 10 s: 10 s per item, 30 s left
    const last = { at: 10_000, done: 1 };
    expect(etaSeconds(started, last, 4, 10_000)).toBeCloseTo(30, 9);
    expect(etaSeconds(started, last, 4, 15_000)).toBeCloseTo(25, 9);
    // the current item overruns its share: the two after it still need 20 s
    expect(etaSeconds(started, last, 4, 40_000)).toBeCloseTo(20, 9);
  });
  it('has no estimate before an item completed', () => {
    expect(etaSeconds(started, started, 4, 5_000)).toBeNaN();
  });
});

import { describe, expect, it } from 'vitest';
import { formatEta } from '../../../../host/cli/progress.js';

describe('formatEta', () => {
  it('prints seconds, minutes and hours, and a dash before there is a rate (never NaN or "NFs")', () => {
    expect(formatEta(Number.NaN)).toBe('-');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('-');
    expect(formatEta(41.6)).toBe('42s');
    expect(formatEta(185)).toBe('3m05s');
    expect(formatEta(3720)).toBe('1h02m');
  });
});

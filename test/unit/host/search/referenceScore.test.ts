/**
 * The reference sample a combination is ranked against in evolution, NSGA-II and FLASH (host/search/referenceScore.ts):
 * drawn from the seed alone, respecting what the caller excludes, and giving a score that orders candidates as
 * their proxy values do.
 */
import { describe, expect, it } from 'vitest';
import { createNb201Space } from '../../../../host/spaces/nb201Space.js';
import { referenceSampleScorer, referenceSize } from '../../../../host/search/referenceScore.js';

const space = createNb201Space();
const sizeOf = (a: ReturnType<typeof space.parse>): number[] => {
  const m = space.metrics(a);
  return [m.params, m.flops];
};

describe('referenceSampleScorer', () => {
  it('draws the same reference from the same seed, never a degenerate or excluded cell, each cell once', async () => {
    const skip = (a: ReturnType<typeof space.parse>): boolean => space.metrics(a).params > 500_000;
    const draw = (seed: number) =>
      referenceSampleScorer({ space, seed, size: 24, scoreAll: async (a) => sizeOf(a), how: 'rank-sum', skip });
    const [a, b, c] = [await draw(3), await draw(3), await draw(4)];
    expect(a.reference.map((r) => r.arch)).toEqual(b.reference.map((r) => r.arch));
    expect(a.reference.map((r) => r.arch)).not.toEqual(c.reference.map((r) => r.arch));
    expect(a.reference).toHaveLength(24);
    expect(new Set(a.reference.map((r) => r.arch)).size).toBe(24);
    for (const r of a.reference) {
      const arch = space.parse(r.arch);
      expect(space.isDegenerate?.(arch) ?? false).toBe(false);
      expect(r.values[0]).toBeLessThanOrEqual(500_000);
      expect(r.values).toEqual(sizeOf(arch));
    }
  });

  it('orders candidates as their values: better in every proxy scores higher, the reference cells by their ranks', async () => {
    const { combined, reference } = await referenceSampleScorer({
      space,
      seed: 1,
      size: 16,
      scoreAll: async (a) => sizeOf(a),
      how: 'log-rank',
    });
    const sorted = [...reference].sort((x, y) => x.values[0]! - y.values[0]!);
    const lo = sorted[2]!.values;
    const hi = sorted[13]!.values;
    expect(combined(hi)).toBeGreaterThan(combined(lo));
    expect(combined([hi[0]! * 2, hi[1]! * 2])).toBeGreaterThan(combined(hi)); // beyond every reference value still differs
    expect(combined([Number.NaN, hi[1]!])).toBe(Number.NEGATIVE_INFINITY); // a failed proxy ranks last
  });

  it('says so when the space cannot give two reference cells', async () => {
    await expect(
      referenceSampleScorer({
        space,
        seed: 0,
        size: 8,
        scoreAll: async (a) => sizeOf(a),
        how: 'rank-sum',
        skip: () => true,
      }),
    ).rejects.toThrow(/only 0 architecture\(s\) of nb201 could be drawn/);
  });

  it('spends an eighth of the scoring budget on the reference, within 8..64 and at most half', () => {
    expect([referenceSize(20), referenceSize(100), referenceSize(500), referenceSize(5000)]).toEqual([8, 12, 62, 64]);
    expect([referenceSize(10), referenceSize(3)]).toEqual([5, 2]); // never more than half the budget
  });
});

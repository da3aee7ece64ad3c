import { describe, expect, it } from 'vitest';
import { fillUniformSymmetric, mulberry32 } from '../../../shared/random.js';

describe('fillUniformSymmetric', () => {
  it('gives exactly (2u − 1)·bound for the draws u of mulberry32 with the same seed', () => {
    for (const [seed, bound] of [[0, 1], [123456789, 0.125], [0xffffffff, 1 / Math.sqrt(27)]] as const) {
      const out = new Float32Array(1000);
      fillUniformSymmetric(out, seed, bound);
      const rand = mulberry32(seed);
      const want = Float32Array.from({ length: out.length }, () => (rand() * 2 - 1) * bound);
      expect(out).toEqual(want);
      expect(Math.max(...out.map(Math.abs))).toBeLessThanOrEqual(bound);
    }
  });
});

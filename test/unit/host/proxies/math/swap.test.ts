/**
 * SWAP's pattern count (PROXIES_SOTA.md §3) against its definition written the slow, obvious way: each neuron's
 * pattern is the string of its B signs across the batch, the score the size of the set of those strings.
 */
import { describe, expect, it } from 'vitest';
import { swapPatternCount } from '../../../../../host/proxies/math/swap.js';
import { mulberry32 } from '../../../../../shared/random.js';

function byDefinition(layers: readonly Float32Array[], batch: number): number {
  const patterns = new Set<string>();
  for (const a of layers) {
    const perSample = a.length / batch;
    for (let n = 0; n < perSample; n++) {
      let p = '';
      for (let b = 0; b < batch; b++) p += a[b * perSample + n]! > 0 ? '1' : '0';
      patterns.add(p);
    }
  }
  return patterns.size;
}

function layer(batch: number, perSample: number, next: () => number, zeroShare = 0): Float32Array {
  return Float32Array.from({ length: batch * perSample }, () => (next() < zeroShare ? 0 : next() - 0.5));
}

describe('swapPatternCount', () => {
  it('equals the set of sign strings, over batch sizes, layer sizes and exact zeros (zero is inactive)', () => {
    const next = mulberry32(7);
    for (const batch of [1, 3, 8, 16, 24]) {
      const layers = [
        layer(batch, 50, next),
        layer(batch, 1, next),
        layer(batch, 333, next, 0.4),
        layer(batch, 50, next, 0.9),
      ];
      expect(swapPatternCount(layers, batch)).toBe(byDefinition(layers, batch));
    }
  });

  it('counts a pattern once across layers, and a repeated layer adds nothing', () => {
    const next = mulberry32(11);
    const a = layer(16, 200, next);
    const once = swapPatternCount([a], 16);
    expect(swapPatternCount([a, a, Float32Array.from(a)], 16)).toBe(once);
    expect(once).toBe(byDefinition([a], 16));
  });

  it('NaN and -0 are inactive, +Infinity active, as `x > 0` decides', () => {
    const batch = 4;
    // Neuron-major view: four neurons, each with the four values of the batch.
    const neurons = [
      [NaN, 1, 0, -0],
      [0, 1, 0, 0],
      [Infinity, -1, -Infinity, 2],
      [1, -2, -3, 4],
    ];
    const a = new Float32Array(16);
    neurons.forEach((vs, n) => vs.forEach((v, b) => (a[b * 4 + n] = v)));
    expect(swapPatternCount([a], batch)).toBe(2); // neurons 0 and 1 share 0100; 2 and 3 share 1001
    expect(byDefinition([a], batch)).toBe(2);
  });

  it('refuses a batch it cannot encode and a layer that does not split into samples', () => {
    expect(() => swapPatternCount([new Float32Array(25)], 25)).toThrow(/1\.\.24/);
    expect(() => swapPatternCount([new Float32Array(10)], 3)).toThrow(/does not split into 3 samples/);
  });
});

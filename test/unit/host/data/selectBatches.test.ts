import { describe, expect, it } from 'vitest';
import { ZeronasError } from '../../../../shared/errors.js';
import {
  NORMALIZATIONS,
  openDataset,
  parseCifar10,
  selectBatches,
  shuffledIndices,
  CIFAR10_RECORD_BYTES,
} from '../../../../host/data/index.js';

describe('normalisation presets (ALGORITHMS.md §0.5)', () => {
  it('CIFAR-10: byte 0 in R maps to -125.3/63.0, byte 255 in B to (255-113.9)/66.7', () => {
    const bytes = new Uint8Array(CIFAR10_RECORD_BYTES);
    bytes.fill(255, 1 + 2048);
    const [batch] = selectBatches(parseCifar10({ name: 'one.bin', bytes }), { batchSize: 1, batches: 1, seed: 'first' });
    expect(batch!.images[0]).toBeCloseTo(-125.3 / 63.0, 6);
    expect(batch!.images[2048]).toBeCloseTo((255 - 113.9) / 66.7, 6);
  });

  it('carries the CIFAR-100 and ImageNet16-120 constants', () => {
    expect(NORMALIZATIONS.cifar100.mean[0]! * 255).toBeCloseTo(129.3, 10);
    expect(NORMALIZATIONS.cifar100.std[2]! * 255).toBeCloseTo(70.4, 10);
    expect(NORMALIZATIONS.imagenet16.mean[1]! * 255).toBeCloseTo(116.66, 10);
    expect(NORMALIZATIONS.imagenet16.std[0]! * 255).toBeCloseTo(63.22, 10);
  });
});

describe('selectBatches', () => {
  const sample = openDataset();

  it("seed 'first' takes images 0..63 and 64..127 in order (the reference ZiCo run)", () => {
    const batches = selectBatches(sample, { batchSize: 64, batches: 2, seed: 'first' });
    expect(batches).toHaveLength(2);
    expect(Array.from(batches[0]!.indices)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(batches[1]!.indices[0]).toBe(64);
    expect(batches[1]!.indices[63]).toBe(127);
    expect(Array.from(batches[0]!.labels.subarray(0, 4))).toEqual([6, 9, 9, 4]);
    expect(batches[0]!.shape).toEqual([64, 3, 32, 32]);
    expect(batches[0]!.images.length).toBe(64 * 3072);
    const px = sample.pixels[64 * 3072 + 5]!; // image 64, R plane, pixel 5
    expect(batches[1]!.images[5]).toBeCloseTo((px / 255 - NORMALIZATIONS.cifar10.mean[0]) / NORMALIZATIONS.cifar10.std[0], 6);
  });

  it('a numeric seed gives the same disjoint batches every time and different ones for another seed', () => {
    const a = selectBatches(sample, { batchSize: 16, batches: 3, seed: 7 });
    const b = selectBatches(sample, { batchSize: 16, batches: 3, seed: 7 });
    const c = selectBatches(sample, { batchSize: 16, batches: 3, seed: 8 });
    expect(a.map((x) => Array.from(x.indices))).toEqual(b.map((x) => Array.from(x.indices)));
    expect(Array.from(a[0]!.indices)).not.toEqual(Array.from(c[0]!.indices));
    const all = new Set(a.flatMap((x) => Array.from(x.indices)));
    expect(all.size).toBe(48);
    expect(Array.from(a[1]!.labels)).toEqual(Array.from(a[1]!.indices).map((i) => sample.labels[i]!));
  });

  it('shuffledIndices is a permutation', () => {
    const p = Array.from(shuffledIndices(100, 3)).sort((x, y) => x - y);
    expect(p).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('rejects 3 batches of 200 from 512 images (ZN_BAD_ARGUMENT naming 600 and 512)', () => {
    try {
      selectBatches(sample, { batchSize: 200, batches: 3, seed: 'first' });
      throw new Error('expected a throw');
    } catch (err) {
      expect((err as ZeronasError).code).toBe('ZN_BAD_ARGUMENT');
      expect((err as Error).message).toMatch(/need 600 images.*has 512/);
    }
  });

  it('rejects batchSize 0 (ZN_BAD_ARGUMENT)', () => {
    expect(() => selectBatches(sample, { batchSize: 0, batches: 1, seed: 'first' })).toThrow(/batchSize must be a positive integer, got 0/);
  });
});

import { describe, expect, it } from 'vitest';
import { ActivationCodes, popcount32 } from '../../../../../host/proxies/math/activationCodes.js';
import { naswotKernel, naswotScore } from '../../../../../host/proxies/math/naswot.js';
import { mulberry32 } from '../../../../../host/ir/init.js';

describe('NASWOT kernel and logdet (ALGORITHMS.md §A.10)', () => {
  it('test vector: codes [1,0], [1,1], [0,0] give K=[[2,1,1],[1,2,0],[1,0,2]], log det 4 = 1.3863', () => {
    const codes = new ActivationCodes(3);
    codes.addLayer([0.5, -1, 2, 3, -0.1, 0]); // ReLU inputs, binarised by > 0
    expect(Array.from(naswotKernel(codes))).toEqual([2, 1, 1, 1, 2, 0, 1, 0, 2]);
    const r = naswotScore(codes);
    expect(r.value).toBeCloseTo(Math.log(4), 12);
    expect(r.value).toBeCloseTo(1.3863, 4);
    expect(r.units).toBe(2);
  });

  it('accumulates over layers: K_ij = N_A - Hamming over all units (checked against a direct count, 70 units)', () => {
    const rand = mulberry32(2);
    const b = 5;
    const layers = [37, 33].map((u) => Float32Array.from({ length: b * u }, () => rand() - 0.5));
    const codes = new ActivationCodes(b);
    layers.forEach((l) => codes.addLayer(l));
    const k = naswotKernel(codes);
    for (let i = 0; i < b; i++) {
      for (let j = 0; j < b; j++) {
        let agree = 0;
        for (const l of layers) {
          const u = l.length / b;
          for (let t = 0; t < u; t++) if (l[i * u + t]! > 0 === l[j * u + t]! > 0) agree++;
        }
        expect(k[i * b + j]).toBe(agree);
      }
    }
  });

  it('two samples with the same code make K singular: -Infinity with a reason', () => {
    const codes = new ActivationCodes(2);
    codes.addLayer([1, 0, 1, 0]);
    const r = naswotScore(codes);
    expect(r.value).toBe(-Infinity);
    expect(r.reason).toContain('singular');
  });

  it('a NaN activation gives -Infinity with a reason', () => {
    const codes = new ActivationCodes(2);
    codes.addLayer([1, NaN, 1, 0], 'cells.0.layers.0.op.0');
    expect(naswotScore(codes).reason).toContain('cells.0.layers.0.op.0 has value NaN (sample 0, unit 1)');
  });

  it('rejects 5 values for a batch of 2 (ZN_SHAPE_MISMATCH)', () => {
    expect(() => new ActivationCodes(2).addLayer([1, 2, 3, 4, 5], 'relu')).toThrow(
      /relu has 5 values, not a positive multiple of the batch size 2/,
    );
  });

  it('popcount32', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0x80000001)).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { zico } from '../../../../../host/proxies/math/zico.js';

describe('ZiCo aggregation (ALGORITHMS.md §A.1)', () => {
  it('the N = 2 closed form equals the mean/std definition on float32 gradients, ties and zeros included', () => {
    const a = Float32Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i) * 10 ** ((i % 5) - 3)));
    const b = Float32Array.from(a, (v, i) => (i % 11 === 0 ? v : v + Math.cos(i) * 10 ** ((i % 3) - 4)));
    let s = 0;
    let nonzero = 0;
    for (let j = 0; j < a.length; j++) {
      const mean = (a[j]! + b[j]!) / 2;
      const sigma = Math.sqrt(((a[j]! - mean) ** 2 + (b[j]! - mean) ** 2) / 2);
      if (sigma !== 0) {
        s += (Math.abs(a[j]!) + Math.abs(b[j]!)) / 2 / sigma;
        nonzero++;
      }
    }
    const r = zico([{ name: 'conv', batches: [a, b] }]);
    expect(r.layers[0]!.nonzeroSigma).toBe(nonzero);
    expect(r.layers[0]!.s).toBeCloseTo(s, 6);
    expect(Math.abs(r.value - Math.log(s))).toBeLessThan(1e-12);
  });

  it('test vector: g1=[1,-1,0,2], g2=[3,1,0,2] gives σ=[1,1,0,0], μ=[2,1,0,2], S=3, term ln 3 = 1.0986', () => {
    const r = zico([
      {
        name: 'conv',
        batches: [
          [1, -1, 0, 2],
          [3, 1, 0, 2],
        ],
      },
    ]);
    expect(r.reason).toBeUndefined();
    expect(r.layers[0]!.s).toBeCloseTo(3, 12);
    expect(r.layers[0]!.nonzeroSigma).toBe(2);
    expect(r.value).toBeCloseTo(Math.log(3), 12);
    expect(r.value).toBeCloseTo(1.0986, 4);
  });

  it('a second layer with batch-invariant gradients contributes 0 (skipped, S=0)', () => {
    const r = zico([
      {
        name: 'a',
        batches: [
          [1, -1, 0, 2],
          [3, 1, 0, 2],
        ],
      },
      {
        name: 'b',
        batches: [
          [0.5, -2],
          [0.5, -2],
        ],
      },
    ]);
    expect(r.layers[1]).toEqual({ name: 'b', s: 0, nonzeroSigma: 0, term: 0 });
    expect(r.value).toBeCloseTo(Math.log(3), 12);
  });

  it('uses the std of the SIGNED gradient: g1=[-1], g2=[1] gives σ=1, μ=1, S=1, term 0 (Eq. 15 would skip it)', () => {
    const r = zico([{ name: 'a', batches: [[-1], [1]] }]);
    expect(r.layers[0]!.s).toBe(1);
    expect(r.layers[0]!.nonzeroSigma).toBe(1);
    expect(r.value).toBe(0);
  });

  it('an all-zero network (every layer skipped) scores exactly 0', () => {
    const r = zico([{ name: 'dead', batches: [new Float32Array(9), new Float32Array(9)] }]);
    expect(r.value).toBe(0);
    expect(r.reason).toBeUndefined();
  });

  it('N=3 batches: population std (ddof 0)', () => {
    // values 1, 2, 6: mean 3, σ = sqrt((4+1+9)/3), μ = 3
    const r = zico([{ name: 'a', batches: [[1], [2], [6]] }]);
    expect(r.layers[0]!.s).toBeCloseTo(3 / Math.sqrt(14 / 3), 12);
  });

  it('a NaN gradient gives -Infinity with a reason naming the layer, index and batch', () => {
    const r = zico([
      {
        name: 'cells.0.layers.0.op.1.weight',
        batches: [
          [1, 2],
          [3, NaN],
        ],
      },
    ]);
    expect(r.value).toBe(-Infinity);
    expect(r.reason).toContain("'cells.0.layers.0.op.1.weight' is NaN at index 1 in batch 1");
  });

  it('rejects batches of different lengths (ZN_SHAPE_MISMATCH)', () => {
    expect(() => zico([{ name: 'a', batches: [[1, 2], [3]] }])).toThrow(/batch 1 has 1 gradient values, batch 0 has 2/);
  });
});

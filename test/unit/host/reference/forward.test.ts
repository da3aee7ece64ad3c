/**
 * The float64 reference forward (the oracle of the exporter and backward tests) on hand-worked vectors, so the
 * oracle itself rests on something independent.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../../host/ir/builder.js';
import { crossEntropyLoss, referenceForward } from '../../../../host/reference/forward.js';

const iota = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i + 1);

describe('referenceForward', () => {
  it('conv2d x=[1,1,3,3] (1..9) w=ones[1,1,2,2] stride 1 gives window sums', () => {
    const b = new GraphBuilder('t');
    b.input([1, 3, 3]);
    const g = b.build(b.conv2d('c', 'input', { outChannels: 1, kernel: 2, bias: false }));
    const out = referenceForward(g, new Map([['c.weight', new Float64Array([1, 1, 1, 1])]]), iota(9), 1, { bnMode: 'train' });
    expect([...out.get('c')!]).toEqual([12, 16, 24, 28]);
  });

  it('conv2d x=[1,1,5,5] dilation 2 stride 2 pad 2, bias 1: taps 2 apart', () => {
    const b = new GraphBuilder('t');
    b.input([1, 5, 5]);
    const g = b.build(b.conv2d('c', 'input', { outChannels: 1, kernel: 2, dilation: 2, stride: 2, padding: 2 }));
    const w = new Map([['c.weight', new Float64Array([1, 0, 0, 1])], ['c.bias', new Float64Array([1])]]);
    const out = referenceForward(g, w, iota(25), 1, { bnMode: 'train' }).get('c')!;
    // Ho = floor((5 + 4 − 2 − 1)/2) + 1 = 4; y[i][j] = 1 + x[2i−2][2j−2] + x[2i][2j] (zero outside the image)
    const x = (r: number, c: number): number => (r >= 0 && r < 5 && c >= 0 && c < 5 ? r * 5 + c + 1 : 0);
    const expected = [];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expected.push(1 + x(2 * i - 2, 2 * j - 2) + x(2 * i, 2 * j));
    expect(expected.slice(0, 6)).toEqual([2, 4, 6, 1, 12, 15]);
    expect([...out]).toEqual(expected);
  });

  it('batchNorm train on one channel [1,2,3,4]: biased variance for normalisation, unbiased reported', () => {
    const b = new GraphBuilder('t');
    b.input([1, 1, 1]);
    const g = b.build(b.batchNorm('bn', 'input', { eps: 0 }));
    const stats = new Map<string, { mean: Float64Array; variance: Float64Array }>();
    const w = new Map([['bn.weight', new Float64Array([2])], ['bn.bias', new Float64Array([1])]]);
    const out = referenceForward(g, w, new Float64Array([1, 2, 3, 4]), 4, { bnMode: 'train', bnStats: stats }).get('bn')!;
    const s = Math.sqrt(1.25);
    [...out].forEach((v, i) => expect(v).toBeCloseTo((2 * (i + 1 - 2.5)) / s + 1, 12));
    expect(stats.get('bn')!.mean[0]).toBe(2.5);
    expect(stats.get('bn')!.variance[0]).toBeCloseTo(5 / 3, 12);
  });

  it('batchNorm eval uses running statistics', () => {
    const b = new GraphBuilder('t');
    b.input([1]);
    const g = b.build(b.batchNorm('bn', 'input', { eps: 0 }));
    const w = new Map([
      ['bn.weight', new Float64Array([1])], ['bn.bias', new Float64Array([0])],
      ['bn.running_mean', new Float64Array([1])], ['bn.running_var', new Float64Array([4])],
    ]);
    expect([...referenceForward(g, w, new Float64Array([3, 5]), 2, { bnMode: 'eval' }).get('bn')!]).toEqual([1, 2]);
  });

  it('avgPool k3 s1 p1 on 3x3 ones*(1..9): countIncludePad false divides border windows by real pixels', () => {
    for (const countIncludePad of [false, true]) {
      const b = new GraphBuilder('t');
      b.input([1, 3, 3]);
      const g = b.build(b.avgPool('p', 'input', { kernel: 3, stride: 1, padding: 1, countIncludePad }));
      const out = referenceForward(g, new Map(), iota(9), 1, { bnMode: 'train' }).get('p')!;
      // corner: (1+2+4+5) over 4 real pixels (or 9); centre: 45/9
      expect(out[0]).toBeCloseTo(countIncludePad ? 12 / 9 : 3, 12);
      expect(out[4]).toBeCloseTo(5, 12);
      expect(out[1]).toBeCloseTo(countIncludePad ? 21 / 9 : 21 / 6, 12);
    }
  });

  it('maxPool k3 s2 p1 ignores padding; relu6, hardSwish and zero act elementwise', () => {
    const b = new GraphBuilder('t');
    b.input([1, 3, 3]);
    const g = b.build(b.maxPool('p', 'input', { kernel: 3, stride: 2, padding: 1 }));
    const neg = iota(9).map((v) => -v);
    expect([...referenceForward(g, new Map(), neg, 1, { bnMode: 'train' }).get('p')!]).toEqual([-1, -2, -4, -5]); // each 2x2 output window holds its top-left real pixel's max

    const b2 = new GraphBuilder('t');
    b2.input([5]);
    b2.relu6('r6', 'input');
    b2.zero('z', 'input');
    const g2 = b2.build(b2.hardSwish('hs', 'input'));
    const vals = referenceForward(g2, new Map(), new Float64Array([-4, -1, 0, 2, 7]), 1, { bnMode: 'train' });
    expect([...vals.get('r6')!]).toEqual([0, 0, 0, 2, 6]);
    expect([...vals.get('z')!]).toEqual([0, 0, 0, 0, 0]);
    const hs = [...vals.get('hs')!];
    [0, -1 / 3, 0, 5 / 3, 7].forEach((v, i) => expect(hs[i]).toBeCloseTo(v, 12));
  });

  it('crossEntropyLoss: equal logits give ln K; a confident right answer gives ~0', () => {
    expect(crossEntropyLoss(new Float64Array([0, 0, 0, 0]), [0, 1], 2)).toBeCloseTo(Math.log(2), 12);
    expect(crossEntropyLoss(new Float64Array([50, 0]), [0], 1)).toBeCloseTo(0, 12);
  });
});

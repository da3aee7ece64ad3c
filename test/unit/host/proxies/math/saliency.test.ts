import { describe, expect, it } from 'vitest';
import {
  gradNormGlobal,
  gradNormSum,
  graspScore,
  l2NormScore,
  plainScore,
  snipScore,
  synflowScore,
} from '../../../../../host/proxies/math/saliency.js';

const layers = [
  { name: 'a', weight: [1, -2], other: [3, 4] },
  { name: 'b', weight: [0.5], other: [-2] },
];

describe('gradient-saliency sums (ALGORITHMS.md §A.4-§A.8, §A.13)', () => {
  it('grad_norm (survey §A.4) is Σ_l ‖g_l‖: ‖[3,4]‖ + ‖[-2]‖ = 7; the ZiCo-repo global norm is sqrt(29)', () => {
    const grads = [
      { name: 'a', values: [3, 4] },
      { name: 'b', values: [-2] },
    ];
    expect(gradNormSum(grads)).toEqual({ value: 7 });
    expect(gradNormGlobal(grads).value).toBeCloseTo(Math.sqrt(29), 14);
  });

  it('snip (§A.5) takes |W⊙g| per element: 3 + 8 + 1 = 12; plain (§A.13) keeps the sign: 3 - 8 - 1 = -6', () => {
    expect(snipScore(layers)).toEqual({ value: 12 });
    expect(plainScore(layers)).toEqual({ value: -6 });
  });

  it('grasp (§A.6) is Σ -W⊙(Hg): -(3 - 8 - 1) = 6', () => {
    expect(graspScore(layers)).toEqual({ value: 6 });
  });

  it('synflow (§A.8) is Σ |W⊙∂R/∂W| on |W|', () => {
    expect(synflowScore([{ name: 'a', weight: [1, 2], other: [3, -4] }])).toEqual({ value: 11 });
  });

  it('l2_norm (§A.13) is Σ_l ‖W_l‖: ‖[3,4]‖ + ‖[12,5]‖ = 18', () => {
    expect(
      l2NormScore([
        { name: 'a', values: [3, 4] },
        { name: 'b', values: [12, 5] },
      ]),
    ).toEqual({ value: 18 });
  });

  it('an infinite sum gives -Infinity with a reason', () => {
    expect(snipScore([{ name: 'a', weight: [1e308], other: [1e308] }]).reason).toContain('snip sum is Infinity');
  });

  it('rejects mismatched weight and gradient lengths (ZN_SHAPE_MISMATCH naming the layer)', () => {
    expect(() => snipScore([{ name: 'stem.0', weight: [1, 2], other: [1] }])).toThrow(
      /'stem.0' has 2 weights but 1 gradient values/,
    );
  });
});

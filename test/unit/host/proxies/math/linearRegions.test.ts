import { describe, expect, it } from 'vitest';
import { ActivationCodes } from '../../../../../host/proxies/math/activationCodes.js';
import { linearRegionCount } from '../../../../../host/proxies/math/linearRegions.js';

describe('linear-region count (ALGORITHMS.md §A.12)', () => {
  it('test vector: codes [1,0], [1,0], [0,1] give 2 regions', () => {
    const codes = new ActivationCodes(3);
    codes.addLayer([0.3, 0, 2, 0, 0, 5]); // ReLU outputs
    expect(linearRegionCount(codes)).toEqual({ value: 2 });
  });

  it('patterns are compared across all layers: equal in layer 1 but not in layer 2 means distinct', () => {
    const codes = new ActivationCodes(3);
    codes.addLayer([1, 0, 1, 0, 1, 0]);
    codes.addLayer(Float32Array.from({ length: 3 * 40 }, (_, i) => (i === 40 + 39 ? 1 : 0)));
    expect(linearRegionCount(codes).value).toBe(2);
  });

  it('equals Σ_i 1/|{j: A_j = A_i}| of the reference on 6 samples with 3 patterns', () => {
    const codes = new ActivationCodes(6);
    codes.addLayer([1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1].map((v) => v * 0.7));
    // patterns: 110, 111, 001, 110, 110, 111 -> 3 distinct; reference sum 3*(1/3) + 2*(1/2) + 1 = 3
    expect(linearRegionCount(codes).value).toBe(3);
  });

  it('no recorded ReLU gives -Infinity with a reason', () => {
    expect(linearRegionCount(new ActivationCodes(4)).reason).toContain('no ReLU');
  });
});

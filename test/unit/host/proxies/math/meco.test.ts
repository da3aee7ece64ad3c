import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../../../host/ir/builder.js';
import { minCorrelationEigenvalue, moduleCalls } from '../../../../../host/proxies/math/meco.js';
import * as meco from '../../../../../host/proxies/math/meco.js';
import { mulberry32 } from '../../../../../shared/random.js';

describe('MeCo pieces', () => {
  it('λ_min of the channel correlation: 1 for uncorrelated channels, 0 for duplicated or dead ones, 0 without two observations', () => {
    // Two channels over four positions, exactly uncorrelated: correlation matrix = identity.
    expect(minCorrelationEigenvalue([1, -1, 1, -1, 1, 1, -1, -1], 2)).toBeCloseTo(1, 12);
    // Identical channels: correlation all ones, eigenvalues 0 and 2.
    expect(minCorrelationEigenvalue([1, 2, 3, 4, 1, 2, 3, 4], 2)).toBeCloseTo(0, 12);
    // A dead (constant) channel: its row and column are NaN in corrcoef, set to 0, so λ_min = 0.
    expect(minCorrelationEigenvalue([1, 2, 3, 4, 5, 5, 5, 5], 2)).toBe(0);
    expect(minCorrelationEigenvalue([1, 2, 3], 3)).toBe(0); // 3 channels, 1 position each
  });

  it('counts each module call: layers once, called containers at their last layer, ModuleLists and the root never', () => {
    const b = new GraphBuilder('t');
    let x = b.input([3, 8, 8]);
    x = b.conv2d('stem.0', x, { outChannels: 4, kernel: 3, padding: 1 });
    x = b.batchNorm('stem.1', x);
    const y = b.relu('blocks.0.op.0', x);
    const z = b.add('blocks.0.sum', [x, y]);
    x = b.flatten('flatten', b.globalAvgPool('pool', z));
    const g = b.build(b.linear('head', x, { outFeatures: 2 }), { moduleLists: 'blocks' });
    const calls = moduleCalls(g)!;
    // layers: stem.0, stem.1, blocks.0.op.0, pool, head; containers: stem (-> stem.1), blocks.0 (-> blocks.0.sum),
    // blocks.0.op (-> blocks.0.op.0); not 'blocks' (a ModuleList), not the add or flatten (functional).
    expect([...calls].sort()).toEqual(['blocks.0.op.0', 'blocks.0.op.0', 'blocks.0.sum', 'head', 'pool', 'stem.0', 'stem.1', 'stem.1'].sort());
    expect(moduleCalls(b.build('head'))).toBeNull(); // no module structure recorded
  });
});

describe('MeCo_opt: 8 sampled channels per call', () => {
  const { sampledMinCorrelationEigenvalue, minCorrelationEigenvalue: full, MECO_OPT_CHANNELS } = meco;
  const activation = (channels: number, p: number, seed: number): Float32Array => {
    const r = mulberry32(seed);
    // Correlated channels: a shared component plus noise, so λ_min is well away from 0.
    const shared = Array.from({ length: p }, () => r());
    return Float32Array.from({ length: channels * p }, (_, i) => shared[i % p]! * ((i / p) % 3) + r());
  };
  it('is λ_min of a sampled principal submatrix times C/8: never below the full λ_min times C/8 (Cauchy interlacing)', () => {
    for (let seed = 0; seed < 5; seed++) {
      const a = activation(32, 64, seed);
      const v = sampledMinCorrelationEigenvalue(a, 32, mulberry32(seed + 100));
      expect(v).toBeGreaterThanOrEqual((full(a, 32) * 32) / MECO_OPT_CHANNELS - 1e-12);
      expect(v).toBeLessThanOrEqual(32 / MECO_OPT_CHANNELS + 1e-12); // λ_min of a correlation matrix is at most 1
      expect(sampledMinCorrelationEigenvalue(a, 32, mulberry32(seed + 100))).toBe(v); // same stream, same sample
    }
  });
  it('uses every channel when there are at most 8', () => {
    const a = activation(8, 50, 3);
    expect(sampledMinCorrelationEigenvalue(a, 8, mulberry32(1))).toBe(full(a, 8));
  });
  it('equals the λ_min of the chosen 8 rows (rows picked by the same stream)', () => {
    const a = activation(20, 40, 9);
    const r = mulberry32(7);
    const order = Array.from({ length: 20 }, (_, i) => i);
    for (let i = 0; i < 8; i++) {
      const j = i + Math.floor(r() * (20 - i));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const rows = Float32Array.from(order.slice(0, 8).flatMap((c) => Array.from(a.subarray(c * 40, (c + 1) * 40))));
    expect(sampledMinCorrelationEigenvalue(a, 20, mulberry32(7))).toBeCloseTo((full(rows, 8) * 20) / 8, 12);
  });
});

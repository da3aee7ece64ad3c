import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../../../host/ir/builder.js';
import { minCorrelationEigenvalue, moduleCalls } from '../../../../../host/proxies/math/meco.js';

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

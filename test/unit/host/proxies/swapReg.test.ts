/**
 * SWAP-reg (PROXIES_SOTA.md §3, `cal_regular_factor`): SWAP × exp(−(P/1e3 − μ)²/σ) with P the trainable parameter
 * count in thousands, as the official code counts it. Checked against the formula written out by hand, and against
 * SWAP itself on a real NB201 cell (same weights, same images: the factor is the only difference).
 */
import { describe, expect, it } from 'vitest';
import { openDataset, selectBatches } from '../../../../host/data/index.js';
import { analyticMetrics } from '../../../../host/metrics/analytic.js';
import { SWAP_REG_MU_KPARAMS, SWAP_REG_SIGMA, swapProxy, swapRegFactor, swapRegProxy } from '../../../../host/proxies/activationProxies.js';
import { buildNb201Network } from '../../../../host/spaces/nb201.js';

describe('SWAP-reg', () => {
  it('the factor is 1 at μ and e^-1 one √σ away, in thousands of parameters', () => {
    expect(swapRegFactor(SWAP_REG_MU_KPARAMS * 1e3)).toBe(1);
    const off = (SWAP_REG_MU_KPARAMS + Math.sqrt(SWAP_REG_SIGMA)) * 1e3;
    expect(swapRegFactor(off)).toBeCloseTo(Math.exp(-1), 12);
    expect(swapRegFactor(2 * SWAP_REG_MU_KPARAMS * 1e3 - off)).toBeCloseTo(Math.exp(-1), 12); // symmetric around μ
    expect(swapRegFactor(500e3, 400, 2500)).toBeCloseTo(Math.exp(-(100 ** 2) / 2500), 12);
  });

  it('on an NB201 cell it is SWAP times the factor of the cell’s parameter count', async () => {
    const graph = buildNb201Network('|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|');
    const batches = selectBatches(openDataset(), { batchSize: 16, batches: 1, seed: 'first' });
    const [plain, reg] = [await swapProxy.score({ graph, batches, seed: 0 }), await swapRegProxy.score({ graph, batches, seed: 0 })];
    expect(plain.ok && reg.ok).toBe(true);
    const params = analyticMetrics(graph).params;
    expect(params).toBeGreaterThan(1e5);
    if (plain.ok && reg.ok) expect(reg.value).toBe(plain.value * swapRegFactor(params));
  });
});

import { describe, expect, it } from 'vitest';
import { runSearch } from '../../../../host/search/index.js';
import { createNb201Space } from '../../../../host/spaces/nb201Space.js';
import { createFlashSpace, flashFeatures, flashNnDegree, type FlashArch } from '../../../../host/spaces/flash.js';
import type { Nb201Cell } from '../../../../host/spaces/nb201.js';

const space = createNb201Space();
const score = (c: Nb201Cell): number => c.filter((o) => o === 'nor_conv_3x3').length + 0.5 * c.filter((o) => o === 'nor_conv_1x1').length;
const costs = { pi3b: (c: Nb201Cell) => ({ latencyMs: 1 + 2 * c.filter((o) => o === 'nor_conv_3x3').length }) };

describe('runSearch', () => {
  it("algo 'evolution' returns best, fronts and a resumable state", async () => {
    const r = await runSearch({ space, algo: 'evolution', score, costs, budgets: { targets: { pi3b: { latencyMs: 5 } } }, iterations: 200, seed: 1, evolution: { populationSize: 20 } });
    expect(r.best).toBeDefined();
    expect(r.best!.costs.pi3b!.latencyMs!).toBeLessThanOrEqual(5);
    expect(r.fronts.pi3b!.length).toBeGreaterThan(0);
    expect(r.state?.algo).toBe('evolution');
  });

  it("algo 'nsga2' returns the feasible set best first", async () => {
    const r = await runSearch({ space, algo: 'nsga2', score, costs, budgets: { targets: { pi3b: { latencyMs: 5 } } }, iterations: 3, seed: 2, nsga2: { populationSize: 10 } });
    expect(r.best?.arch).toBe(r.feasible[0]?.arch);
    expect(r.front.length).toBeGreaterThan(0);
  });

  it("algo 'flash' fits the predictor on 25 proxy-scored samples and returns a feasible lattice arch", async () => {
    const proxy = (a: FlashArch): number => 3 + 2 * Math.log(flashNnDegree(a)) + Math.log(flashFeatures(a).params);
    const lat = (a: FlashArch) => ({ latencyMs: 2 + 1e-6 * flashFeatures(a).macs });
    const r = await runSearch({ space: createFlashSpace(), algo: 'flash', score: proxy, costs: { pi3b: lat }, budgets: { targets: { pi3b: { latencyMs: 120 } } }, iterations: 1, seed: 0 });
    expect(r.flash?.predictor?.coef[1]).toBeCloseTo(2, 6);
    expect(r.best).toBeDefined();
    expect(r.best!.costs.pi3b!.latencyMs!).toBeLessThanOrEqual(120);
  });

  it("refuses 'flash' on another space (ZN_BAD_ARGUMENT)", async () => {
    await expect(runSearch({ space, algo: 'flash', score, iterations: 1, seed: 0 })).rejects.toMatchObject({ code: 'ZN_BAD_ARGUMENT', message: expect.stringContaining("got 'nb201'") });
  });

  it('refuses a saved state of another algorithm (ZN_BAD_ARGUMENT)', async () => {
    const r = await runSearch({ space, algo: 'evolution', score, iterations: 5, seed: 1 });
    await expect(runSearch({ space, algo: 'nsga2', score, iterations: 5, seed: 1, state: r.state })).rejects.toMatchObject({ code: 'ZN_BAD_ARGUMENT', message: expect.stringContaining("'evolution'") });
  });
});

import { describe, expect, it } from 'vitest';
import { FLASH_MIN_SAMPLES, runSearch } from '../../../../host/search/index.js';
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

  describe("algo 'flash' and its scoring cap, progress, stop and labels", () => {
    const proxy = (a: FlashArch): number => 3 + 2 * Math.log(flashNnDegree(a)) + Math.log(flashFeatures(a).params);
    const counted = (): { score: (a: FlashArch) => number; calls: () => number } => {
      let n = 0;
      return { score: (a) => (n++, proxy(a)), calls: () => n };
    };

    it('scores at most flash.maxScored Sobol samples and fits the predictor on them', async () => {
      const c = counted();
      const r = await runSearch({ space: createFlashSpace(), algo: 'flash', score: c.score, iterations: 1, seed: 0, flash: { maxScored: 6 } });
      expect(c.calls()).toBe(6);
      expect(r.flash?.scores).toMatchObject({ predicted: true, fittedOn: 6 });
      expect(r.flash?.predictor?.coef[1]).toBeCloseTo(2, 6); // the proxy is exactly of the predictor's form
    });

    it('refuses a cap below the predictor minimum, naming it (ZN_BAD_ARGUMENT), before scoring anything', async () => {
      const c = counted();
      await expect(runSearch({ space: createFlashSpace(), algo: 'flash', score: c.score, iterations: 1, seed: 0, flash: { maxScored: 3 } })).rejects.toMatchObject({
        code: 'ZN_BAD_ARGUMENT',
        message: expect.stringContaining(`at least ${FLASH_MIN_SAMPLES} scored architectures, but max-scored 3 allows 3`),
      });
      expect(c.calls()).toBe(0);
    });

    it('reports each sample scored and each SHGO iteration, and stops SHGO between iterations when the signal aborts', async () => {
      const abort = new AbortController();
      const seen: string[] = [];
      const r = await runSearch({
        space: createFlashSpace(),
        algo: 'flash',
        score: proxy,
        iterations: 10,
        seed: 0,
        flash: { samples: 5 },
        signal: abort.signal,
        onProgress: (p) => {
          seen.push(`${p.phase} ${p.iteration}/${p.total}`);
          if (p.phase === 'SHGO on the fitted predictor' && p.iteration === 2) abort.abort();
        },
      });
      expect(seen).toEqual([1, 2, 3, 4, 5].map((i) => `scoring predictor samples ${i}/5`).concat(['SHGO on the fitted predictor 1/10', 'SHGO on the fitted predictor 2/10']));
      expect(r.stopped).toBe(true);
      expect(r.flash?.result.iterations).toEqual({ done: 2, asked: 10, stopped: true });
      expect(r.best).toBeDefined(); // the lattice step still ran on the minima found
    });

    it("labels the best's score as the fitted predictor's, not a measured proxy score", async () => {
      const r = await runSearch({ space: createFlashSpace(), algo: 'flash', score: (a: FlashArch) => proxy(a) + (a.depth[0]! % 2), iterations: 1, seed: 0 });
      const coef = r.flash!.predictor!.coef;
      const best = createFlashSpace().parse(r.best!.arch);
      const predicted = coef[0] + coef[1] * Math.log(flashNnDegree(best)) + coef[2] * Math.log(flashFeatures(best).params);
      expect(r.best!.score).toBeCloseTo(predicted, 9);
      expect(r.flash!.scores).toMatchObject({ predicted: true, fittedOn: 25 });
      // the unconstrained best (top of every range) is not one of the 25 samples, so no measured score exists for it
      expect(r.flash!.scores.bestMeasured).toBeUndefined();
    });
  });

  it("refuses 'flash' on another space (ZN_BAD_ARGUMENT)", async () => {
    await expect(runSearch({ space, algo: 'flash', score, iterations: 1, seed: 0 })).rejects.toMatchObject({ code: 'ZN_BAD_ARGUMENT', message: expect.stringContaining("got 'nb201'") });
  });

  it('refuses a saved state of another algorithm (ZN_BAD_ARGUMENT)', async () => {
    const r = await runSearch({ space, algo: 'evolution', score, iterations: 5, seed: 1 });
    await expect(runSearch({ space, algo: 'nsga2', score, iterations: 5, seed: 1, state: r.state })).rejects.toMatchObject({ code: 'ZN_BAD_ARGUMENT', message: expect.stringContaining("'evolution'") });
  });
});

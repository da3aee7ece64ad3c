import { describe, expect, it } from 'vitest';
import { fitFlashPredictor, flashCoOptimize, flashSobolSamples, leastSquares } from '../../../../host/search/flash.js';
import { flashFeatures, flashNnDegree, type FlashArch } from '../../../../host/spaces/flash.js';

describe('FLASH accuracy predictor (§D.2 inferred form)', () => {
  it('least squares recovers an exact linear model', () => {
    const X = [[1, 0, 1], [1, 1, 0], [1, 2, 3], [1, 5, 1], [1, 3, 3]];
    const y = X.map((r) => 2 + 3 * r[1]! - 0.5 * r[2]!);
    leastSquares(X, y).forEach((c, i) => expect(c).toBeCloseTo([2, 3, -0.5][i]!, 10));
  });

  it('fits acc = a + b ln g + c ln P exactly on 25 Sobol lattice samples', () => {
    const samples = flashSobolSamples(25).map((arch) => ({
      arch,
      accuracy: 10 + 7 * Math.log(flashNnDegree(arch)) + 1.5 * Math.log(flashFeatures(arch).params),
    }));
    expect(new Set(samples.map((s) => JSON.stringify(s.arch))).size).toBe(25);
    const p = fitFlashPredictor(samples);
    expect(p.coef[0]).toBeCloseTo(10, 6);
    expect(p.coef[1]).toBeCloseTo(7, 6);
    expect(p.coef[2]).toBeCloseTo(1.5, 6);
    expect(p.looRmse).toBeLessThan(1e-6);
  });

  it('rejects fewer than 4 samples (ZN_BAD_ARGUMENT)', () => {
    expect(() => fitFlashPredictor(flashSobolSamples(3).map((arch) => ({ arch, accuracy: 1 })))).toThrow(
      expect.objectContaining({ code: 'ZN_BAD_ARGUMENT', message: expect.stringContaining('got 3') }),
    );
  });
});

describe('FLASH hierarchical co-optimisation (§D.4 inferred)', () => {
  const accuracy = (a: FlashArch): number => 10 + 7 * Math.log(flashNnDegree(a)) + 1.5 * Math.log(flashFeatures(a).params);
  const latencyMs = (a: FlashArch): number => {
    const f = flashFeatures(a);
    return 2 + 1e-6 * f.macs + 2e-6 * f.params + 0.05 * f.layers;
  };

  it('returns a feasible lattice architecture better than every feasible neighbour sample', () => {
    const budget = 150;
    const r = flashCoOptimize({ accuracy, costs: { pi: (a) => ({ latencyMs: latencyMs(a) }) }, budgets: { pi: { latencyMs: budget } } });
    expect(r.best).toBeDefined();
    const b = r.best!;
    expect(latencyMs(b.arch)).toBeLessThanOrEqual(budget);
    b.arch.depth.forEach((d) => expect(Number.isInteger(d)).toBe(true));
    b.arch.width.forEach((w) => expect(w % 8).toBe(0));
    b.arch.skip.forEach((t) => expect(t % 8).toBe(0));
    // better than any feasible Sobol lattice sample
    for (const s of flashSobolSamples(64)) if (latencyMs(s) <= budget) expect(accuracy(s)).toBeLessThanOrEqual(b.accuracy + 1e-9);
    expect(r.continuous.length).toBeGreaterThan(0);
  });

  it('without a budget maximises the predictor at the top of every range', () => {
    const r = flashCoOptimize({ accuracy });
    expect(r.best!.arch).toEqual({ depth: [17, 17, 17], width: [128, 128, 128], skip: [120, 120, 120] });
  });
});

import { describe, expect, it } from 'vitest';
import { nsga2Search } from '../../../../host/search/nsga2.js';
import { dominates } from '../../../../host/search/pareto.js';
import type { ArchMetrics, Rng, SearchSpace } from '../../../../host/spaces/searchSpace.js';
import { randomInt } from '../../../../host/spaces/searchSpace.js';
import { createNb201Space } from '../../../../host/spaces/nb201Space.js';
import type { Nb201Cell } from '../../../../host/spaces/nb201.js';

/**
 * Toy bi-objective space: integers x in 0..100; score = x (maximise), cost = x^2 / 100 + (x mod 7) (minimise).
 * The true front is computable by brute force.
 */
const N = 101;
const toySpace: SearchSpace<number> = {
  name: 'toy',
  evolutionMutations: { bootstrap: 1, population: 1 },
  initial: () => 0,
  sample: (rng: Rng) => randomInt(rng, N),
  mutate: (x, rng) => Math.max(0, Math.min(N - 1, x + (randomInt(rng, 11) - 5))),
  neighbourhood: (x) => [x - 1, x + 1].filter((v) => v >= 0 && v < N),
  key: String,
  format: String,
  parse: Number,
  toGraph: () => {
    throw new Error('not needed');
  },
  metrics: (): ArchMetrics => ({ params: 0, flops: 0, layers: 0 }),
};
const cost = (x: number): number => (x * x) / 100 + (x % 7);
const trueFront = (): number[] => {
  const all = Array.from({ length: N }, (_, x) => x);
  return all.filter((x) => !all.some((y) => dominates([-y, cost(y)], [-x, cost(x)])));
};

describe('NSGA-II', () => {
  it('finds the exact front of a toy bi-objective problem', async () => {
    const r = await nsga2Search({ space: toySpace, score: (x) => x, costs: { dev: (x) => ({ latencyMs: cost(x) }) }, generations: 30, populationSize: 24, seed: 1 });
    const found = r.front.map((p) => Number(p.arch)).sort((a, b) => a - b);
    // every reported point is truly non-dominated, and most of the true front is found
    const truth = trueFront();
    for (const x of found) expect(truth).toContain(x);
    expect(found.length).toBeGreaterThanOrEqual(Math.floor(truth.length * 0.8));
  });

  it('is deterministic per seed and resumable from JSON', async () => {
    const opts = { space: toySpace, score: (x: number) => x, costs: { dev: (x: number) => ({ latencyMs: cost(x) }) }, populationSize: 12, seed: 2 };
    const full = await nsga2Search({ ...opts, generations: 10 });
    const again = await nsga2Search({ ...opts, generations: 10 });
    expect(again.front.map((p) => p.arch)).toEqual(full.front.map((p) => p.arch));
    const half = await nsga2Search({ ...opts, generations: 5 });
    const resumed = await nsga2Search({ ...opts, generations: 10, state: JSON.parse(JSON.stringify(half.state)) });
    expect(resumed.population.map((p) => p.arch)).toEqual(full.population.map((p) => p.arch));
  });

  it('two targets: one front per target plus the set meeting both budgets', async () => {
    const space = createNb201Space();
    const conv = (c: Nb201Cell): number => c.filter((o) => o === 'nor_conv_3x3').length;
    const pool = (c: Nb201Cell): number => c.filter((o) => o === 'avg_pool_3x3').length;
    const score = (c: Nb201Cell): number => conv(c) + 0.3 * c.filter((o) => o === 'nor_conv_1x1').length + 0.1 * pool(c);
    const r = await nsga2Search({
      space,
      score,
      costs: { pi: (c) => ({ latencyMs: 1 + 2 * conv(c) }), gpu: (c) => ({ latencyMs: 1 + 3 * pool(c) + 0.2 * conv(c) }) },
      budgets: { targets: { pi: { latencyMs: 7 }, gpu: { latencyMs: 2 } } },
      generations: 6,
      populationSize: 16,
      seed: 3,
    });
    expect(Object.keys(r.fronts).sort()).toEqual(['gpu', 'pi']);
    for (const p of r.feasible) {
      expect(p.costs.pi!.latencyMs!).toBeLessThanOrEqual(7);
      expect(p.costs.gpu!.latencyMs!).toBeLessThanOrEqual(2);
    }
    for (const p of r.fronts.pi!) expect(p.costs.pi!.latencyMs!).toBeLessThanOrEqual(7);
    for (const p of r.fronts.gpu!) expect(p.costs.gpu!.latencyMs!).toBeLessThanOrEqual(2);
    // within a target's front no member dominates another in (score ↑, that latency ↓)
    for (const t of ['pi', 'gpu']) {
      const f = r.fronts[t]!;
      for (const a of f) for (const b of f) expect(dominates([-a.score, a.costs[t]!.latencyMs!], [-b.score, b.costs[t]!.latencyMs!])).toBe(false);
    }
    expect(r.feasible.length).toBeGreaterThan(0);
    for (let i = 1; i < r.feasible.length; i++) expect(r.feasible[i]!.score).toBeLessThanOrEqual(r.feasible[i - 1]!.score);
  });
});

describe('NSGA-II evaluating several candidates at once (a scoring queue)', () => {
  it('gives the same result as one at a time, with failures and answers arriving out of order', async () => {
    const run = async (parallel: number) => {
      let inFlight = 0;
      let maxInFlight = 0;
      const r = await nsga2Search({
        space: toySpace,
        // Every 9th value fails to score; answers come back after a value-dependent delay, so out of order.
        score: async (x: number) => {
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          await new Promise((resolve) => setTimeout(resolve, (x * 37) % 4));
          inFlight--;
          return x % 9 === 4 ? { ok: false as const, reason: 'no score' } : x;
        },
        costs: { dev: (x: number) => ({ latencyMs: cost(x) }) },
        generations: 6,
        populationSize: 12,
        seed: 5,
        parallel,
      });
      return { r, maxInFlight };
    };
    const [one, many] = [await run(1), await run(8)];
    expect(one.maxInFlight).toBe(1);
    expect(many.maxInFlight).toBeGreaterThan(1);
    expect(many.r.front.map((a) => a.key)).toEqual(one.r.front.map((a) => a.key));
    expect(many.r.population.map((a) => a.key)).toEqual(one.r.population.map((a) => a.key));
    expect(many.r.state.rngState).toBe(one.r.state.rngState);
    expect(Object.keys(many.r.state.cache.scores).sort()).toEqual(Object.keys(one.r.state.cache.scores).sort());
  });
});

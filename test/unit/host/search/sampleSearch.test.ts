import { describe, expect, it } from 'vitest';
import { runSearch } from '../../../../host/search/index.js';
import { sampleSearch } from '../../../../host/search/sampleSearch.js';
import { createNb201Space } from '../../../../host/spaces/nb201Space.js';
import { cellToCode, isNb201Disconnected, NB201_SPACE_SIZE, cellFromCode, type Nb201Cell } from '../../../../host/spaces/nb201.js';

const space = createNb201Space();
const convs = (cell: Nb201Cell): number => cell.filter((op) => op === 'nor_conv_3x3').length;
/** Toy proxy: 3x3 convs count, a code-based term breaks ties. */
const toyScore = (cell: Nb201Cell): number => convs(cell) + cellToCode(cell) * 1e-6;
/** Toy latency: 1 ms per 3x3 conv. */
const toyLatency = (cell: Nb201Cell): { latencyMs: number } => ({ latencyMs: convs(cell) });

describe('budget-first sample search', () => {
  it('checks budgets and degeneracy before scoring, scores at most maxScored distinct cells, returns the best', async () => {
    const scoredCells: Nb201Cell[] = [];
    const r = await sampleSearch({
      space,
      proxies: { toy: (c) => (scoredCells.push(c), toyScore(c)) },
      costs: { pi: toyLatency },
      budgets: { targets: { pi: { latencyMs: 2 } } },
      maxScored: 60,
      seed: 4,
      isDegenerate: isNb201Disconnected,
    });
    expect(scoredCells).toHaveLength(60);
    expect(new Set(scoredCells.map((c) => cellToCode(c))).size).toBe(60);
    for (const c of scoredCells) {
      expect(convs(c)).toBeLessThanOrEqual(2);
      expect(isNb201Disconnected(c)).toBe(false);
    }
    expect(r.skipped.budget).toBeGreaterThan(0);
    expect(r.skipped.degenerate).toBeGreaterThan(0);
    const best = Math.max(...scoredCells.map(toyScore));
    expect(r.best!.score).toBe(best);
    expect(r.scored.map((s) => s.score)).toEqual([...r.scored.map((s) => s.score)].sort((a, b) => b - a));
    expect(r.best!.costs.pi!.latencyMs).toBeLessThanOrEqual(2);
  });

  it('scoring a window at once (a scoring queue) scores the same cells and picks the same, whatever order answers come in', async () => {
    const run = async (parallel: number) => {
      let inFlight = 0;
      let maxInFlight = 0;
      // Answers arrive out of order: each waits a pseudo-random few ms.
      const slowScore = async (c: Nb201Cell): Promise<number> => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, (cellToCode(c) * 7919) % 5));
        inFlight--;
        return toyScore(c);
      };
      const r = await sampleSearch({
        space,
        proxies: { toy: slowScore, convs: (c) => convs(c) },
        aggregate: 'rank-sum',
        costs: { pi: toyLatency },
        budgets: { targets: { pi: { latencyMs: 3 } } },
        maxScored: 40,
        seed: 9,
        isDegenerate: isNb201Disconnected,
        parallel,
      });
      return { r, maxInFlight };
    };
    const [one, many] = [await run(1), await run(16)];
    expect(one.maxInFlight).toBe(1);
    expect(many.maxInFlight).toBe(16);
    expect(many.r.scored.map((x) => [x.key, x.score])).toEqual(one.r.scored.map((x) => [x.key, x.score]));
    expect(many.r.best!.key).toBe(one.r.best!.key);
    expect(many.r.skipped).toEqual(one.r.skipped);
  });

  it('is deterministic per seed, and draws from a given candidate stream in order', async () => {
    const run = (seed: number) => sampleSearch({ space, proxies: { toy: toyScore }, maxScored: 20, seed });
    expect((await run(1)).scored.map((s) => s.key)).toEqual((await run(1)).scored.map((s) => s.key));
    expect((await run(1)).scored.map((s) => s.key)).not.toEqual((await run(2)).scored.map((s) => s.key));
    const list = [5, 5, 17, 900, 15_000].map(cellFromCode);
    const r = await sampleSearch({ space, proxies: { toy: toyScore }, maxScored: 10, seed: 0, candidates: list });
    expect(r.draws).toBe(5);
    expect(r.skipped.duplicate).toBe(1);
    expect(r.scored.map((s) => Number(s.key)).sort((a, b) => a - b)).toEqual([5, 17, 900, 15_000]);
  });

  it('combines several proxies by rank over the scored set and keeps the raw scores', async () => {
    // Proxy A prefers high codes, proxy B low codes; a third favours the middle: rank-sum picks a compromise.
    const a = (c: Nb201Cell): number => cellToCode(c);
    const b = (c: Nb201Cell): number => -cellToCode(c);
    const mid = (c: Nb201Cell): number => -Math.abs(cellToCode(c) - NB201_SPACE_SIZE / 2);
    const r = await sampleSearch({ space, proxies: { a, b, mid }, maxScored: 40, seed: 9 });
    const codes = r.scored.map((s) => Number(s.key)).sort((x, y) => x - y);
    const n = codes.length;
    // a and b ranks sum to n+1 for every candidate, so the winner is mid's best: the candidate closest to the middle
    const closest = codes.reduce((best, c) => (Math.abs(c - NB201_SPACE_SIZE / 2) < Math.abs(best - NB201_SPACE_SIZE / 2) ? c : best));
    expect(Number(r.best!.key)).toBe(closest);
    expect(r.best!.score).toBe(n + 1 + n);
    expect(r.best!.proxyScores).toEqual({ a: closest, b: -closest, mid: -Math.abs(closest - NB201_SPACE_SIZE / 2) });
  });

  it('a failing proxy never stops the search; single-proxy failures are not picked', async () => {
    const r = await sampleSearch({
      space,
      proxies: { flaky: (c) => (cellToCode(c) % 2 === 0 ? { ok: false, reason: 'non-finite gradient' } : toyScore(c)) },
      maxScored: 30,
      seed: 2,
    });
    expect(r.scored.length).toBeGreaterThan(0);
    expect(r.scored.length).toBeLessThan(30);
    expect(r.scored.every((s) => Number(s.key) % 2 === 1)).toBe(true);
  });

  it('runSearch exposes it as algo "sample" with iterations = candidates scored and NB201 degeneracy skipped', async () => {
    let calls = 0;
    const out = await runSearch<Nb201Cell>({ space, algo: 'sample', iterations: 25, seed: 0, score: (c) => (calls++, toyScore(c)) });
    expect(calls).toBe(25);
    expect(out.algo).toBe('sample');
    expect(out.sample!.scored).toHaveLength(25);
    expect(out.best!.score).toBe(Math.max(...out.sample!.scored.map((s) => s.score)));
    expect(out.sample!.scored.every((s) => !isNb201Disconnected(space.parse(s.arch)))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { evolutionSearch } from '../../../../host/search/evolution.js';
import { createNb201Space } from '../../../../host/spaces/nb201Space.js';
import { createIdwSpace, idwCounts, idwLayers } from '../../../../host/spaces/idw.js';
import type { Nb201Cell } from '../../../../host/spaces/nb201.js';
import { cellToCode } from '../../../../host/spaces/nb201.js';

const space = createNb201Space();
/** Toy proxy: conv-heavy cells score higher; a tiny code-based term breaks ties deterministically. */
const toyScore = (cell: Nb201Cell): number =>
  cell.reduce((s, op) => s + (op === 'nor_conv_3x3' ? 1 : op === 'nor_conv_1x1' ? 0.5 : 0), 0) + cellToCode(cell) * 1e-7;
/** Toy latency: 1 ms per 3x3 conv, 0.4 per 1x1, 0.1 per pool. */
const toyLatency = (cell: Nb201Cell): { latencyMs: number } => ({
  latencyMs: cell.reduce((s, op) => s + (op === 'nor_conv_3x3' ? 1 : op === 'nor_conv_1x1' ? 0.4 : op === 'avg_pool_3x3' ? 0.1 : 0), 0),
});

describe('ZiCo evolution (§C) on NB201', () => {
  it('is deterministic for a seed and differs across seeds', async () => {
    const run = (seed: number) => evolutionSearch({ space, score: toyScore, iterations: 300, populationSize: 20, seed });
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(a.population.map((p) => p.arch)).toEqual(b.population.map((p) => p.arch));
    expect(a.best?.arch).toBe(b.best?.arch);
    expect(c.population.map((p) => p.arch)).not.toEqual(a.population.map((p) => p.arch));
  });

  it('scores each architecture at most once (cache by key) and keeps duplicates in the population', async () => {
    const calls = new Map<string, number>();
    const score = (cell: Nb201Cell): number => {
      const k = space.format(cell);
      calls.set(k, (calls.get(k) ?? 0) + 1);
      return toyScore(cell);
    };
    const r = await evolutionSearch({ space, score, iterations: 400, populationSize: 30, seed: 3 });
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(r.state.cache.hits).toBeGreaterThan(0);
    expect(Object.keys(r.state.cache.scores)).toHaveLength(calls.size);
  });

  it('finds the best toy architecture (all nor_conv_3x3) without a budget', async () => {
    const r = await evolutionSearch({ space, score: toyScore, iterations: 1500, populationSize: 50, seed: 4 });
    expect(r.best?.arch).toBe('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|');
  });

  it('respects params and per-target latency budgets; population ≤ E + 1', async () => {
    const r = await evolutionSearch({
      space,
      score: toyScore,
      costs: { pi3b: toyLatency },
      budgets: { params: 1_000_000, targets: { pi3b: { latencyMs: 3 } } },
      iterations: 600,
      populationSize: 25,
      seed: 5,
    });
    expect(r.population.length).toBeLessThanOrEqual(26);
    for (const p of r.population) {
      expect(p.metrics.params).toBeLessThanOrEqual(1_000_000);
      expect(p.costs.pi3b!.latencyMs!).toBeLessThanOrEqual(3);
    }
    expect((r.state.rejected['pi3b.latencyMs'] ?? 0) + (r.state.rejected.params ?? 0)).toBeGreaterThan(0);
  });

  it('resumes from JSON state to the same result as an uninterrupted run', async () => {
    const full = await evolutionSearch({ space, score: toyScore, iterations: 300, populationSize: 15, seed: 6 });
    const ctl = new AbortController();
    const part = await evolutionSearch({
      space,
      score: toyScore,
      iterations: 300,
      populationSize: 15,
      seed: 6,
      progressEvery: 1,
      onProgress: (p) => p.iteration === 120 && ctl.abort(),
      signal: ctl.signal,
    });
    expect(part.stopped).toBe(true);
    expect(part.state.iteration).toBe(120);
    const saved = JSON.parse(JSON.stringify(part.state));
    const resumed = await evolutionSearch({ space, score: toyScore, iterations: 300, populationSize: 15, seed: 6, state: saved });
    expect(resumed.population.map((p) => p.arch)).toEqual(full.population.map((p) => p.arch));
  });

  it('drops candidates whose score failed and never retries them', async () => {
    let calls = 0;
    const score = (cell: Nb201Cell) => {
      calls++;
      return cell.includes('avg_pool_3x3') ? { ok: false as const, reason: 'toy failure' } : toyScore(cell);
    };
    const r = await evolutionSearch({ space, score, iterations: 200, populationSize: 20, seed: 7 });
    expect(r.population.every((p) => !p.arch.includes('avg_pool_3x3'))).toBe(true);
    expect(calls).toBe(Object.keys(r.state.cache.scores).length);
    expect(r.state.rejected.scoreFailed).toBeGreaterThan(0);
  });

  it('reports progress with iteration counts', async () => {
    const seen: number[] = [];
    await evolutionSearch({ space, score: toyScore, iterations: 50, seed: 8, progressEvery: 10, onProgress: (p) => seen.push(p.iteration) });
    expect(seen).toEqual([10, 20, 30, 40, 50]);
  });
});

describe('ZiCo evolution on the IDW space (budgets of the 450M run)', () => {
  it('keeps every member within 14 layers and 450M FLOPs at 224', async () => {
    const idw = createIdwSpace();
    // toy score: more FLOPs is better (a stand-in for ZiCo's preference for larger nets)
    const r = await evolutionSearch({
      space: idw,
      score: (a) => Math.log(idwCounts(a).flops),
      budgets: { layers: 14, flops: 450e6 },
      iterations: 150,
      populationSize: 16,
      seed: 1,
    });
    expect(r.population.length).toBeGreaterThan(0);
    for (const p of r.population) {
      const a = idw.parse(p.arch);
      expect(idwLayers(a)).toBeLessThanOrEqual(14);
      expect(idwCounts(a).flops).toBeLessThanOrEqual(450e6);
    }
  });
});

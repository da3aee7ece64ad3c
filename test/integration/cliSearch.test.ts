import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/runCli.js';

describe('zeronas search', () => {
  it('--algo sample --proxy params+nn_degree: scores exactly --max-scored cells within budget, combined by rank', async () => {
    const r = await runCli(['search', '--space', 'nb201', '--algo', 'sample', '--proxy', 'params+nn_degree', '--budget', 'params<=600k', '--max-scored', '30', '--seed', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.algo).toBe('sample');
    expect(out.scored).toBe(30);
    expect(out.skipped.budget).toBeGreaterThan(0);
    expect(out.best.metrics.params).toBeLessThanOrEqual(600_000);
    const top = out.topScored as { score: number; metrics: { params: number }; proxyScores: Record<string, number> }[];
    expect(top.length).toBe(10);
    expect(Object.keys(top[0]!.proxyScores).sort()).toEqual(['nn_degree', 'params']);
    // rank-sum of 2 proxies over 30 candidates lies in [2, 60]; best first
    expect(top[0]!.score).toBeLessThanOrEqual(60);
    expect(top.map((t) => t.score)).toEqual([...top.map((t) => t.score)].sort((a, b) => b - a));
    expect(top[0]!.proxyScores.params).toBe(top[0]!.metrics.params);
  });

  it('refuses a combined proxy with an algorithm that scores one architecture at a time', async () => {
    const r = await runCli(['search', '--space', 'nb201', '--algo', 'evolution', '--proxy', 'zico+params', '--iterations', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--proxy 'zico+params' combines proxies by rank");
  });
});

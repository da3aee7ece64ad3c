/**
 * The closed loop with its two edges replaced by recorded inputs: proxy scores are the NB201 cell's parameter count
 * (host metrics, no data), and a target's "device" is a fixed latency function of the cell (so truth is known).
 * The loop itself (rounds, models, selection, verification, scoring budget) is the real code.
 */
import { describe, expect, it } from 'vitest';
import { parseBudget } from '../../../../host/budgets/budget.js';
import { openSpace } from '../../../../host/spaces/index.js';
import { runClosedLoop, type ClosedLoopOptions, type MeasuredCost } from '../../../../host/workflows/closedLoop.js';
import { analyticMetrics } from '../../../../host/metrics/analytic.js';

const entry = openSpace('nb201');
/** A device whose latency is affine in MACs: 0.2 ms + 5 ms per 100 M MACs. */
const truthMs = (arch: string): number => 0.2 + (5 * analyticMetrics(entry.deviceGraph(entry.space.parse(arch))).macs) / 1e8;

function options(over: Partial<ClosedLoopOptions> = {}): ClosedLoopOptions & { scoredCalls: Map<string, number>; measuredCalls: string[] } {
  const scoredCalls = new Map<string, number>();
  const measuredCalls: string[] = [];
  return {
    space: entry,
    algo: 'sample',
    proxies: ['params'],
    score: async (_p, arch) => {
      const text = entry.space.format(arch);
      scoredCalls.set(text, (scoredCalls.get(text) ?? 0) + 1);
      return { ok: true, value: entry.space.metrics(arch).params };
    },
    targets: [{ id: 'dev', budget: parseBudget('dev:latency<=4ms') }],
    maxScored: 120,
    measurePerTarget: 12,
    maxRounds: 3,
    verifyRounds: 3,
    seed: 1,
    measure: async (_t, archs, kind) => {
      const out = new Map<string, MeasuredCost>();
      for (const a of archs) {
        measuredCalls.push(`${kind}:${a}`);
        out.set(a, { latencyMs: truthMs(a), energyJ: null });
      }
      return out;
    },
    ...over,
    scoredCalls,
    measuredCalls,
  };
}

describe('closed loop (recorded scores, a known device)', () => {
  it("says when a round's search scored nothing because the spread already spent that round's allowance", async () => {
    // 3 spread cells scored; round 1 may score ⌈6 / 2⌉ = 3 in all: nothing is left for its search
    const lines: string[] = [];
    await runClosedLoop(options({ maxScored: 6, measurePerTarget: 4, maxRounds: 3, log: (l) => lines.push(l) }));
    expect(lines.find((l) => l.startsWith('round 1:'))).toMatch(/scored 0 new architecture\(s\).*this round's scoring allowance of 3 was already spent$/);
  });

  it('measures its targets at the same time: each measurement waits until the other target has started one', async () => {
    // Sequential measuring would deadlock here (the vitest timeout would fail the test): every call on one target
    // waits for a call on the other target that started after it.
    const started: Record<string, number> = { a: 0, b: 0 };
    const waiters: Record<string, (() => void)[]> = { a: [], b: [] };
    const o = options({
      targets: [
        { id: 'a', budget: parseBudget('a:latency<=4ms') },
        { id: 'b', budget: parseBudget('b:latency<=5ms') },
      ],
      measure: async (t, archs) => {
        const other = t === 'a' ? 'b' : 'a';
        const mine = ++started[t]!;
        for (const w of waiters[t]!.splice(0)) w();
        if (started[other]! < mine) await new Promise<void>((resolve) => waiters[other]!.push(resolve));
        return new Map(archs.map((a) => [a, { latencyMs: truthMs(a), energyJ: null }]));
      },
    });
    const r = await runClosedLoop(o);
    expect(r.targets.map((t) => t.target)).toEqual(['a', 'b']);
    expect(r.targets.every((t) => t.best !== null)).toBe(true);
    expect(started.a).toBeGreaterThan(2);
  });

  it('returns a cell within budget on truth, verified, scoring nothing twice and at most --max-scored cells', async () => {
    const o = options();
    const r = await runClosedLoop(o);
    const t = r.targets[0]!;
    expect(t.best).not.toBeNull();
    expect(truthMs(t.best!.arch)).toBeLessThanOrEqual(4);
    expect(t.best!.verified!.roundValues).toHaveLength(3);
    expect(o.measuredCalls.filter((c) => c.startsWith('verify-'))).toHaveLength(3);
    expect([...o.scoredCalls.values()].every((n) => n === 1)).toBe(true);
    expect(r.scored).toBeLessThanOrEqual(120);
    expect(t.measured.size).toBeLessThanOrEqual(12);
    // The pick is the highest-scoring measured cell within budget.
    const better = r.candidates.filter((c) => c.score > t.best!.score && t.measured.has(c.arch));
    expect(better.every((c) => t.measured.get(c.arch)!.latencyMs > 4)).toBe(true);
  });

  it('records the learning curve: no prediction before the spread, a small round-1 error on a device inside the analytic model family', async () => {
    const r = await runClosedLoop(options());
    const curve = r.targets[0]!.learning;
    expect(curve[0]!.round).toBe(0);
    expect(curve[0]!.errors.n).toBe(0); // nothing predicted before the spread
    const later = curve.filter((l) => l.errors.n > 0);
    expect(later.length).toBeGreaterThan(0);
    // An affine truth in MACs is inside the analytic model's family: the round-1 error is already small.
    expect(later[0]!.errors.mapePercent!).toBeLessThan(25);
  });

  it('verifies the next candidate when the best misses the budget on re-measurement', async () => {
    let verifyCalls = 0;
    const o = options();
    const measure = o.measure;
    o.measure = async (t, archs, kind) => {
      const got = await measure(t, archs, kind);
      if (kind.startsWith('verify-') && verifyCalls++ < 3) for (const [a, m] of got) got.set(a, { ...m, latencyMs: 10 }); // the first pick is slow when re-measured
      return got;
    };
    const lines: string[] = [];
    o.log = (line) => lines.push(line);
    const r = await runClosedLoop(o);
    const t = r.targets[0]!;
    expect(t.verifications.length).toBeGreaterThanOrEqual(2);
    expect(t.verifications[0]!.meetsBudget).toBe(false);
    // The verification line carries the metric's unit and the budget it was checked against.
    expect(lines).toContain(`dev: verified ${t.verifications[0]!.arch}: median 10.000 ms over 3 round(s) -> misses the budget (dev:latency<=4ms)`);
    expect(t.best!.arch).toBe(t.verifications.at(-1)!.arch);
    expect(t.best!.arch).not.toBe(t.verifications[0]!.arch);
  });

  it('perfect knowledge (oracle) picks the best-scoring scored cell within budget on truth', async () => {
    const o = options({ targets: [{ id: 'dev', budget: parseBudget('dev:latency<=4ms'), oracle: truthMs }] });
    const r = await runClosedLoop(o);
    const best = r.candidates.find((c) => truthMs(c.arch) <= 4)!;
    expect(r.targets[0]!.best!.arch).toBe(best.arch);
    expect(o.measuredCalls).toHaveLength(0);
  });
});

describe('round 0 chosen by a caller (a fleet prior)', () => {
  it('measures what firstRound picks among the FLOPs-sorted sample instead of the quantiles', async () => {
    let offered: readonly string[] = [];
    const o = options({
      firstRound: (candidates, count) => {
        offered = candidates;
        return candidates.slice(-count); // the largest cells
      },
    });
    await runClosedLoop(o);
    const flops = (a: string): number => entry.space.metrics(entry.space.parse(a)).flops;
    expect(offered.length).toBeGreaterThan(10);
    for (let i = 1; i < offered.length; i++) expect(flops(offered[i]!)).toBeGreaterThanOrEqual(flops(offered[i - 1]!));
    const round0 = o.measuredCalls.slice(0, 3).map((c) => c.slice('measure:'.length));
    expect(round0).toEqual(offered.slice(-3));
  });
});

describe('scoringAllowance', () => {
  it('half the scoring budget in round 1, all of it by round R-1', async () => {
    const { scoringAllowance } = await import('../../../../host/workflows/closedLoop.js');
    expect([1, 2, 3, 4].map((r) => scoringAllowance(500, r, 4))).toEqual([250, 375, 500, 500]);
    expect([1, 2].map((r) => scoringAllowance(100, r, 2))).toEqual([50, 100]);
    expect(scoringAllowance(100, 1, 1)).toBe(100);
    expect(scoringAllowance(100, 0, 4)).toBe(0);
  });
});

describe('chooseMeasurements', () => {
  it('takes plausible candidates in score order: predicted within, or within once the uncertainty is taken off', async () => {
    const { chooseMeasurements } = await import('../../../../host/workflows/closedLoop.js');
    const budget = parseBudget('dev:latency<=10ms');
    const pool = ['a', 'b', 'c', 'd', 'e'].map((arch, i) => ({ arch, proxyScores: {}, score: 10 - i, metrics: { flops: 0, params: 0, layers: 0 } }));
    const predicted: Record<string, number> = { a: 30, b: 11, c: 9, d: 8, e: 4 };
    const predict = (a: string): { value: number; uncertainty: number } => ({ value: predicted[a]!, uncertainty: 0.1 * predicted[a]! });
    // a: 30 - 3 > 10, implausible; b: 11 - 1.1 <= 10, straddles; c, d within; c already measured.
    const measured = new Map<string, MeasuredCost>([['c', { latencyMs: 9.5, energyJ: null }]]);
    expect(chooseMeasurements(pool, { measured, spec: { budget } }, 3, predict)).toEqual(['b', 'd', 'e']);
    expect(chooseMeasurements(pool, { measured, spec: {} }, 2, predict)).toEqual(['a', 'b']); // no budget: best-scoring
  });
});

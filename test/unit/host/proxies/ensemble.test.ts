import { describe, expect, it } from 'vitest';
import { aggregateRanks, averageRanks, parseProxyList } from '../../../../host/proxies/ensemble.js';

describe('rank aggregation of proxies', () => {
  it('ranks ascending with average ranks for ties (as scipy.stats.rankdata)', () => {
    expect(averageRanks([10, 30, 20, 30])).toEqual([1, 3.5, 2, 3.5]);
    expect(averageRanks([5])).toEqual([1]);
  });

  it('ranks failed scores (NaN, -Infinity) below every finite score', () => {
    expect(averageRanks([3, Number.NaN, -1e9, Number.NEGATIVE_INFINITY])).toEqual([4, 1.5, 3, 1.5]);
  });

  it('rank-sum picks the candidate good on both proxies over one that is best on only one', () => {
    // candidate 0 is best on A but worst on B; candidate 1 is third on A and second on B
    const a = [100, 90, 10, 50];
    const b = [1, 8, 9, 2];
    const sum = aggregateRanks([a, b], 'rank-sum');
    expect(sum).toEqual([4 + 1, 3 + 3, 1 + 4, 2 + 2]);
    expect(sum.indexOf(Math.max(...sum))).toBe(1);
  });

  it('log-rank is Σ ln(rank/n) and punishes one poor rank harder than rank-sum', () => {
    const a = [4, 3, 2, 1];
    const b = [1, 3, 4, 2];
    const log = aggregateRanks([a, b], 'log-rank');
    const expected = [Math.log(4 / 4) + Math.log(1 / 4), Math.log(3 / 4) + Math.log(3 / 4), Math.log(2 / 4) + Math.log(4 / 4), Math.log(1 / 4) + Math.log(2 / 4)];
    log.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
    // the balanced candidate 1 beats candidate 0, which is top on A but bottom on B
    expect(log[1]! - log[0]!).toBeGreaterThan(0);
  });

  it('rejects columns of different lengths and bad proxy lists, naming them', () => {
    expect(() => aggregateRanks([[1, 2], [1]])).toThrow(/differ in length/);
    expect(() => aggregateRanks([])).toThrow(/at least one proxy/);
    expect(parseProxyList('zico+params')).toEqual(['zico', 'params']);
    expect(parseProxyList('zico')).toEqual(['zico']);
    expect(() => parseProxyList('zico++params')).toThrow(/empty name/);
    expect(() => parseProxyList('zico+zico')).toThrow(/repeats/);
  });
});

describe('referenceRankScorer: a per-candidate combined score against a fixed reference', () => {
  it('places values at their rank among the reference, linear between and beyond', async () => {
    const { referenceRankScorer } = await import('../../../../host/proxies/ensemble.js');
    const score = referenceRankScorer([[10, 20, 30, 40], [1, 2, 3, 4]]);
    expect(score([20, 3])).toBe(2 + 3);
    expect(score([25, 3.5])).toBe(2.5 + 3.5);
    expect(score([50, 4])).toBe(5 + 4); // beyond the best reference: slope of the top two
    expect(score([10, Number.NaN])).toBe(Number.NEGATIVE_INFINITY);
    const logRank = referenceRankScorer([[10, 20, 30, 40]], 'log-rank');
    expect(logRank([40])).toBeCloseTo(Math.log(1), 12);
    expect(logRank([20])).toBeCloseTo(Math.log(2 / 4), 12);
  });
  it('ties in the reference share their mean rank; a constant proxy needs two distinct values to extrapolate', async () => {
    const { referenceRankScorer } = await import('../../../../host/proxies/ensemble.js');
    const score = referenceRankScorer([[1, 2, 2, 3]]);
    expect(score([2])).toBe(2.5);
    expect(() => referenceRankScorer([[1]])).toThrow(expect.objectContaining({ code: 'ZN_BAD_ARGUMENT' }));
  });
});

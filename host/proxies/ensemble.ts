/**
 * Combining zero-shot proxies by rank (issue 10 allows combined proxies; the idea is from AZ-NAS and NASLib's
 * ensembles): proxies live on unrelated scales (ZiCo ~ hundreds, #params ~ 1e5..1e6), so each proxy is turned into
 * ranks among the SAME candidate set and the ranks are aggregated. Rank 1 is the worst candidate, rank n the best
 * (ties share their average rank, as scipy.stats.rankdata); a failed score (NaN, ±Infinity from a failed proxy) ranks
 * below every finite score.
 *
 *  - 'rank-sum':  Σ_p rank_p                 (Borda count: every proxy counts linearly)
 *  - 'log-rank':  Σ_p ln(rank_p / n)         (AZ-NAS's non-linear aggregation: a candidate that is poor on ANY
 *                                             proxy is pushed down hard, one that is top on all stays top)
 * Higher is better for both. The result depends on the candidate set, so it is a selection rule over scored
 * candidates, not a per-architecture score (host/search/sampleSearch.ts uses it that way).
 */
import { ZeronasError } from '../../shared/errors.js';

export type RankAggregation = 'rank-sum' | 'log-rank';
export const RANK_AGGREGATIONS: readonly RankAggregation[] = ['rank-sum', 'log-rank'];

/** Average ranks 1..n of `values` ascending (ties share their mean rank); non-finite values rank lowest. */
export function averageRanks(values: readonly number[]): number[] {
  const key = (v: number): number => (Number.isFinite(v) ? v : Number.NEGATIVE_INFINITY);
  const order = values.map((v, i) => ({ v: key(v), i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && order[end]!.v === order[start]!.v) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let k = start; k < end; k++) ranks[order[k]!.i] = rank;
    start = end;
  }
  return ranks;
}

/**
 * Aggregate score per candidate. `columns[p][i]` is proxy p's score of candidate i (higher is better); every
 * column has one entry per candidate.
 */
export function aggregateRanks(columns: readonly (readonly number[])[], how: RankAggregation = 'rank-sum'): number[] {
  if (columns.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', 'rank aggregation needs at least one proxy');
  const n = columns[0]!.length;
  for (const c of columns) {
    if (c.length !== n) throw new ZeronasError('ZN_BAD_ARGUMENT', `rank aggregation: proxy columns differ in length (${c.length} vs ${n})`);
  }
  const total = new Array<number>(n).fill(0);
  for (const column of columns) {
    const ranks = averageRanks(column);
    for (let i = 0; i < n; i++) total[i]! += how === 'log-rank' ? Math.log(ranks[i]! / n) : ranks[i]!;
  }
  return total;
}

/** `zico+params` -> ['zico', 'params']; rejects empty and repeated names. */
export function parseProxyList(spec: string): string[] {
  const names = spec.split('+').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new ZeronasError('ZN_BAD_ARGUMENT', `proxy combination '${spec}' has an empty name`);
  if (new Set(names).size !== names.length) throw new ZeronasError('ZN_BAD_ARGUMENT', `proxy combination '${spec}' repeats a proxy`);
  return names;
}

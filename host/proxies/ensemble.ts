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

/**
 * Names that stand for a published combination. AZ-NAS (PROXIES_SOTA.md §1) is its three scores and FLOPs under
 * log-rank aggregation: a rank depends on the candidate set, so it exists only as a combination.
 */
export const PROXY_ALIASES: Readonly<Record<string, { proxies: readonly string[]; aggregate: RankAggregation }>> = {
  az_nas: { proxies: ['az_expressivity', 'az_progressivity', 'az_trainability', 'flops'], aggregate: 'log-rank' },
};

/** `zico+params` -> ['zico', 'params'], aliases expanded (`az_nas` -> its four); rejects empty and repeated names. */
export function parseProxyList(spec: string): string[] {
  const given = spec.split('+').map((s) => s.trim());
  if (given.some((n) => n === '')) throw new ZeronasError('ZN_BAD_ARGUMENT', `proxy combination '${spec}' has an empty name`);
  const names = given.flatMap((n) => PROXY_ALIASES[n]?.proxies ?? [n]);
  if (new Set(names).size !== names.length) throw new ZeronasError('ZN_BAD_ARGUMENT', `proxy combination '${spec}' repeats a proxy`);
  return names;
}

/** The aggregation of a combination: the one asked for, else log-rank if it holds an alias defined that way, else rank-sum. */
export function aggregationFor(spec: string, requested?: string): RankAggregation {
  if (requested !== undefined) {
    if (!(RANK_AGGREGATIONS as readonly string[]).includes(requested)) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `unknown aggregation '${requested}'; choose ${RANK_AGGREGATIONS.join(' or ')}`);
    }
    return requested as RankAggregation;
  }
  const aliases = spec.split('+').map((s) => PROXY_ALIASES[s.trim()]).filter((a) => a !== undefined);
  return aliases.some((a) => a.aggregate === 'log-rank') ? 'log-rank' : 'rank-sum';
}

/** What a combined score is, for people: `Σ ln(rank/n) of a, b among <among> (0 = first in every one; higher is better)`. */
export function rankScoreMeaning(how: RankAggregation, proxies: readonly string[], among: string): string {
  return how === 'log-rank'
    ? `Σ ln(rank/n) of ${proxies.join(', ')} among ${among} (0 = first in every one; higher is better)`
    : `the sum of the ranks of ${proxies.join(', ')} among ${among} (higher is better)`;
}

/**
 * A per-architecture score for combined proxies in searches that need one number per candidate (evolution,
 * NSGA-II): each proxy's value is placed among a fixed reference sample's values of that proxy, as a continuous
 * rank r_p (1..n at the sorted reference values, linear between them, and extended linearly beyond both ends with
 * the slope of the two outermost points, so candidates better than every reference still differ). The score is
 * Σ_p r_p ('rank-sum') or Σ_p ln(max(r_p, 0.5)/n) ('log-rank'). It is a function of the candidate alone once the
 * reference is fixed, so a search's comparisons stay consistent. Failed values rank below everything (-Infinity).
 */
export function referenceRankScorer(reference: readonly (readonly number[])[], how: RankAggregation = 'rank-sum'): (values: readonly number[]) => number {
  const sorted = reference.map((col) => col.filter(Number.isFinite).sort((a, b) => a - b));
  sorted.forEach((col, p) => {
    if (col.length < 2) throw new ZeronasError('ZN_BAD_ARGUMENT', `reference rank scorer: proxy ${p} has ${col.length} finite reference value(s); at least 2 needed`);
  });
  const rankOf = (col: readonly number[], v: number): number => {
    const n = col.length;
    const slope = (i: number, j: number): number => (col[j]! > col[i]! ? (j - i) / (col[j]! - col[i]!) : 0);
    if (v <= col[0]!) return 1 - (col[0]! - v) * slope(0, 1);
    if (v >= col[n - 1]!) return n + (v - col[n - 1]!) * slope(n - 2, n - 1);
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (col[mid]! <= v) lo = mid;
      else hi = mid;
    }
    // Ties in the reference: the value sits at the mean rank of its equals.
    let first = lo;
    while (first > 0 && col[first - 1] === col[lo]) first--;
    if (col[lo] === v) return (first + lo) / 2 + 1;
    return lo + 1 + (v - col[lo]!) / (col[hi]! - col[lo]!);
  };
  return (values) => {
    let total = 0;
    for (let p = 0; p < sorted.length; p++) {
      const v = values[p];
      if (v === undefined || !Number.isFinite(v)) return Number.NEGATIVE_INFINITY;
      const r = rankOf(sorted[p]!, v);
      total += how === 'log-rank' ? Math.log(Math.max(r, 0.5) / sorted[p]!.length) : r;
    }
    return total;
  };
}

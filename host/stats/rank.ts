/**
 * Rank correlation between proxy scores and benchmark accuracies (ALGORITHMS.md §0.6): Kendall's tau-b and
 * Spearman's rho with SciPy's conventions, and seeded percentile-bootstrap intervals for both.
 * Test vector: x=[1,2,3,4], y=[1,3,2,4] gives tau 0.6667 and rho 0.8.
 * -Infinity and +Infinity are ordinary values here (a failed proxy ranks last); NaN is rejected.
 * A correlation with a constant side is undefined and returned as NaN, as SciPy does.
 */
import { ZeronasError } from '../../shared/errors.js';
import { mulberry32 } from '../ir/init.js';

function checkPair(x: ArrayLike<number>, y: ArrayLike<number>, what: string): void {
  if (x.length !== y.length) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `${what}: x has ${x.length} values but y has ${y.length}; they must pair up`,
      {
        xLength: x.length,
        yLength: y.length,
      },
    );
  }
  for (const [name, v] of [
    ['x', x],
    ['y', y],
  ] as const) {
    for (let i = 0; i < v.length; i++) {
      if (Number.isNaN(v[i]!)) {
        throw new ZeronasError(
          'ZN_BAD_ARGUMENT',
          `${what}: ${name}[${i}] is NaN; drop or resolve NaN scores before ranking`,
          {
            index: i,
          },
        );
      }
    }
  }
}

/** Ranks 1..n with ties given their average rank (SciPy rankdata 'average'). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => cmp(values[a]!, values[b]!));
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = rank;
    i = j + 1;
  }
  return ranks;
}

/** Pearson correlation; NaN when either side is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPair(x, y, 'pearson');
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Spearman's rho = Pearson correlation of the average ranks (SciPy spearmanr). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPair(x, y, 'spearman');
  if (x.length < 2) return NaN;
  return pearson(averageRanks(x), averageRanks(y));
}

/**
 * Kendall's tau-b (SciPy kendalltau default), O(n log n) by Knight's algorithm:
 * tau_b = (n0 - n1 - n2 + n3 - 2·swaps) / sqrt((n0 - n1)(n0 - n2)), with n0 = n(n-1)/2 pairs, n1/n2 pairs tied in
 * x/y, n3 pairs tied in both, and swaps the discordant pairs counted by a merge sort of y after sorting by (x, y).
 */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPair(x, y, 'kendallTauB');
  const n = x.length;
  if (n < 2) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => cmp(x[a]!, x[b]!) || cmp(y[a]!, y[b]!));
  let n1 = 0;
  let n3 = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]!] === x[order[i]!]) j++;
    const t = j - i + 1;
    n1 += (t * (t - 1)) / 2;
    // joint ties inside this x-run: runs of equal y (the run is sorted by y)
    for (let a = i; a <= j;) {
      let b = a;
      while (b + 1 <= j && y[order[b + 1]!] === y[order[a]!]) b++;
      const u = b - a + 1;
      n3 += (u * (u - 1)) / 2;
      a = b + 1;
    }
    i = j + 1;
  }
  const ys = Float64Array.from(order, (i) => y[i]!);
  const swaps = mergeCountInversions(ys);
  let n2 = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && ys[j + 1] === ys[i]) j++;
    const t = j - i + 1;
    n2 += (t * (t - 1)) / 2;
    i = j + 1;
  }
  const n0 = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((n0 - n1) * (n0 - n2));
  if (denominator === 0) return NaN;
  const tau = (n0 - n1 - n2 + n3 - 2 * swaps) / denominator;
  return Math.max(-1, Math.min(1, tau));
}

/** Sorts `a` ascending in place; returns the number of pairs i<j with a[i] > a[j]. */
function mergeCountInversions(a: Float64Array): number {
  const n = a.length;
  let src: Float64Array = a;
  let dst: Float64Array = new Float64Array(n);
  let swaps = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (cmp(src[j]!, src[i]!) < 0) {
          swaps += mid - i;
          dst[k++] = src[j++]!;
        } else {
          dst[k++] = src[i++]!;
        }
      }
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
    }
    [src, dst] = [dst, src];
  }
  if (src !== a) a.set(src);
  return swaps;
}

/** Total order that also handles infinities (a - b would give NaN for -inf vs -inf). */
function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export type CorrelationStatistic = 'kendall' | 'spearman';

export interface BootstrapOptions {
  /** Number of resamples; default 1000. */
  resamples?: number;
  /** Seed of the resampling stream (mulberry32); default 0. */
  seed?: number;
  /** Two-sided coverage; default 0.95. */
  level?: number;
}

export interface BootstrapInterval {
  statistic: CorrelationStatistic;
  /** The statistic on the full sample. */
  estimate: number;
  low: number;
  high: number;
  level: number;
  resamples: number;
  seed: number;
  /** Resamples whose statistic was undefined (a constant side) and were left out of the percentiles. */
  undefinedResamples: number;
}

/**
 * Percentile bootstrap interval of a rank correlation: resample the (x, y) pairs with replacement `resamples`
 * times (indices drawn from mulberry32(seed)), compute the statistic on each, and take the (1-level)/2 and
 * (1+level)/2 quantiles with linear interpolation (NumPy's default quantile). Deterministic for a given seed.
 */
export function bootstrapCorrelation(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  statistic: CorrelationStatistic,
  options: BootstrapOptions = {},
): BootstrapInterval {
  checkPair(x, y, 'bootstrapCorrelation');
  const resamples = options.resamples ?? 1000;
  const seed = options.seed ?? 0;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `bootstrap resamples must be a positive integer, got ${resamples}`);
  }
  if (!(level > 0 && level < 1))
    throw new ZeronasError('ZN_BAD_ARGUMENT', `bootstrap level must be in (0, 1), got ${level}`);
  const fn = statistic === 'kendall' ? kendallTauB : spearman;
  const n = x.length;
  const rand = mulberry32(seed);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rand() * n);
      xs[i] = x[k]!;
      ys[i] = y[k]!;
    }
    const v = fn(xs, ys);
    if (!Number.isNaN(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  return {
    statistic,
    estimate: fn(x, y),
    low: quantile(values, (1 - level) / 2),
    high: quantile(values, (1 + level) / 2),
    level,
    resamples,
    seed,
    undefinedResamples: resamples - values.length,
  };
}

/** Quantile of sorted values with linear interpolation between order statistics (NumPy 'linear'). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

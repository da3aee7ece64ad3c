/**
 * Summary statistics of timed samples. Percentiles use linear interpolation between closest ranks (Hyndman & Fan
 * type 7, numpy's default): p(q) = x[floor(h)] + (h - floor(h)) * (x[floor(h)+1] - x[floor(h)]), h = (n-1) q.
 * std is the sample standard deviation (divisor n-1; 0 when n = 1). MAD = median(|x_i - median|), unscaled.
 */
import { ZeronasError } from '../errors.js';
import type { LatencyStats } from '../protocol/messages.js';

export function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Type-7 quantile of an ascending array; q in [0, 1]. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', 'quantile of an empty sample');
  if (!(q >= 0 && q <= 1)) throw new ZeronasError('ZN_BAD_ARGUMENT', `quantile q=${q} is outside [0, 1]`);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function median(values: readonly number[]): number {
  return quantileSorted(sortedCopy(values), 0.5);
}

export function latencyStats(samplesMs: readonly number[]): LatencyStats {
  const n = samplesMs.length;
  if (n === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', 'latency statistics need at least one sample, got 0');
  for (const x of samplesMs) {
    if (!Number.isFinite(x) || x < 0) throw new ZeronasError('ZN_BAD_ARGUMENT', `latency sample ${x} is not a finite non-negative number`);
  }
  const sorted = sortedCopy(samplesMs);
  const mean = samplesMs.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? samplesMs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) : 0;
  const std = Math.sqrt(variance);
  const med = quantileSorted(sorted, 0.5);
  const mad = median(samplesMs.map((x) => Math.abs(x - med)));
  return {
    n,
    medianMs: med,
    meanMs: mean,
    stdMs: std,
    cv: mean > 0 ? std / mean : 0,
    minMs: sorted[0]!,
    maxMs: sorted[n - 1]!,
    p90Ms: quantileSorted(sorted, 0.9),
    p95Ms: quantileSorted(sorted, 0.95),
    madMs: mad,
  };
}

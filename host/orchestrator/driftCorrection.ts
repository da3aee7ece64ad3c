/**
 * Drift correction with a sentinel model. On a shared or thermally drifting machine the whole device gets slower
 * and faster over minutes (this project's VM: 30-second medians swing by −8%…+25% within 20 minutes), which no
 * number of repeats removes, since every model measured in a slow minute is slow. So a fixed sentinel model is
 * measured every few jobs; its latency traces the device's speed over time. A job measured at time t is divided by
 *   f(t) = median of the k sentinel latencies nearest in time to t / median of all sentinel latencies,
 * which puts every measurement on the scale of the run's typical speed. The local median (k = 3 by default) keeps
 * one sentinel that caught a burst from rescaling its neighbours.
 */
import { median } from '../cost/regression.js';

export interface SentinelSample {
  /** When the sentinel's measurement arrived (ms since the epoch). */
  atMs: number;
  latencyMs: number;
}

/** f(t) as above; with no sentinel samples, 1 everywhere. */
export function driftFactor(samples: readonly SentinelSample[], k = 3): (atMs: number) => number {
  const usable = samples.filter((s) => Number.isFinite(s.latencyMs) && s.latencyMs > 0).sort((a, b) => a.atMs - b.atMs);
  if (usable.length === 0) return () => 1;
  const overall = median(usable.map((s) => s.latencyMs));
  const take = Math.min(Math.max(1, k), usable.length);
  return (atMs) => {
    const nearest = [...usable].sort((a, b) => Math.abs(a.atMs - atMs) - Math.abs(b.atMs - atMs)).slice(0, take);
    return median(nearest.map((s) => s.latencyMs)) / overall;
  };
}

/** Positions at which the sentinel is measured in a list of n jobs: first, after every `every` jobs, and last. */
export function withSentinels<T>(items: readonly T[], sentinel: (i: number) => T, every: number): T[] {
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`sentinel interval must be a positive integer, got ${every}`);
  const out: T[] = [];
  let s = 0;
  items.forEach((item, i) => {
    if (i % every === 0) out.push(sentinel(s++));
    out.push(item);
  });
  out.push(sentinel(s));
  return out;
}

/**
 * Budget-first random sampling: the selection rule the zero-cost-proxy literature evaluates (NASLib; issue 10's
 * "top-scoring feasible cell among 500 random ones"), made hardware-aware. Candidates come from `space.sample` (or a
 * caller's stream); each one's budget metrics and predicted target costs are checked BEFORE it is scored (they
 * are cheap, the proxy is not), cells the space knows to be degenerate without any data (NAS-Bench-201 cells whose
 * output is cut off from the input) are skipped, and at most `maxScored` distinct candidates are scored. The best
 * scored candidate wins.
 *
 * With several proxies, every candidate is scored by each and the winner is chosen by rank aggregation over the
 * scored set (host/proxies/ensemble.ts); `score` of each record is then the aggregate, `proxyScores` the raw values.
 */
import { ZeronasError } from '../../shared/errors.js';
import { aggregateRanks, type RankAggregation } from '../proxies/ensemble.js';
import type { SearchSpace } from '../spaces/searchSpace.js';
import { SeededRng } from './rng.js';
import { budgetFailure, EvaluationCache, type Budgets, type CostFn, type EvaluatedArch, type ProgressFn, type ScoreFn } from './types.js';

export interface SampleSearchOptions<A> {
  space: SearchSpace<A>;
  /** Proxy name -> score function (higher is better). One entry: plain best-score selection. */
  proxies: Record<string, ScoreFn<A>>;
  aggregate?: RankAggregation;
  costs?: Record<string, CostFn<A>>;
  budgets?: Budgets;
  /** Distinct candidates to score (the search's whole proxy budget). */
  maxScored: number;
  seed: number;
  /** Candidates to draw from instead of `space.sample` (e.g. a user's list); drawn in order, repeats skipped. */
  candidates?: Iterable<A>;
  /** Give up after this many draws in total (guards small or mostly infeasible spaces). Default 200 × maxScored. */
  maxDraws?: number;
  /** Structural rejection before scoring (default: none). */
  isDegenerate?: (arch: A) => boolean;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /**
   * Candidates scored at once (default 1). The set scored is the same for any value: which candidates are scored
   * never depends on a score, only on budgets checked before scoring. A scoring queue (host/queue/) uses it to
   * keep its workers busy.
   */
  parallel?: number;
}

export interface SampledArch extends EvaluatedArch {
  /** Raw score per proxy (NaN where that proxy failed). */
  proxyScores: Record<string, number>;
}

export interface SampleSearchResult {
  /** Scored candidates meeting every budget, best first. */
  scored: SampledArch[];
  best: SampledArch | undefined;
  draws: number;
  skipped: { duplicate: number; budget: number; degenerate: number };
  /** True when the signal stopped the search before maxScored candidates were scored. */
  stopped: boolean;
}

export async function sampleSearch<A>(o: SampleSearchOptions<A>): Promise<SampleSearchResult> {
  const names = Object.keys(o.proxies);
  if (names.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', 'sample search needs at least one proxy');
  if (!Number.isInteger(o.maxScored) || o.maxScored < 1) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `sample search: maxScored must be a positive integer, got ${o.maxScored}`);
  }
  const budgets = o.budgets ?? {};
  const caches = names.map((n) => new EvaluationCache(o.space, o.proxies[n]!, o.costs));
  const metricsCache = caches[0]!;
  const rng = new SeededRng(o.seed);
  const stream = o.candidates?.[Symbol.iterator]();
  const draw = (): A | undefined => {
    if (!stream) return o.space.sample(rng);
    const next = stream.next();
    return next.done ? undefined : next.value;
  };
  const maxDraws = o.maxDraws ?? 200 * o.maxScored;
  const seen = new Set<string>();
  const keys: string[] = [];
  const skipped = { duplicate: 0, budget: 0, degenerate: 0 };
  let draws = 0;
  let stopped = false;
  const parallel = Math.max(1, Math.floor(o.parallel ?? 1));
  let window: { arch: A; key: string }[] = [];
  const scoreWindow = async (): Promise<void> => {
    await Promise.all(window.flatMap(({ arch, key }) => caches.map((c) => c.scoreOf(arch, key))));
    for (const { key } of window) {
      keys.push(key);
      o.onProgress?.({ algo: 'sample', iteration: keys.length, total: o.maxScored, evaluated: keys.length, cacheHits: 0, rejected: skipped.budget + skipped.degenerate });
    }
    window = [];
  };
  while (keys.length + window.length < o.maxScored && draws < maxDraws) {
    if (o.signal?.aborted) {
      stopped = true;
      break;
    }
    const arch = draw();
    if (arch === undefined) break;
    draws++;
    const key = o.space.key(arch);
    if (seen.has(key)) {
      skipped.duplicate++;
      continue;
    }
    seen.add(key);
    const metrics = metricsCache.metricsOf(arch, key);
    const structural = budgetFailure(metrics, {}, { layers: budgets.layers, params: budgets.params, flops: budgets.flops });
    const why = structural ?? budgetFailure(metrics, await metricsCache.costsOf(arch, key), { targets: budgets.targets });
    if (why) {
      skipped.budget++;
      continue;
    }
    if (o.isDegenerate?.(arch)) {
      skipped.degenerate++;
      continue;
    }
    window.push({ arch, key });
    if (window.length >= parallel) await scoreWindow();
  }
  await scoreWindow();
  const raw = caches.map((c) => keys.map((k) => {
    const s = c.scores.get(k)!;
    return s.ok ? s.value : Number.NaN;
  }));
  const scores = names.length === 1 ? raw[0]!.map((v) => (Number.isFinite(v) ? v : Number.NEGATIVE_INFINITY)) : aggregateRanks(raw, o.aggregate);
  const scored: SampledArch[] = keys
    .map((key, i) => ({
      arch: metricsCache.archs.get(key)!,
      key,
      score: scores[i]!,
      metrics: metricsCache.metrics.get(key)!,
      costs: metricsCache.costs.get(key) ?? {},
      proxyScores: Object.fromEntries(names.map((n, p) => [n, raw[p]![i]!])),
    }))
    .filter((r) => Number.isFinite(r.score))
    .sort((a, b) => b.score - a.score);
  return { scored, best: scored[0], draws, skipped, stopped };
}

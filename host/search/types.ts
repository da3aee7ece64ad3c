/**
 * Types shared by the search algorithms, and the one place that turns an architecture into its evaluated record
 * (budget metrics, predicted costs per target, proxy score), with caches keyed by the space's arch key so nothing
 * is scored or predicted twice.
 */
import { isScoringInfrastructureError, ZeronasError } from '../../shared/errors.js';
import type { ArchMetrics, SearchSpace } from '../spaces/searchSpace.js';

/** A proxy score: higher is better. A score that could not be computed says so (DESIGN.md, "Scores"). */
export type ScoreOutcome = number | { ok: true; value: number } | { ok: false; reason: string };
export type ScoreFn<A> = (arch: A) => ScoreOutcome | Promise<ScoreOutcome>;

/** Predicted cost of one architecture on one target (units in the names). */
export interface CostVector {
  latencyMs?: number;
  energyJ?: number;
  areaMm2?: number;
}
export const COST_METRICS = ['latencyMs', 'energyJ', 'areaMm2'] as const;
export type CostMetric = (typeof COST_METRICS)[number];

/** Cost predictor of one target (a LUT sum, a fitted model, ...). */
export type CostFn<A> = (arch: A) => CostVector | Promise<CostVector>;

/** Upper bounds; a missing entry is unconstrained. `targets[t]` bounds the prediction of `costs[t]`. */
export interface Budgets {
  layers?: number;
  params?: number;
  flops?: number;
  targets?: Record<string, CostVector>;
}

export interface SearchProgress {
  algo: 'evolution' | 'nsga2' | 'flash' | 'sample';
  /** What the iterations count when an algorithm has several stages (FLASH: scoring its samples, then SHGO). */
  phase?: string;
  iteration: number;
  total: number;
  /** Distinct architectures scored so far. */
  evaluated: number;
  /** Candidates whose score came from the cache. */
  cacheHits: number;
  rejected: number;
  best?: { arch: string; score: number };
}

export type ProgressFn = (p: SearchProgress) => void;

export interface EvaluatedArch {
  arch: string;
  key: string;
  score: number;
  metrics: ArchMetrics;
  costs: Record<string, CostVector>;
}

export type ScoreRecord = { ok: true; value: number } | { ok: false; reason: string };

export function normaliseScore(s: ScoreOutcome): ScoreRecord {
  if (typeof s === 'number') {
    return Number.isFinite(s) ? { ok: true, value: s } : { ok: false, reason: `score is not finite (${s})` };
  }
  if (s.ok && !Number.isFinite(s.value)) return { ok: false, reason: `score is not finite (${s.value})` };
  return s;
}

/** Why a candidate failed its budgets, or undefined when it meets them all. */
export function budgetFailure(m: ArchMetrics, costs: Record<string, CostVector>, b: Budgets): string | undefined {
  if (b.layers !== undefined && m.layers > b.layers) return 'layers';
  if (b.params !== undefined && m.params > b.params) return 'params';
  if (b.flops !== undefined && m.flops > b.flops) return 'flops';
  for (const [target, limits] of Object.entries(b.targets ?? {})) {
    for (const metric of COST_METRICS) {
      const limit = limits[metric];
      if (limit === undefined) continue;
      const v = costs[target]?.[metric];
      if (v === undefined || !(v <= limit)) return `${target}.${metric}`;
    }
  }
  return undefined;
}

/** Σ over budgets of the relative excess max(0, value/limit − 1): 0 means feasible (used by NSGA-II). */
export function budgetViolation(m: ArchMetrics, costs: Record<string, CostVector>, b: Budgets): number {
  let v = 0;
  const over = (value: number | undefined, limit: number | undefined): void => {
    if (limit === undefined) return;
    if (value === undefined || !Number.isFinite(value)) v += 1e6;
    else v += Math.max(0, value / limit - 1);
  };
  over(m.layers, b.layers);
  over(m.params, b.params);
  over(m.flops, b.flops);
  for (const [target, limits] of Object.entries(b.targets ?? {})) {
    for (const metric of COST_METRICS) over(costs[target]?.[metric], limits[metric]);
  }
  return v;
}

/** Memoised metrics, costs and scores of one search, keyed by `space.key`. Serialisable. */
export class EvaluationCache<A> {
  readonly metrics = new Map<string, ArchMetrics>();
  readonly costs = new Map<string, Record<string, CostVector>>();
  readonly scores = new Map<string, ScoreRecord>();
  /** Formatted arch per key (to rebuild records after a resume). */
  readonly archs = new Map<string, string>();
  hits = 0;

  constructor(
    private readonly space: SearchSpace<A>,
    private readonly scoreFn: ScoreFn<A>,
    private readonly costFns: Record<string, CostFn<A>> = {},
  ) {
    for (const [t, f] of Object.entries(costFns)) {
      if (typeof f !== 'function') throw new ZeronasError('ZN_BAD_ARGUMENT', `cost predictor for target '${t}' is not a function`);
    }
  }

  metricsOf(arch: A, key = this.space.key(arch)): ArchMetrics {
    let m = this.metrics.get(key);
    if (!m) {
      m = this.space.metrics(arch);
      this.metrics.set(key, m);
      this.archs.set(key, this.space.format(arch));
    }
    return m;
  }

  /** Predicted costs for `targets` (default: every target with a predictor). */
  async costsOf(arch: A, key = this.space.key(arch), targets = Object.keys(this.costFns)): Promise<Record<string, CostVector>> {
    let c = this.costs.get(key);
    if (!c) {
      c = {};
      this.costs.set(key, c);
    }
    for (const t of targets) {
      if (c[t] !== undefined) continue;
      const f = this.costFns[t];
      if (!f) throw new ZeronasError('ZN_BAD_ARGUMENT', `budget names target '${t}' but no cost predictor was given for it`);
      c[t] = await f(arch);
    }
    return c;
  }

  async scoreOf(arch: A, key = this.space.key(arch)): Promise<ScoreRecord> {
    const cached = this.scores.get(key);
    if (cached) {
      this.hits++;
      return cached;
    }
    let rec: ScoreRecord;
    try {
      rec = normaliseScore(await this.scoreFn(arch));
    } catch (err) {
      if (isScoringInfrastructureError(err)) throw err;
      rec = { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
    this.scores.set(key, rec);
    this.archs.set(key, this.space.format(arch));
    return rec;
  }

  record(key: string): EvaluatedArch | undefined {
    const s = this.scores.get(key);
    const m = this.metrics.get(key);
    const arch = this.archs.get(key);
    if (!s || !s.ok || !m || arch === undefined) return undefined;
    return { arch, key, score: s.value, metrics: m, costs: this.costs.get(key) ?? {} };
  }

  toJSON(): CacheState {
    return {
      archs: Object.fromEntries(this.archs),
      metrics: Object.fromEntries(this.metrics),
      costs: Object.fromEntries(this.costs),
      scores: Object.fromEntries(this.scores),
      hits: this.hits,
    };
  }

  load(s: CacheState): void {
    for (const [k, v] of Object.entries(s.archs)) this.archs.set(k, v);
    for (const [k, v] of Object.entries(s.metrics)) this.metrics.set(k, v);
    for (const [k, v] of Object.entries(s.costs)) this.costs.set(k, v);
    for (const [k, v] of Object.entries(s.scores)) this.scores.set(k, v);
    this.hits = s.hits;
  }
}

export interface CacheState {
  archs: Record<string, string>;
  metrics: Record<string, ArchMetrics>;
  costs: Record<string, Record<string, CostVector>>;
  scores: Record<string, ScoreRecord>;
  hits: number;
}

/**
 * The closed loop of `orchestrate`: search against each target's live cost model, measure what matters, refit,
 * search again (issue "One closed loop").
 *
 *   round 0   measure a spread of architectures on every target (quantiles of FLOPs among a seeded random sample),
 *             so a first model exists (or a lookup table is calibrated); they are scored like every candidate;
 *   round r   1. run the search (host/search/runSearch, any algorithm and space) with one cost function per target
 *                backed by that target's TargetCostModel, under every budget;
 *             2. per target, choose what to measure among every architecture scored so far: in score order, those
 *                predicted within its budget or whose prediction ± uncertainty straddles it (uncertainty: the
 *                model's, widened to the last round's out-of-sample error);
 *             3. measure them on all of the target's agents (the caller's `measure`: the scheduler spreads jobs over
 *                the target's agents); record the previous model's error on them (the learning curve); refit;
 *   stop      when every target's best measured architecture within budget is unchanged for a round, or its
 *             measurement budget is spent, or after `maxRounds`;
 *   verify    per target, re-measure the best in `verifyRounds` rounds; if the median misses the budget the next
 *             feasible one is verified; with several targets, each target's pick is also measured on the others so
 *             that one network for all devices is found when one exists.
 *
 * Scores come through `score` (durably cached by the caller) and are memoised here, so no architecture is scored
 * twice across rounds; at most `maxScored` distinct architectures are scored in the whole run (a search that would
 * score more is stopped). The best architecture is chosen by proxy score among measured ones; with several proxies
 * the score is the rank aggregation over every architecture scored so far (host/proxies/ensemble.ts), and searches
 * that need one number per candidate (evolution, NSGA-II) rank against a reference sample scored first.
 */
import { ZeronasError } from '../../shared/errors.js';
import { costField, formatCost, type Budget } from '../budgets/budget.js';
import { TargetCostModel, predictionErrors, type PredictionErrors, type TargetCostMetric, type TargetModelSnapshot } from '../cost/targetCostModel.js';
import type { LookupTable } from '../cost/lookupTable.js';
import type { Graph } from '../ir/graph.js';
import { aggregateRanks, type RankAggregation } from '../proxies/ensemble.js';
import { referenceSampleScorer, referenceSize } from '../search/referenceScore.js';
import { runSearch, type SearchAlgo } from '../search/index.js';
import { SeededRng } from '../search/rng.js';
import { budgetFailure, type Budgets, type CostFn, type ScoreRecord } from '../search/types.js';
import { median } from '../cost/regression.js';
import type { SpaceEntry } from '../spaces/index.js';
import type { ArchMetrics } from '../spaces/searchSpace.js';

export interface LoopTarget {
  id: string;
  /** The target's budget (latency or energy), if any. */
  budget?: Budget;
  /** A fresh lookup table of this target: seeds its latency model. */
  lut?: LookupTable;
  lutPath?: string;
  /**
   * Perfect cost knowledge (benchmarks only: the published table itself): predictions are exact, "measuring" reads
   * it, and the best is chosen among every scored candidate. The baseline the loop is compared with.
   */
  oracle?: (arch: string) => number | undefined;
}

export interface MeasuredCost {
  latencyMs: number;
  energyJ: number | null;
}

export interface ClosedLoopOptions {
  space: SpaceEntry<unknown>;
  spaceOptions?: { resolution?: number; scoreResolution?: number };
  algo: SearchAlgo;
  proxies: string[];
  aggregate?: RankAggregation;
  /** Sample search: candidates scored at once (a scoring queue's window; default 1). */
  scoreParallel?: number;
  /** Scores one architecture with one proxy (the caller caches durably). */
  score: (proxy: string, arch: unknown, graph: () => Graph) => Promise<ScoreRecord>;
  /** flops/params/layers budgets. */
  structural?: Budgets;
  targets: LoopTarget[];
  maxScored: number;
  /** Measurements per target in the loop (verification not included). */
  measurePerTarget: number;
  maxRounds: number;
  seed: number;
  iterations?: number;
  population?: number;
  /** Re-measurement rounds of a returned architecture. */
  verifyRounds: number;
  /**
   * Measures architectures (canonical texts) on a target; returns what succeeded. `kind` is 'measure' in the loop
   * and `verify-<r>` for verification round r: jobs of one (kind, arch) are measured once, so a resumed run redoes
   * nothing, and each verification round is a new measurement.
   */
  measure: (target: string, archs: string[], kind: string) => Promise<Map<string, MeasuredCost>>;
  /**
   * Chooses round 0's architectures among the seeded sample (sorted by FLOPs): e.g. a fleet prior's D-optimal
   * selection (host/cost/prior/selectMeasurements.ts). Default: FLOPs quantiles.
   */
  firstRound?: (candidates: readonly string[], count: number) => string[];
  /** Saves a round's model snapshot; returns the file written. */
  saveModel?: (target: string, snapshot: TargetModelSnapshot) => string;
  log?: (line: string) => void;
  progress?: (phase: string, done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface LoopCandidate {
  arch: string;
  /** Raw value per proxy (NaN where that proxy failed). */
  proxyScores: Record<string, number>;
  /** The selection score (the proxy, or the rank aggregate over all scored candidates). */
  score: number;
  metrics: ArchMetrics;
}

export interface LearningPoint {
  round: number;
  /** The model that predicted this round's measurements, and how many samples it had. */
  model: string;
  samplesBefore: number;
  measured: number;
  errors: PredictionErrors;
  modelFile?: string;
}

export interface Verification {
  arch: string;
  predicted: number | null;
  /** Median over the verification rounds, in the budget's metric unit (ms or J). */
  measuredMedian: number | null;
  roundValues: number[];
  meetsBudget: boolean;
}

export interface TargetOutcome {
  target: string;
  metric: TargetCostMetric;
  budget: Budget | null;
  lutPath: string | null;
  model: TargetCostModel;
  measured: Map<string, MeasuredCost>;
  learning: LearningPoint[];
  verifications: Verification[];
  /** The verified pick (or, without a budget, the best measured), null when nothing met the budget. */
  best: { arch: string; score: number; measured: MeasuredCost; predicted: number | null; verified: Verification | null } | null;
}

export interface ClosedLoopResult {
  candidates: LoopCandidate[];
  targets: TargetOutcome[];
  rounds: number;
  scored: number;
  stopReason: string;
  /** Architectures measured on every target within every budget, best score first. */
  commonFeasible: { arch: string; score: number; measured: Record<string, MeasuredCost> }[];
}

/**
 * Candidates verified per target before the loop gives up and returns none: each costs `verifyRounds`
 * measurements, and a fifth miss in a row says the budget sits inside the device's noise.
 */
const MAX_VERIFIED = 5;

const valueOf = (m: MeasuredCost, metric: TargetCostMetric): number | null => (metric === 'latencyMs' ? m.latencyMs : m.energyJ);

export async function runClosedLoop(o: ClosedLoopOptions): Promise<ClosedLoopResult> {
  if (o.proxies.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', 'the closed loop needs at least one proxy');
  const { space } = o.space;
  const log = o.log ?? (() => undefined);
  const graphs = new Map<string, Graph>();
  const deviceGraph = (text: string): Graph => {
    let g = graphs.get(text);
    if (!g) graphs.set(text, (g = o.space.deviceGraph(space.parse(text))));
    return g;
  };

  // Scores, memoised across rounds; at most maxScored distinct architectures.
  const scores = new Map<string, { arch: unknown; values: Record<string, number> }>();
  let abortRound: AbortController | undefined;
  // The scoring budget is spread over the rounds (scoringAllowance), so later rounds search again under better models
  // instead of only re-reading the first round's candidates.
  let allowance = o.maxScored;
  const scoreOne = async (proxy: string, arch: unknown): Promise<ScoreRecord> => {
    const text = space.format(arch);
    let entry = scores.get(text);
    if (entry && proxy in entry.values) {
      const v = entry.values[proxy]!;
      return Number.isFinite(v) ? { ok: true, value: v } : { ok: false, reason: `${proxy} could not be computed` };
    }
    if (!entry) {
      if (scores.size >= allowance) {
        abortRound?.abort();
        return { ok: false, reason: `scoring budget of this round (${allowance} of ${o.maxScored} architectures) spent` };
      }
      entry = { arch, values: {} };
      scores.set(text, entry);
      o.progress?.(`scoring (${o.proxies.join('+')})`, scores.size, o.maxScored);
    }
    const r = await o.score(proxy, arch, () => o.space.scoringGraph(arch));
    entry.values[proxy] = r.ok ? r.value : Number.NaN;
    return r;
  };
  const scoreAll = async (arch: unknown): Promise<number[]> => {
    // Through a scoring queue the proxies of one architecture are separate jobs: ask for them at once.
    if ((o.scoreParallel ?? 1) > 1) return (await Promise.all(o.proxies.map((p) => scoreOne(p, arch)))).map((r) => (r.ok ? r.value : Number.NaN));
    const out: number[] = [];
    for (const p of o.proxies) {
      const r = await scoreOne(p, arch);
      out.push(r.ok ? r.value : Number.NaN);
    }
    return out;
  };

  const targets = o.targets.map((t) => {
    const metric = (t.budget ? costField(t.budget.metric) : 'latencyMs') as TargetCostMetric;
    return {
      spec: t,
      metric,
      model: new TargetCostModel({ metric, graphOf: deviceGraph, ...(t.lut && metric === 'latencyMs' ? { lut: t.lut } : {}) }),
      measured: new Map<string, MeasuredCost>(),
      learning: [] as LearningPoint[],
      spent: 0,
      /** Robust relative spread of the last round's out-of-sample errors (0 until a round had two). */
      outOfSampleSpread: 0,
      lastBest: undefined as string | undefined,
      stable: false,
    };
  });

  const measureOn = async (spec: LoopTarget, archs: string[], kind: string): Promise<Map<string, MeasuredCost>> => {
    if (!spec.oracle) return o.measure(spec.id, archs, kind);
    const out = new Map<string, MeasuredCost>();
    for (const a of archs) {
      const v = spec.oracle(a);
      if (v !== undefined) out.set(a, { latencyMs: v, energyJ: v });
    }
    return out;
  };
  const predictOn = (t: (typeof targets)[number], arch: string): { value: number; uncertainty: number } | undefined => {
    if (!t.spec.oracle) return t.model.predict(arch);
    const v = t.spec.oracle(arch);
    return v === undefined ? undefined : { value: v, uncertainty: 0 };
  };
  const record = async (t: (typeof targets)[number], archs: string[], round: number): Promise<void> => {
    if (archs.length === 0) return;
    const before = new Map(archs.map((a) => [a, predictOn(t, a)?.value ?? Number.NaN]));
    const samplesBefore = t.model.samples.size;
    const modelBefore = t.model.name;
    const got = await measureOn(t.spec, archs, 'measure');
    t.spent += archs.length;
    const pairs: { predicted: number; measured: number }[] = [];
    for (const [arch, m] of got) {
      t.measured.set(arch, m);
      const v = valueOf(m, t.metric);
      if (v === null) continue;
      t.model.observe(arch, v);
      pairs.push({ predicted: before.get(arch) ?? Number.NaN, measured: v });
    }
    const missing = archs.length - got.size;
    if (missing) log(`${t.spec.id}: ${missing} of ${archs.length} measurement(s) failed (see the lines above)`);
    const rel = pairs.filter((p) => Number.isFinite(p.predicted) && p.measured > 0).map((p) => Math.abs(p.predicted - p.measured) / p.measured);
    if (rel.length >= 2) t.outOfSampleSpread = 1.4826 * median(rel);
    t.model.refit();
    const point: LearningPoint = { round, model: modelBefore, samplesBefore, measured: got.size, errors: predictionErrors(pairs) };
    if (o.saveModel) {
      point.modelFile = o.saveModel(t.spec.id, t.model.snapshot({ target: t.spec.id, space: o.space.name, spaceOptions: o.spaceOptions ?? {}, round, lut: t.spec.lutPath ?? null, errors: point.errors }));
    }
    t.learning.push(point);
    const e = point.errors;
    log(
      `${t.spec.id} round ${round}: measured ${got.size}; previous model (${modelBefore}) ` +
        (e.n ? `MAPE ${e.mapePercent!.toFixed(1)}%, within ±10% ${(100 * e.within10!).toFixed(0)}%${e.spearman === null ? '' : `, Spearman ${e.spearman.toFixed(3)}`}` : 'had no prediction') +
        `; now ${t.model.name}`,
    );
  };

  // Round 0: a spread of sizes on every measured target: the first model, or the calibration of its lookup table.
  const spreadCount = Math.min(o.measurePerTarget, Math.max(3, Math.ceil(o.measurePerTarget / 6)));
  const spread = spreadSample(o, spreadCount);
  // Targets are separate devices: measure them at the same time (a run over two devices takes the slower one's time).
  await Promise.all(targets.filter((t) => !t.spec.oracle).map((t) => record(t, spread.filter((a) => !t.measured.has(a)), 0)));
  // Measured architectures are candidates too: the spread is scored (within the scoring budget).
  if (targets.some((t) => !t.spec.oracle)) for (const a of spread) await scoreAll(space.parse(a));

  // Reference sample for per-candidate combined scores (evolution, NSGA-II with several proxies).
  let combined: ((values: readonly number[]) => number) | undefined;
  if (o.proxies.length > 1 && o.algo !== 'sample') {
    const ref = await referenceSampleScorer({
      space,
      seed: o.seed,
      size: referenceSize(o.maxScored),
      scoreAll,
      how: o.aggregate ?? 'rank-sum',
      skip: (a) => budgetFailure(space.metrics(a), {}, o.structural ?? {}) !== undefined || scores.has(space.format(a)),
    });
    combined = ref.combined;
    log(`combined score of ${o.proxies.join('+')}: ranks against a reference sample of ${ref.reference.length} architectures (scored, and candidates too)`);
  }

  const candidates = (): LoopCandidate[] => {
    const rows = [...scores].filter(([, e]) => o.proxies.every((p) => p in e.values));
    const columns = o.proxies.map((p) => rows.map(([, e]) => e.values[p]!));
    const agg = o.proxies.length === 1 ? columns[0]! : aggregateRanks(columns, o.aggregate ?? 'rank-sum');
    return rows
      .map(([text, e], i) => ({ arch: text, proxyScores: { ...e.values }, score: agg[i]!, metrics: space.metrics(e.arch) }))
      .filter((c) => o.proxies.every((p) => Number.isFinite(c.proxyScores[p])) && Number.isFinite(c.score))
      .sort((a, b) => b.score - a.score);
  };
  /** Measured on `t` and within its budget on that measurement. */
  const isMeasuredWithin = (t: (typeof targets)[number], arch: string): boolean => {
    const m = t.measured.get(arch);
    const v = m ? valueOf(m, t.metric) : null;
    return v !== null && (!t.spec.budget || v <= t.spec.budget.max);
  };
  const bestMeasured = (t: (typeof targets)[number], pool: LoopCandidate[]): LoopCandidate | undefined => pool.find((c) => isMeasuredWithin(t, c.arch));

  const searchBudgets: Budgets = { ...(o.structural ?? {}) };
  for (const t of targets) if (t.spec.budget) searchBudgets.targets = { ...searchBudgets.targets, [t.spec.id]: { [t.metric]: t.spec.budget.max } };
  let round = 0;
  let stopReason = `reached --rounds ${o.maxRounds}`;
  while (round < o.maxRounds) {
    if (o.signal?.aborted) {
      stopReason = 'interrupted';
      break;
    }
    round++;
    allowance = scoringAllowance(o.maxScored, round, o.maxRounds);
    // 1. Search against the current models.
    const costs: Record<string, CostFn<unknown>> = {};
    for (const t of targets) {
      costs[t.spec.id] = (a) => {
        const p = predictOn(t, space.format(space.snap ? space.snap(a) : a));
        return p ? { [t.metric]: p.value } : {};
      };
    }
    abortRound = new AbortController();
    const forward = (): void => abortRound?.abort();
    o.signal?.addEventListener('abort', forward);
    const before = scores.size;
    const searchStarted = performance.now();
    try {
      const outcome = await runSearch<unknown>({
        space,
        algo: o.algo,
        iterations: iterationsFor(o),
        seed: o.seed,
        budgets: searchBudgets,
        costs,
        signal: abortRound.signal,
        score: async (a) => {
          const v = await scoreAll(a);
          if (combined) return combined(v);
          return Number.isFinite(v[0]!) ? v[0]! : { ok: false, reason: `${o.proxies[0]} could not be computed` };
        },
        ...(o.algo === 'sample'
          ? {
              sample: {
                ...(o.proxies.length > 1 ? { proxies: Object.fromEntries(o.proxies.map((p) => [p, (a: unknown) => scoreOne(p, a)])), aggregate: o.aggregate ?? 'rank-sum' } : {}),
                ...(o.scoreParallel ? { parallel: o.scoreParallel } : {}),
              },
            }
          : {}),
        ...(o.population ? { evolution: { populationSize: o.population } } : o.algo === 'evolution' ? { evolution: { populationSize: Math.max(10, Math.min(512, Math.round(o.maxScored / 5))) } } : {}),
        nsga2: { ...(o.population ? { populationSize: o.population } : {}), ...(o.scoreParallel ? { parallel: o.scoreParallel } : {}) },
      });
      // The search's answers join the candidates even when it ranked them by something else than the proxy (FLASH
      // ranks by its fitted accuracy predictor): they are scored like the rest (within the scoring budget).
      const answers = [...outcome.feasible.slice(0, 10), ...Object.values(outcome.fronts).flatMap((f) => f.slice(0, 5))];
      for (const r of answers) {
        if (abortRound.signal.aborted && !scores.has(r.arch)) continue;
        await scoreAll(space.parse(r.arch));
      }
    } finally {
      o.signal?.removeEventListener('abort', forward);
    }
    const pool = candidates();
    const searchS = (performance.now() - searchStarted) / 1000;
    // An early round's allowance can be spent before the search starts (the spread and the reference sample count).
    const spent = scores.size - before === 0 && before >= allowance ? `; this round's scoring allowance of ${allowance} was already spent` : '';
    log(`round ${round}: ${o.algo} search scored ${scores.size - before} new architecture(s) (${scores.size} of at most ${o.maxScored}; ${pool.length} usable) in ${searchS.toFixed(1)} s${spent}`);

    // 2-3. Per target: choose, measure, refit.
    const hadFullBudget = scoringAllowance(o.maxScored, round - 1, o.maxRounds) >= o.maxScored;
    let measuredAny = false;
    await Promise.all(targets.map(async (t) => {
      const left = o.measurePerTarget - t.spent;
      if (left <= 0) return;
      const quota = Math.min(left, Math.max(1, Math.ceil(left / Math.max(1, o.maxRounds - round + 1))));
      const picks = chooseMeasurements(pool, t, quota, (a) => {
        const p = predictOn(t, a);
        // The model's own spread is in sample; the last round's out-of-sample errors keep it honest.
        return p ? { value: p.value, uncertainty: Math.max(p.uncertainty, t.outOfSampleSpread * p.value) } : undefined;
      });
      if (picks.length) measuredAny = true;
      await record(t, picks, round);
      const best = bestMeasured(t, candidates())?.arch;
      // Stable: the best is the one of the previous round, and the search had its whole scoring budget already then
      // (an early round's search saw only part of the space it may score, so an unchanged best means little).
      t.stable = round > 1 && best !== undefined && best === t.lastBest && hadFullBudget;
      t.lastBest = best;
    }));
    if (targets.every((t) => t.spent >= o.measurePerTarget)) {
      stopReason = 'measurement budget (--measure) spent on every target';
      break;
    }
    if (targets.every((t) => t.stable)) {
      stopReason = `every target's best measured architecture unchanged for a round (round ${round})`;
      break;
    }
    if (!measuredAny && scores.size >= o.maxScored) {
      stopReason = 'nothing new to measure and the scoring budget is spent';
      break;
    }
  }
  log(`loop stopped after round ${round}: ${stopReason}`);

  // Verification, then the cross-target pick.
  const pool = candidates();
  const outcomes: TargetOutcome[] = await Promise.all(targets.map(async (t): Promise<TargetOutcome> => {
    const verifications: Verification[] = [];
    let best: TargetOutcome['best'] = null;
    if (t.spec.oracle) {
      const oracle = t.spec.oracle;
      const c = pool.find((x) => {
        const v = oracle(x.arch);
        return v !== undefined && (!t.spec.budget || v <= t.spec.budget.max);
      });
      if (c) {
        const v = oracle(c.arch)!;
        best = { arch: c.arch, score: c.score, measured: { latencyMs: v, energyJ: v }, predicted: v, verified: null };
      }
      return { target: t.spec.id, metric: t.metric, budget: t.spec.budget ?? null, lutPath: null, model: t.model, measured: t.measured, learning: t.learning, verifications, best };
    }
    const ranked = pool.filter((c) => isMeasuredWithin(t, c.arch));
    for (const c of ranked.slice(0, MAX_VERIFIED)) {
      const v = await verify(o, t.spec.id, t.metric, t.spec.budget, c.arch, t.model.predict(c.arch)?.value ?? null);
      verifications.push(v);
      const unit = t.metric === 'energyJ' ? 'energy' : 'latency';
      log(`${t.spec.id}: verified ${c.arch}: median ${v.measuredMedian === null ? 'n/a' : formatCost(unit, v.measuredMedian)} over ${v.roundValues.length} round(s) -> ${v.meetsBudget ? 'meets' : 'misses'} the budget${t.spec.budget ? ` (${t.spec.budget.text})` : ''}`);
      if (v.meetsBudget) {
        best = { arch: c.arch, score: c.score, measured: t.measured.get(c.arch)!, predicted: v.predicted, verified: v };
        break;
      }
    }
    return { target: t.spec.id, metric: t.metric, budget: t.spec.budget ?? null, lutPath: t.spec.lutPath ?? null, model: t.model, measured: t.measured, learning: t.learning, verifications, best };
  }));
  if (targets.length > 1) {
    await Promise.all(targets.map(async (t) => {
      const others = outcomes.map((x) => x.best?.arch).filter((a): a is string => a !== undefined && !t.measured.has(a));
      if (others.length) {
        const got = await measureOn(t.spec, [...new Set(others)], 'measure');
        for (const [a, m] of got) t.measured.set(a, m);
      }
    }));
  }
  const commonFeasible = pool
    .filter((c) => targets.every((t) => isMeasuredWithin(t, c.arch)))
    .map((c) => ({ arch: c.arch, score: c.score, measured: Object.fromEntries(targets.map((t) => [t.spec.id, t.measured.get(c.arch)!])) }));
  return { candidates: pool, targets: outcomes, rounds: round, scored: scores.size, stopReason, commonFeasible };
}

/**
 * Distinct architectures the search may have scored by the end of `round`: half the budget in round 1, rising
 * linearly to all of it by round R−1, so the last round measures with the final model what the full search found
 * (R = 1: all at once; R = 2: half, then all).
 */
export function scoringAllowance(maxScored: number, round: number, maxRounds: number): number {
  if (round < 1) return 0;
  if (maxRounds <= 1) return maxScored;
  const full = Math.max(1, maxRounds - 2);
  return Math.ceil(maxScored * Math.min(1, 0.5 + (0.5 * (round - 1)) / full));
}

/** Seeded spread of sizes: `count` architectures at FLOPs quantiles of a random sample (not scored). */
function spreadSample(o: ClosedLoopOptions, count: number): string[] {
  const { space } = o.space;
  const rng = new SeededRng(o.seed ^ 0x5eed);
  const drawn = new Map<string, number>();
  for (let i = 0; i < 4000 && drawn.size < 256; i++) {
    const a = space.sample(rng);
    if (space.isDegenerate?.(a)) continue;
    const m = space.metrics(a);
    if (budgetFailure(m, {}, o.structural ?? {})) continue;
    drawn.set(space.format(a), m.flops);
  }
  const bySize = [...drawn].sort((a, b) => a[1] - b[1]).map(([text]) => text);
  if (bySize.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', 'no architecture of the space meets the flops/params/layers budgets in 4,000 draws');
  if (o.firstRound) return [...new Set(o.firstRound(bySize, Math.min(count, bySize.length)))];
  const picks = Array.from({ length: Math.min(count, bySize.length) }, (_, i) => bySize[Math.round((i * (bySize.length - 1)) / Math.max(1, count - 1))]!);
  return [...new Set(picks)];
}

/**
 * What to measure on one target: the best-scoring candidates that may be within its budget, in score order: those
 * predicted within it, and those whose prediction minus its uncertainty is (the prediction ± uncertainty straddles
 * the budget, so the model's error decides). The best feasible architecture is among the best-scoring plausible
 * ones, so measurements go there first. Without a budget: the best-scoring candidates.
 * Candidates scored below the best one already measured within budget cannot change the answer, but skipping them
 * was tried and lost (docs/engineering/closed-loop.md, "Measuring only above the best"): they are where the model
 * learns the boundary.
 */
export function chooseMeasurements(
  pool: readonly LoopCandidate[],
  t: { measured: ReadonlyMap<string, MeasuredCost>; spec: Pick<LoopTarget, 'budget'> },
  quota: number,
  predict: (arch: string) => { value: number; uncertainty: number } | undefined,
): string[] {
  const open = pool.filter((c) => !t.measured.has(c.arch));
  const budget = t.spec.budget;
  if (!budget) return open.slice(0, quota).map((c) => c.arch);
  const picks: string[] = [];
  for (const c of open) {
    if (picks.length >= quota) break;
    const p = predict(c.arch);
    if (p && p.value - p.uncertainty <= budget.max) picks.push(c.arch);
  }
  return picks;
}

function iterationsFor(o: ClosedLoopOptions): number {
  if (o.iterations !== undefined) return o.iterations;
  switch (o.algo) {
    case 'sample':
      return o.maxScored;
    case 'evolution':
      return 20 * o.maxScored;
    case 'nsga2':
      return 200;
    case 'flash':
      return 3;
  }
}

async function verify(o: ClosedLoopOptions, target: string, metric: TargetCostMetric, budget: Budget | undefined, arch: string, predicted: number | null): Promise<Verification> {
  const values: number[] = [];
  for (let r = 0; r < o.verifyRounds; r++) {
    const got = await o.measure(target, [arch], `verify-${r}`);
    const m = got.get(arch);
    const v = m ? valueOf(m, metric) : null;
    if (v !== null) values.push(v);
  }
  const med = values.length ? median(values) : null;
  return { arch, predicted, measuredMedian: med, roundValues: values, meetsBudget: med !== null && (!budget || med <= budget.max) };
}

/**
 * One entry point for the CLI (`zeronas search`) and the orchestrator: runSearch picks the algorithm and returns
 * the same outcome shape for all of them.
 *
 *  - 'evolution': ZiCo's evolution (evolution.ts); `iterations` = T. Outcome front/fronts are computed over the
 *    final population; `feasible` = population members meeting every budget (all do: evolution rejects the rest).
 *  - 'nsga2': NSGA-II (nsga2.ts); `iterations` = generations.
 *  - 'flash': FLASH's hierarchical SHGO (flash.ts), FLASH space only. Unless `flash.accuracy` is given, the 25
 *    predictor samples are scored with `score` (the proxy, or trained accuracies) and acc ≈ a + b·ln g + c·ln P is
 *    fitted to them (at most `flash.maxScored` samples); `costs` must then be synchronous and accept real-valued
 *    knobs. `iterations` = SHGO iterations (each adds 128 Sobol points; the predictor is cheap, so a few suffice).
 *    The outcome's scores are then the predictor's (outcome.flash.scores says so).
 *  - 'sample': budget-first random sampling (sampleSearch.ts); `iterations` = candidates scored. With
 *    `sample.proxies` (several named scorers) the winner is chosen by rank aggregation over the scored set.
 */
import { ZeronasError } from '../../shared/errors.js';
import type { SearchSpace } from '../spaces/searchSpace.js';
import type { FlashArch } from '../spaces/flash.js';
import { evolutionSearch, type EvolutionState } from './evolution.js';
import { fitFlashPredictor, flashCoOptimizeAsync, flashSobolSamples, type FlashCoOptResult, type FlashPredictor } from './flash.js';
import { costObjectives, nsga2Search, type Nsga2State } from './nsga2.js';
import { paretoFront } from './pareto.js';
import { sampleSearch, type SampledArch, type SampleSearchResult } from './sampleSearch.js';
import type { RankAggregation } from '../proxies/ensemble.js';
import { budgetViolation, normaliseScore, type Budgets, type CostFn, type CostVector, type EvaluatedArch, type ProgressFn, type ScoreFn } from './types.js';

export type SearchAlgo = 'evolution' | 'flash' | 'nsga2' | 'sample';
export const SEARCH_ALGOS: readonly SearchAlgo[] = ['evolution', 'flash', 'nsga2', 'sample'];
export type SearchState = EvolutionState | Nsga2State;

export interface RunSearchOptions<A> {
  space: SearchSpace<A>;
  algo: SearchAlgo;
  /** Proxy score, higher is better; the caller builds `space.toGraph(arch, { forScoring: true })` inside. */
  score: ScoreFn<A>;
  /** Cost predictor per target id (e.g. 'pi3b', 'browser'). */
  costs?: Record<string, CostFn<A>>;
  budgets?: Budgets;
  iterations: number;
  seed: number;
  onProgress?: ProgressFn;
  /** Resume a saved evolution or NSGA-II run. */
  state?: SearchState;
  signal?: AbortSignal;
  evolution?: { populationSize?: number; bootstrapSize?: number; progressEvery?: number };
  /** NSGA-II: population, and candidates evaluated at once (a scoring queue's window; the result is the same). */
  nsga2?: { populationSize?: number; parallel?: number };
  /** FLASH: given accuracies (else `samples` Sobol archs, default 25, are scored to fit the predictor, at most `maxScored`). */
  flash?: { accuracy?: (a: FlashArch) => number; samples?: number; maxScored?: number; radius?: number; n?: number };
  /** 'sample': several named proxies (overrides `score`) and how their ranks are combined. */
  /** Sample search: named proxies (rank-aggregated), and how many candidates to score at once (sampleSearch.ts). */
  sample?: { proxies?: Record<string, ScoreFn<A>>; aggregate?: RankAggregation; parallel?: number };
}

export interface SearchOutcome {
  algo: SearchAlgo;
  space: string;
  best: EvaluatedArch | undefined;
  /** Non-dominated in (score ↑, every target cost ↓) among archs meeting every budget. */
  front: EvaluatedArch[];
  /** Per target: non-dominated in (score ↑, that target's costs ↓). */
  fronts: Record<string, EvaluatedArch[]>;
  /** Archs meeting every budget, best score first. */
  feasible: EvaluatedArch[];
  /** Serialisable state for resuming (evolution, nsga2). */
  state?: SearchState;
  stopped: boolean;
  /** 'sample' only: raw per-proxy scores of the scored candidates and what was skipped before scoring. */
  sample?: { scored: SampledArch[]; draws: number; skipped: SampleSearchResult['skipped'] };
  /** FLASH only: the predictor and the raw co-optimiser result. */
  flash?: {
    predictor?: Pick<FlashPredictor, 'coef' | 'rmse' | 'looRmse'>;
    /** predicted: the scores are the predictor's (fitted on `fittedOn` scored archs); bestMeasured: the best's own proxy score, when it was a sample. */
    scores: { predicted: boolean; fittedOn?: number; bestMeasured?: number };
    result: FlashCoOptResult;
  };
}

function frontsOf(records: EvaluatedArch[], budgets: Budgets, targets: string[]): Pick<SearchOutcome, 'front' | 'fronts' | 'feasible'> {
  const cols = costObjectives(records, targets);
  const frontOf = (recs: EvaluatedArch[], c: typeof cols): EvaluatedArch[] =>
    paretoFront(recs.map((r) => ({ r, values: [-r.score, ...c.map(([t, m]) => r.costs[t]?.[m] ?? Number.POSITIVE_INFINITY)] })))
      .map((p) => p.r)
      .sort((a, b) => b.score - a.score);
  const unique = [...new Map(records.map((r) => [r.key, r])).values()];
  const feasible = unique.filter((r) => budgetViolation(r.metrics, r.costs, budgets) === 0).sort((a, b) => b.score - a.score);
  const fronts: Record<string, EvaluatedArch[]> = {};
  for (const t of targets) fronts[t] = frontOf(feasible, cols.filter(([tt]) => tt === t));
  return { front: frontOf(feasible, cols), fronts, feasible };
}

export async function runSearch<A>(o: RunSearchOptions<A>): Promise<SearchOutcome> {
  if (!Number.isInteger(o.iterations) || o.iterations < 1) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `search iterations must be a positive integer, got ${o.iterations}`);
  }
  if (o.state && o.state.space !== o.space.name) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `saved search state is for space '${o.state.space}', not '${o.space.name}'`);
  }
  if (o.state && o.state.algo !== o.algo) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `saved search state is for algorithm '${o.state.algo}', not '${o.algo}'`);
  }
  const targets = Object.keys(o.costs ?? {});
  const budgets = o.budgets ?? {};
  switch (o.algo) {
    case 'evolution': {
      const r = await evolutionSearch({
        space: o.space,
        score: o.score,
        costs: o.costs,
        budgets,
        iterations: o.iterations,
        seed: o.seed,
        onProgress: o.onProgress,
        state: o.state as EvolutionState | undefined,
        signal: o.signal,
        ...o.evolution,
      });
      return { algo: 'evolution', space: o.space.name, best: r.best, ...frontsOf(r.population, budgets, targets), state: r.state, stopped: r.stopped };
    }
    case 'nsga2': {
      const r = await nsga2Search({
        space: o.space,
        score: o.score,
        costs: o.costs,
        budgets,
        generations: o.iterations,
        seed: o.seed,
        onProgress: o.onProgress,
        state: o.state as Nsga2State | undefined,
        signal: o.signal,
        ...o.nsga2,
      });
      return { algo: 'nsga2', space: o.space.name, best: r.feasible[0], front: r.front, fronts: r.fronts, feasible: r.feasible, state: r.state, stopped: r.stopped };
    }
    case 'flash':
      return runFlash(o as unknown as RunSearchOptions<FlashArch>, budgets, targets);
    case 'sample': {
      const r = await sampleSearch({
        space: o.space,
        proxies: o.sample?.proxies ?? { score: o.score },
        aggregate: o.sample?.aggregate,
        ...(o.sample?.parallel !== undefined ? { parallel: o.sample.parallel } : {}),
        costs: o.costs,
        budgets,
        maxScored: o.iterations,
        seed: o.seed,
        isDegenerate: o.space.isDegenerate?.bind(o.space),
        onProgress: o.onProgress,
        signal: o.signal,
      });
      return {
        algo: 'sample',
        space: o.space.name,
        best: r.best,
        ...frontsOf(r.scored, budgets, targets),
        stopped: r.stopped,
        sample: { scored: r.scored, draws: r.draws, skipped: r.skipped },
      };
    }
    default:
      throw new ZeronasError('ZN_BAD_ARGUMENT', `unknown search algorithm '${String(o.algo)}'; expected one of ${SEARCH_ALGOS.join(', ')}`);
  }
}

/** Fewest scored samples the FLASH predictor can be fitted on (fitFlashPredictor: 3 coefficients and one to spare). */
export const FLASH_MIN_SAMPLES = 4;

async function runFlash(o: RunSearchOptions<FlashArch>, budgets: Budgets, targets: string[]): Promise<SearchOutcome> {
  if (o.space.name !== 'flash') {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `algorithm 'flash' needs the flash space, got '${o.space.name}'`);
  }
  let predictor: FlashPredictor | undefined;
  let accuracy = o.flash?.accuracy;
  const measured = new Map<string, number>();
  let stopped = false;
  let fittedOn = 0;
  if (!accuracy) {
    // The Sobol sample is everything FLASH scores, so a scoring cap bounds it.
    const wanted = o.flash?.samples ?? 25;
    const cap = o.flash?.maxScored;
    const n = cap !== undefined ? Math.min(wanted, cap) : wanted;
    if (n < FLASH_MIN_SAMPLES) {
      throw new ZeronasError(
        'ZN_BAD_ARGUMENT',
        `algorithm 'flash' fits its predictor on at least ${FLASH_MIN_SAMPLES} scored architectures, but ${cap !== undefined && cap < wanted ? `max-scored ${cap}` : `samples ${wanted}`} allows ${n}; allow at least ${FLASH_MIN_SAMPLES}`,
        { minimum: FLASH_MIN_SAMPLES, allowed: n },
      );
    }
    const samples: { arch: FlashArch; accuracy: number }[] = [];
    const sobol = flashSobolSamples(n);
    for (const [i, arch] of sobol.entries()) {
      if (o.signal?.aborted) {
        stopped = true;
        break;
      }
      const s = normaliseScore(await o.score(arch));
      if (s.ok) {
        samples.push({ arch, accuracy: s.value });
        measured.set(o.space.key(arch), s.value);
      }
      o.onProgress?.({ algo: 'flash', phase: 'scoring predictor samples', iteration: i + 1, total: sobol.length, evaluated: i + 1, cacheHits: 0, rejected: 0 });
    }
    if (stopped && samples.length < FLASH_MIN_SAMPLES) {
      return { algo: 'flash', space: o.space.name, best: undefined, front: [], fronts: Object.fromEntries(targets.map((t) => [t, []])), feasible: [], stopped: true };
    }
    predictor = fitFlashPredictor(samples);
    fittedOn = samples.length;
    accuracy = predictor.predict;
  }
  const syncCosts: Record<string, (a: FlashArch) => CostVector> = {};
  for (const [t, f] of Object.entries(o.costs ?? {})) {
    syncCosts[t] = (a) => {
      const v = f(a);
      if (v instanceof Promise) {
        throw new ZeronasError('ZN_BAD_ARGUMENT', `algorithm 'flash' needs synchronous cost functions; target '${t}' returned a Promise`);
      }
      return v;
    };
  }
  const evaluated = measured.size;
  const result = await flashCoOptimizeAsync(
    {
      accuracy,
      costs: syncCosts,
      budgets: budgets.targets,
      shgo: { iters: o.iterations, ...(o.flash?.n ? { n: o.flash.n } : {}) },
      radius: o.flash?.radius,
    },
    {
      // Stopped before SHGO (Ctrl-C while scoring): one iteration still runs, so the fitted predictor is used.
      ...(o.signal ? { signal: o.signal } : {}),
      onIteration: (done, total) => o.onProgress?.({ algo: 'flash', phase: 'SHGO on the fitted predictor', iteration: done, total, evaluated, cacheHits: 0, rejected: 0 }),
    },
  );
  const records: EvaluatedArch[] = result.candidates.map((c) => {
    const m = o.space.metrics(c.arch);
    return { arch: o.space.format(c.arch), key: o.space.key(c.arch), score: c.accuracy, metrics: m, costs: c.costs };
  });
  const structural: Budgets = { ...budgets };
  const best = records.find((r) => budgetViolation(r.metrics, r.costs, structural) === 0);
  const bestMeasured = best ? measured.get(best.key) : undefined;
  return {
    algo: 'flash',
    space: o.space.name,
    best,
    ...frontsOf(records, budgets, targets),
    stopped: stopped || result.iterations.stopped,
    flash: {
      ...(predictor ? { predictor: { coef: predictor.coef, rmse: predictor.rmse, looRmse: predictor.looRmse } } : {}),
      // Without given accuracies, every score here is the fitted predictor's, not a measured proxy score.
      scores: predictor ? { predicted: true, fittedOn, ...(bestMeasured !== undefined ? { bestMeasured } : {}) } : { predicted: false },
      result,
    },
  };
}

export { evolutionSearch } from './evolution.js';
export { nsga2Search } from './nsga2.js';
export { sampleSearch } from './sampleSearch.js';
export { shgo } from './shgo.js';
export { paretoFront, nonDominatedSort, crowdingDistance, dominates } from './pareto.js';
export { flashCoOptimize, fitFlashPredictor, flashSobolSamples } from './flash.js';
export type { Budgets, CostFn, CostVector, EvaluatedArch, ScoreFn, ScoreOutcome, SearchProgress } from './types.js';

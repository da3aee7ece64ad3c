/**
 * ZiCo's evolutionary search (ALGORITHMS.md §C, evolution_search.py::main), generic over the search-space verbs.
 *
 *   pop = []
 *   for it in 0..T-1:
 *     while |pop| > E: remove the entry with the minimum score (first occurrence)
 *     if |pop| <= 10: parent = initial; k = bootstrap count      else: parent = uniform(pop); k = population count
 *     child = space.mutate(parent, k)                (IDW: ZiCo mutate + split(6); NB201: change one edge op)
 *     reject (iteration consumed) if layers > L, params > P, FLOPs > F (space.metrics: IDW at 224 with residuals),
 *       or any target's predicted latency/energy/area > its budget (new: one injected predictor per target)
 *     score = cached score of child's key, else score(child) (the caller scores the `forScoring` graph)
 *     pop.append((child, score))
 *   best = first argmax over pop
 *
 * Kept from the code, not the paper's Alg. 1: the initial structure is never scored itself, rejected candidates
 * consume iterations, duplicates stay in the population, pruning happens at the top of the loop (the final
 * population may hold E + 1 entries). Additions: a score that failed (not finite, or thrown) is cached and the
 * candidate is dropped like a budget rejection; the state is JSON and resumable; RNG draws are ours (mulberry32),
 * so runs are deterministic per seed but do not replay Python's random stream.
 */
import type { SearchSpace } from '../spaces/searchSpace.js';
import { randomChoice } from '../spaces/searchSpace.js';
import { SeededRng } from './rng.js';
import {
  budgetFailure,
  EvaluationCache,
  type Budgets,
  type CacheState,
  type CostFn,
  type EvaluatedArch,
  type ProgressFn,
  type ScoreFn,
} from './types.js';

export interface EvolutionOptions<A> {
  space: SearchSpace<A>;
  score: ScoreFn<A>;
  costs?: Record<string, CostFn<A>>;
  budgets?: Budgets;
  /** T: iterations, rejected ones included (ZiCo ImageNet: 100,000). */
  iterations: number;
  /** E: population size (ZiCo: 512). */
  populationSize?: number;
  /** Population size at or below which the parent is the initial structure (ZiCo: 10). */
  bootstrapSize?: number;
  /** Default: space.initial(). */
  initial?: A;
  seed: number;
  onProgress?: ProgressFn;
  /** Progress callback period in iterations (default max(1, ⌊T/100⌋)). */
  progressEvery?: number;
  /** Resume from a saved state (same space, seed and options). */
  state?: EvolutionState;
  /** Stops after the current iteration; the returned state resumes the run. */
  signal?: AbortSignal;
}

export interface EvolutionState {
  version: 1;
  algo: 'evolution';
  space: string;
  seed: number;
  /** Iterations completed. */
  iteration: number;
  rngState: number;
  /** Population as (key, score) in insertion order; archs live in the cache. */
  population: { key: string; score: number }[];
  rejected: Record<string, number>;
  cache: CacheState;
}

export interface EvolutionResult {
  best: EvaluatedArch | undefined;
  population: EvaluatedArch[];
  state: EvolutionState;
  /** True when `signal` stopped the run before `iterations`. */
  stopped: boolean;
}

export async function evolutionSearch<A>(o: EvolutionOptions<A>): Promise<EvolutionResult> {
  const { space, iterations, populationSize = 512, bootstrapSize = 10, budgets = {} } = o;
  const cache = new EvaluationCache(space, o.score, o.costs);
  const parsed = new Map<string, A>();
  const initial = o.initial ?? space.initial();
  let rng: SeededRng;
  let iteration = 0;
  let population: { key: string; score: number }[] = [];
  let rejected: Record<string, number> = {};
  if (o.state) {
    cache.load(o.state.cache);
    rng = SeededRng.fromState(o.state.rngState);
    iteration = o.state.iteration;
    population = o.state.population.map((p) => ({ ...p }));
    rejected = { ...o.state.rejected };
  } else {
    rng = new SeededRng(o.seed);
  }
  const archOf = (key: string): A => {
    let a = parsed.get(key);
    if (a === undefined) {
      a = space.parse(cache.archs.get(key)!);
      parsed.set(key, a);
    }
    return a;
  };
  const bestOf = (): { key: string; score: number } | undefined =>
    population.reduce<{ key: string; score: number } | undefined>((b, p) => (!b || p.score > b.score ? p : b), undefined);
  const every = o.progressEvery ?? Math.max(1, Math.floor(iterations / 100));
  const report = (): void => {
    if (!o.onProgress) return;
    const b = bestOf();
    o.onProgress({
      algo: 'evolution',
      iteration,
      total: iterations,
      evaluated: cache.scores.size,
      cacheHits: cache.hits,
      rejected: Object.values(rejected).reduce((s, v) => s + v, 0),
      ...(b ? { best: { arch: cache.archs.get(b.key)!, score: b.score } } : {}),
    });
  };
  const reject = (why: string): void => {
    rejected[why] = (rejected[why] ?? 0) + 1;
  };

  let stopped = false;
  while (iteration < iterations) {
    if (o.signal?.aborted) {
      stopped = true;
      break;
    }
    while (population.length > populationSize) {
      let worst = 0;
      population.forEach((p, i) => {
        if (p.score < population[worst]!.score) worst = i;
      });
      population.splice(worst, 1);
    }
    const bootstrap = population.length <= bootstrapSize;
    const parent = bootstrap ? initial : archOf(randomChoice(rng, population).key);
    const k = bootstrap ? space.evolutionMutations.bootstrap : space.evolutionMutations.population;
    const child = space.mutate(parent, rng, k);
    const key = space.key(child);
    parsed.set(key, child);
    iteration++;

    const metrics = cache.metricsOf(child, key);
    let why = budgetFailure(metrics, {}, { layers: budgets.layers, params: budgets.params, flops: budgets.flops });
    if (!why) {
      const costs = await cache.costsOf(child, key);
      why = budgetFailure(metrics, costs, { targets: budgets.targets });
    }
    if (why) reject(why);
    else {
      const s = await cache.scoreOf(child, key);
      if (s.ok) population.push({ key, score: s.value });
      else reject('scoreFailed');
    }
    if (iteration % every === 0 || iteration === iterations) report();
  }

  const state: EvolutionState = {
    version: 1,
    algo: 'evolution',
    space: space.name,
    seed: o.seed,
    iteration,
    rngState: rng.state,
    population: population.map((p) => ({ ...p })),
    rejected,
    cache: cache.toJSON(),
  };
  const b = bestOf();
  return {
    best: b ? cache.record(b.key) : undefined,
    population: population.map((p) => cache.record(p.key)!),
    state,
    stopped,
  };
}

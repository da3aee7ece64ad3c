/**
 * Multi-target Pareto search with NSGA-II (Deb, Pratap, Agarwal & Meyarivan 2002), generic over the space verbs.
 *
 * Objectives (all minimised internally): −score, then every (target, metric) a cost predictor returns
 * (latencyMs, energyJ, areaMm2 in that order), e.g. [−ZiCo, pi3b.latencyMs, browser.latencyMs]. Budgets enter as
 * constrained domination (Deb 2000) with violation Σ max(0, value/limit − 1) over every budget.
 * One generation: P offspring, each = space.mutate(binary-tournament winner) (crowded comparison: lower rank, then
 * larger crowding distance); duplicates of current members are redrawn (up to 20·P tries); failed scores are
 * dropped. Parents ∪ offspring are sorted into fronts and the next population is filled front by front, the last
 * front by crowding distance. No crossover: the spaces only define mutation.
 *
 * Outputs are computed over every architecture evaluated (the archive), not only the last population:
 *  - `front`: non-dominated in (score ↑, all costs ↓) among archs meeting every budget;
 *  - `fronts[target]`: non-dominated in (score ↑, that target's costs ↓) among archs meeting that target's budget
 *    and the structural budgets;
 *  - `feasible`: archs meeting every target's budget, best score first.
 */
import type { SearchSpace } from '../spaces/searchSpace.js';
import { randomInt } from '../spaces/searchSpace.js';
import { crowdingDistance, nonDominatedSort, paretoFront } from './pareto.js';
import { SeededRng } from './rng.js';
import {
  budgetViolation,
  COST_METRICS,
  EvaluationCache,
  type Budgets,
  type CacheState,
  type CostFn,
  type EvaluatedArch,
  type ProgressFn,
  type ScoreFn,
} from './types.js';

export interface Nsga2Options<A> {
  space: SearchSpace<A>;
  score: ScoreFn<A>;
  costs?: Record<string, CostFn<A>>;
  budgets?: Budgets;
  /** Generations. */
  generations: number;
  populationSize?: number;
  seed: number;
  onProgress?: ProgressFn;
  state?: Nsga2State;
  signal?: AbortSignal;
  /**
   * Candidates evaluated at once (default 1), e.g. to keep a scoring queue's workers busy. The result is the same for
   * any value (`drawUntilScored`).
   */
  parallel?: number;
}

export interface Nsga2State {
  version: 1;
  algo: 'nsga2';
  space: string;
  seed: number;
  generation: number;
  rngState: number;
  population: string[];
  cache: CacheState;
}

export interface Nsga2Result {
  front: EvaluatedArch[];
  fronts: Record<string, EvaluatedArch[]>;
  feasible: EvaluatedArch[];
  population: EvaluatedArch[];
  state: Nsga2State;
  stopped: boolean;
}

/** The cost objectives present in an archive: [target, metric] pairs in a stable order. */
export function costObjectives(records: readonly EvaluatedArch[], targets: readonly string[]): [string, (typeof COST_METRICS)[number]][] {
  const out: [string, (typeof COST_METRICS)[number]][] = [];
  for (const t of targets) {
    for (const m of COST_METRICS) if (records.some((r) => r.costs[t]?.[m] !== undefined)) out.push([t, m]);
  }
  return out;
}

export async function nsga2Search<A>(o: Nsga2Options<A>): Promise<Nsga2Result> {
  const { space, generations, populationSize = 32, budgets = {} } = o;
  const targets = Object.keys(o.costs ?? {});
  const cache = new EvaluationCache(space, o.score, o.costs);
  const parsed = new Map<string, A>();
  let rng: SeededRng;
  let generation = 0;
  let population: string[] = [];

  const evaluate = async (arch: A): Promise<string | undefined> => {
    const key = space.key(arch);
    parsed.set(key, arch);
    cache.metricsOf(arch, key);
    await cache.costsOf(arch, key);
    const s = await cache.scoreOf(arch, key);
    return s.ok ? key : undefined;
  };
  const report = (): void => {
    if (!o.onProgress) return;
    const recs = [...cache.scores.keys()].map((k) => cache.record(k)).filter((r): r is EvaluatedArch => !!r);
    const best = recs.reduce<EvaluatedArch | undefined>((b, r) => (!b || r.score > b.score ? r : b), undefined);
    o.onProgress({
      algo: 'nsga2',
      iteration: generation,
      total: generations,
      evaluated: cache.scores.size,
      cacheHits: cache.hits,
      rejected: [...cache.scores.values()].filter((s) => !s.ok).length,
      ...(best ? { best: { arch: best.arch, score: best.score } } : {}),
    });
  };

  /**
   * Draws candidates until `want` new ones (keys not in `taken`) have scored, at most `maxTries` draws, evaluating up
   * to `parallel` at once. Which candidates are drawn never depends on a score, and a window holds only as many
   * candidates as are still missing, so no candidate is drawn that the one-at-a-time loop would not draw: the
   * result is the same for any `parallel`.
   */
  const parallel = Math.max(1, Math.floor(o.parallel ?? 1));
  const drawUntilScored = async (want: number, maxTries: number, draw: () => A, taken: Set<string>): Promise<string[]> => {
    const out: string[] = [];
    let tries = 0;
    // A stop request (the caller's scoring budget spent) ends the draw at once, not at the end of the generation.
    while (out.length < want && tries < maxTries && !o.signal?.aborted) {
      const window: A[] = [];
      while (window.length < Math.min(parallel, want - out.length) && tries < maxTries) {
        tries++;
        const arch = draw();
        const key = space.key(arch);
        if (taken.has(key)) continue;
        taken.add(key);
        window.push(arch);
      }
      for (const k of await Promise.all(window.map(evaluate))) if (k) out.push(k);
      report();
    }
    return out;
  };
  const objectivesOf = (keys: readonly string[]): { obj: number[][]; viol: number[] } => {
    const recs = keys.map((k) => cache.record(k)!);
    const cols = costObjectives(recs, targets);
    return {
      obj: recs.map((r) => [-r.score, ...cols.map(([t, m]) => r.costs[t]?.[m] ?? Number.POSITIVE_INFINITY)]),
      viol: recs.map((r) => budgetViolation(r.metrics, r.costs, budgets)),
    };
  };

  if (o.state) {
    cache.load(o.state.cache);
    rng = SeededRng.fromState(o.state.rngState);
    generation = o.state.generation;
    population = [...o.state.population];
    for (const k of population) parsed.set(k, space.parse(cache.archs.get(k)!));
  } else {
    rng = new SeededRng(o.seed);
    const seen = new Set<string>();
    const first = await evaluate(space.initial());
    if (first) {
      population.push(first);
      seen.add(first);
    }
    population.push(...(await drawUntilScored(populationSize - population.length, 20 * populationSize, () => space.sample(rng), seen)));
  }

  let stopped = false;
  while (generation < generations) {
    if (o.signal?.aborted) {
      stopped = true;
      break;
    }
    // rank and crowding of the current population, for tournaments
    const { obj, viol } = objectivesOf(population);
    const fronts = nonDominatedSort(obj, viol);
    const rank = new Array<number>(population.length);
    const crowd = new Array<number>(population.length);
    fronts.forEach((f, r) => {
      const cd = crowdingDistance(obj, f);
      for (const i of f) {
        rank[i] = r;
        crowd[i] = cd.get(i)!;
      }
    });
    const tournament = (): number => {
      const a = randomInt(rng, population.length);
      const b = randomInt(rng, population.length);
      if (rank[a]! !== rank[b]!) return rank[a]! < rank[b]! ? a : b;
      return crowd[a]! >= crowd[b]! ? a : b;
    };
    const offspring = await drawUntilScored(
      populationSize,
      20 * populationSize,
      () => space.mutate(parsed.get(population[tournament()]!)!, rng, space.evolutionMutations.population),
      new Set(population),
    );
    // environmental selection
    const union = [...population, ...offspring];
    const u = objectivesOf(union);
    const next: string[] = [];
    for (const f of nonDominatedSort(u.obj, u.viol)) {
      if (next.length + f.length <= populationSize) {
        next.push(...f.map((i) => union[i]!));
        continue;
      }
      const cd = crowdingDistance(u.obj, f);
      const sorted = [...f].sort((a, b) => cd.get(b)! - cd.get(a)! || a - b);
      next.push(...sorted.slice(0, populationSize - next.length).map((i) => union[i]!));
      break;
    }
    population = next;
    generation++;
    report();
  }

  const archive = [...cache.scores.keys()].map((k) => cache.record(k)).filter((r): r is EvaluatedArch => !!r);
  const cols = costObjectives(archive, targets);
  const structural: Budgets = { layers: budgets.layers, params: budgets.params, flops: budgets.flops };
  const meets = (r: EvaluatedArch, b: Budgets): boolean => budgetViolation(r.metrics, r.costs, b) === 0;
  const frontOf = (recs: EvaluatedArch[], c: typeof cols): EvaluatedArch[] =>
    paretoFront(
      recs.map((r) => ({ r, values: [-r.score, ...c.map(([t, m]) => r.costs[t]?.[m] ?? Number.POSITIVE_INFINITY)] })),
    ).map((p) => p.r).sort((a, b) => b.score - a.score);
  const feasible = archive.filter((r) => meets(r, budgets)).sort((a, b) => b.score - a.score);
  const fronts: Record<string, EvaluatedArch[]> = {};
  for (const t of targets) {
    const tb: Budgets = { ...structural, targets: budgets.targets?.[t] ? { [t]: budgets.targets[t]! } : {} };
    fronts[t] = frontOf(archive.filter((r) => meets(r, tb)), cols.filter(([tt]) => tt === t));
  }
  return {
    front: frontOf(feasible, cols),
    fronts,
    feasible,
    population: population.map((k) => cache.record(k)!),
    state: {
      version: 1,
      algo: 'nsga2',
      space: space.name,
      seed: o.seed,
      generation,
      rngState: rng.state,
      population: [...population],
      cache: cache.toJSON(),
    },
    stopped,
  };
}

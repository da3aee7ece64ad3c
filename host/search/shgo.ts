/**
 * SHGO, simplicial homology global optimisation (Endres, Sandrock & Focke 2018; scipy.optimize.shgo), as
 * ALGORITHMS.md §D.4 describes it, in TypeScript:
 *   1. sample points in the box (Sobol, or the vertices of a simplicial grid);
 *   2. drop infeasible samples (scipy does the same) and join the rest into a neighbourhood graph;
 *   3. the minimiser pool = feasible vertices strictly lower than every neighbour;
 *   4. run a constrained local minimiser (localMinimize.ts) from each pool vertex, best first;
 *   5. repeat with more samples for `iters` iterations; return ALL distinct local minima, sorted by value.
 *
 * Deviations from scipy (documented choices):
 *  - Sobol sampling: the neighbourhood graph is a symmetric k-nearest-neighbour graph in unit coordinates
 *    (default k = 2·dim, at least 3), not a Delaunay triangulation, which is impractical beyond a few dimensions.
 *    In 2-D a symmetric 4-NN graph has about the Delaunay degree (≈6).
 *  - Simplicial sampling: the grid of m^dim vertices (m = max(2, ⌊n^(1/dim)⌋), doubled in resolution each
 *    iteration) with the Freudenthal (Kuhn) triangulation of each grid cube: vertices u and v are joined iff
 *    v − u (in grid steps) is a non-zero vector with all entries in {0, 1} or all in {0, −1}. scipy starts from
 *    the hypercube corners plus the centre and refines by simplex subdivision instead.
 *  - Local step: projected Nelder–Mead in an augmented Lagrangian (localMinimize.ts) instead of SLSQP/COBYLA.
 * Constraints use scipy's sign convention: g(x) >= 0 feasible, h(x) = 0.
 */
import { localMinimize, violationOf, type LocalOptions, type LocalProblem, type LocalResult, type Objective } from './localMinimize.js';
import { SobolSequence } from './sobol.js';

export interface ShgoProblem extends LocalProblem {
  f: Objective;
  bounds: readonly (readonly [number, number])[];
}

export interface ShgoOptions {
  /** Sample points per iteration (default 128). */
  n?: number;
  /** Sampling iterations (default 1). */
  iters?: number;
  samplingMethod?: 'sobol' | 'simplicial';
  /** Neighbours per vertex in the Sobol k-NN graph (default 2·dim, min 3). */
  k?: number;
  /** Cap on local searches per iteration, best pool vertices first (default: all). */
  maxLocal?: number;
  local?: LocalOptions;
  /** Two minima closer than this (max-norm, unit coordinates) are the same minimum (default 1e-4). */
  mergeTol?: number;
  /** Largest constraint violation counted as feasible (default 1e-7). */
  feasTol?: number;
}

export interface ShgoMinimum {
  x: number[];
  fun: number;
}

export interface ShgoResult {
  /** Best feasible minimum (undefined when none was found). */
  x: number[] | undefined;
  fun: number;
  /** Every distinct feasible local minimum found, sorted by value (scipy's xl / funl). */
  minima: ShgoMinimum[];
  success: boolean;
  message: string;
  /** Objective evaluations at sample points (nfev) and inside local searches (nlfev). */
  nfev: number;
  nlfev: number;
  /** Iterations run (fewer than asked when stopped). */
  nit: number;
  /** True when shgoAsync's signal stopped it before `iters` iterations. */
  stopped: boolean;
  /** Sample points, feasible samples and minimiser-pool sizes of the last iteration. */
  samples: number;
  feasibleSamples: number;
  poolSize: number;
}

/** Symmetric k-NN adjacency in unit coordinates (Euclidean). */
export function knnGraph(points: readonly (readonly number[])[], k: number): number[][] {
  const n = points.length;
  const adj: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  const kk = Math.min(k, n - 1);
  const d2 = new Float64Array(n);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    for (let j = 0; j < n; j++) {
      const q = points[j]!;
      let s = 0;
      for (let t = 0; t < p.length; t++) {
        const d = p[t]! - q[t]!;
        s += d * d;
      }
      d2[j] = j === i ? Number.POSITIVE_INFINITY : s;
      idx[j] = j;
    }
    const sorted = Array.from(idx).sort((a, b) => d2[a]! - d2[b]! || a - b);
    for (let r = 0; r < kk; r++) {
      adj[i]!.add(sorted[r]!);
      adj[sorted[r]!]!.add(i);
    }
  }
  return adj.map((s) => [...s]);
}

/** Grid vertices m^dim in unit coordinates and their Freudenthal-triangulation neighbours. */
export function freudenthalGrid(dim: number, m: number): { points: number[][]; adj: number[][] } {
  const total = m ** dim;
  const points: number[][] = [];
  const coords: number[][] = [];
  for (let id = 0; id < total; id++) {
    const c: number[] = [];
    let r = id;
    for (let d = 0; d < dim; d++) {
      c.push(r % m);
      r = Math.floor(r / m);
    }
    coords.push(c);
    points.push(c.map((v) => v / (m - 1)));
  }
  const adj: number[][] = coords.map(() => []);
  const offsets = (1 << dim) - 1;
  coords.forEach((c, id) => {
    for (let mask = 1; mask <= offsets; mask++) {
      for (const sign of [1, -1]) {
        let other = 0;
        let mul = 1;
        let ok = true;
        for (let d = 0; d < dim; d++) {
          const v = c[d]! + (mask & (1 << d) ? sign : 0);
          if (v < 0 || v >= m) {
            ok = false;
            break;
          }
          other += v * mul;
          mul *= m;
        }
        if (ok) adj[id]!.push(other);
      }
    }
  });
  return { points, adj };
}

/** The minimiser pool: vertices strictly lower than all their neighbours (isolated vertices count). */
export function minimiserPool(values: readonly number[], adj: readonly (readonly number[])[]): number[] {
  const pool: number[] = [];
  values.forEach((f, i) => {
    if (adj[i]!.every((j) => f < values[j]!)) pool.push(i);
  });
  return pool.sort((a, b) => values[a]! - values[b]!);
}

/**
 * The symmetric k-NN graph of a growing point set, kept up to date as points arrive (the same graph knnGraph
 * builds from scratch, ties broken by index alike). Rebuilding it every SHGO iteration cost O(N² log N) per
 * iteration over all N accumulated samples (16 iterations of 128 points: 6 s; 32: 56 s); adding a point costs O(N·dim).
 */
export class IncrementalKnn {
  readonly points: number[][] = [];
  /** Per point, its (up to) k nearest earlier-or-later points as [index, squared distance], nearest first. */
  private readonly nearest: [number, number][][] = [];

  constructor(private readonly k: number) {}

  add(p: readonly number[]): void {
    const idx = this.points.length;
    const mine: [number, number][] = [];
    for (let j = 0; j < idx; j++) {
      const q = this.points[j]!;
      let s = 0;
      for (let t = 0; t < p.length; t++) {
        const d = p[t]! - q[t]!;
        s += d * d;
      }
      insertNearest(mine, j, s, this.k);
      insertNearest(this.nearest[j]!, idx, s, this.k);
    }
    this.points.push([...p]);
    this.nearest.push(mine);
  }

  adjacency(): number[][] {
    const adj: Set<number>[] = this.points.map(() => new Set<number>());
    this.nearest.forEach((list, i) => {
      for (const [j] of list) {
        adj[i]!.add(j);
        adj[j]!.add(i);
      }
    });
    return adj.map((s) => [...s]);
  }
}

/** Inserts (j, d2) into a list sorted by (distance, index) and keeps its k best. */
function insertNearest(list: [number, number][], j: number, d2: number, k: number): void {
  // No closure here: this runs N times per added point (and tsx wraps every closure it creates).
  if (k <= 0) return;
  let at = list.length;
  while (at > 0 && (list[at - 1]![1] > d2 || (list[at - 1]![1] === d2 && list[at - 1]![0] > j))) at--;
  if (at >= k) return;
  list.splice(at, 0, [j, d2]);
  if (list.length > k) list.pop();
}

/** Run controls of shgoAsync: stop between iterations, report each finished one. */
export interface ShgoRun {
  signal?: AbortSignal;
  onIteration?: (done: number, total: number) => void;
}

export function shgo(problem: ShgoProblem, options: ShgoOptions = {}): ShgoResult {
  const steps = shgoSteps(problem, options, () => false);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * shgo that yields to the event loop between iterations (so Ctrl-C is heard), reports each iteration, and stops
 * at the next iteration boundary once `run.signal` aborts (at least one iteration always runs); the result then
 * holds the minima found so far, `stopped` true and `nit` the iterations done.
 */
export async function shgoAsync(problem: ShgoProblem, options: ShgoOptions = {}, run: ShgoRun = {}): Promise<ShgoResult> {
  const total = options.iters ?? 1;
  const steps = shgoSteps(problem, options, () => run.signal?.aborted ?? false);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    run.onIteration?.(r.value, total);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function* shgoSteps(problem: ShgoProblem, options: ShgoOptions, stop: () => boolean): Generator<number, ShgoResult, void> {
  const dim = problem.bounds.length;
  const { n = 128, iters = 1, samplingMethod = 'sobol', maxLocal = Number.POSITIVE_INFINITY, mergeTol = 1e-4, feasTol = 1e-7 } = options;
  const k = options.k ?? Math.max(3, 2 * dim);
  const lo = problem.bounds.map((b) => b[0]);
  const span = problem.bounds.map((b) => b[1] - b[0]);
  const toX = (u: readonly number[]): number[] => u.map((v, d) => lo[d]! + v * span[d]!);
  const toU = (x: readonly number[]): number[] => x.map((v, d) => (span[d]! > 0 ? (v - lo[d]!) / span[d]! : 0));
  const sobol = samplingMethod === 'sobol' ? new SobolSequence(dim) : undefined;

  let nfev = 0;
  let nlfev = 0;
  // Sobol: samples accumulate; each is checked and evaluated once, and its feasible ones join the k-NN graph.
  const knn = new IncrementalKnn(k);
  const knnValues: number[] = [];
  let sampledCount = 0;
  const started = new Set<string>();
  const minima: (ShgoMinimum & { u: number[] })[] = [];
  let last = { samples: 0, feasibleSamples: 0, poolSize: 0 };
  let done = 0;
  let stopped = false;

  for (let it = 0; it < iters; it++) {
    if (it > 0 && stop()) {
      stopped = true;
      break;
    }
    let points: number[][];
    let adj: number[][];
    let values: number[];
    let sampleCount: number;
    if (sobol) {
      for (const u of sobol.take(n)) {
        sampledCount++;
        const x = toX(u);
        if (violationOf({ f: problem.f, bounds: problem.bounds, inequalities: problem.inequalities }, x) > feasTol) continue;
        knn.add(u);
        knnValues.push(problem.f(x));
        nfev++;
      }
      points = knn.points;
      values = knnValues;
      adj = knn.adjacency();
      sampleCount = sampledCount;
    } else {
      const m = Math.max(2, Math.floor(n ** (1 / dim) + 1e-9)) * 2 ** it - (2 ** it - 1);
      const grid = freudenthalGrid(dim, m);
      // Evaluate feasibility and objective at every vertex (re-evaluated per iteration for the grid; cheap here).
      const feasible: number[] = [];
      values = [];
      for (let i = 0; i < grid.points.length; i++) {
        const x = toX(grid.points[i]!);
        if (violationOf({ f: problem.f, bounds: problem.bounds, inequalities: problem.inequalities }, x) > feasTol) continue;
        feasible.push(i);
        values.push(problem.f(x));
        nfev++;
      }
      const pos = new Map(feasible.map((i, p) => [i, p] as const));
      adj = feasible.map((i) => grid.adj[i]!.filter((j) => pos.has(j)).map((j) => pos.get(j)!));
      points = feasible.map((i) => grid.points[i]!);
      sampleCount = grid.points.length;
    }
    const pool = minimiserPool(values, adj);
    last = { samples: sampleCount, feasibleSamples: points.length, poolSize: pool.length };
    let localRuns = 0;
    for (const p of pool) {
      if (localRuns >= maxLocal) break;
      const u = points[p]!;
      const key = u.join(',');
      if (started.has(key)) continue;
      started.add(key);
      localRuns++;
      // initial simplex: half the distance to the nearest graph neighbour (keeps the search in its basin)
      let near = Number.POSITIVE_INFINITY;
      for (const q of adj[p]!) {
        const v = points[q]!;
        near = Math.min(near, Math.max(...v.map((vi, d) => Math.abs(vi - u[d]!))));
      }
      const step = Math.min(0.1, Math.max(1e-4, Number.isFinite(near) ? near / 2 : 0.05));
      const r: LocalResult = localMinimize(problem, toX(u), { initialStep: step, feasTol, ...options.local });
      nlfev += r.nfev;
      if (!r.feasible) continue;
      const ru = toU(r.x);
      const same = minima.find((m) => Math.max(...m.u.map((v, d) => Math.abs(v - ru[d]!))) <= mergeTol);
      if (same) {
        if (r.fun < same.fun) {
          same.x = r.x;
          same.u = ru;
          same.fun = r.fun;
        }
      } else minima.push({ x: r.x, fun: r.fun, u: ru });
    }
    done = it + 1;
    yield done;
  }
  minima.sort((a, b) => a.fun - b.fun);
  const best = minima[0];
  return {
    x: best?.x,
    fun: best?.fun ?? Number.NaN,
    minima: minima.map(({ x, fun }) => ({ x, fun })),
    success: best !== undefined,
    message: best ? `found ${minima.length} local minima${stopped ? ` (stopped after ${done} of ${iters} iterations)` : ''}` : 'no feasible local minimum found',
    nfev,
    nlfev,
    nit: done,
    stopped,
    ...last,
  };
}

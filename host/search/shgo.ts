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
  nit: number;
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

export function shgo(problem: ShgoProblem, options: ShgoOptions = {}): ShgoResult {
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
  const sampled: number[][] = [];
  const started = new Set<string>();
  const minima: (ShgoMinimum & { u: number[] })[] = [];
  let last = { samples: 0, feasibleSamples: 0, poolSize: 0 };

  for (let it = 0; it < iters; it++) {
    let points: number[][];
    let adjAll: number[][] | undefined;
    if (sobol) {
      sampled.push(...sobol.take(n));
      points = sampled;
    } else {
      const m = Math.max(2, Math.floor(n ** (1 / dim) + 1e-9)) * 2 ** it - (2 ** it - 1);
      const grid = freudenthalGrid(dim, m);
      points = grid.points;
      adjAll = grid.adj;
    }
    // Evaluate feasibility and objective at every sample (re-evaluated per iteration for the grid; cheap here).
    const feasible: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < points.length; i++) {
      const x = toX(points[i]!);
      if (violationOf({ f: problem.f, bounds: problem.bounds, inequalities: problem.inequalities }, x) > feasTol) continue;
      feasible.push(i);
      values.push(problem.f(x));
      nfev++;
    }
    let adj: number[][];
    if (adjAll) {
      const pos = new Map(feasible.map((i, p) => [i, p] as const));
      adj = feasible.map((i) => adjAll![i]!.filter((j) => pos.has(j)).map((j) => pos.get(j)!));
    } else {
      adj = knnGraph(feasible.map((i) => points[i]!), k);
    }
    const pool = minimiserPool(values, adj);
    last = { samples: points.length, feasibleSamples: feasible.length, poolSize: pool.length };
    let localRuns = 0;
    for (const p of pool) {
      if (localRuns >= maxLocal) break;
      const u = points[feasible[p]!]!;
      const key = u.join(',');
      if (started.has(key)) continue;
      started.add(key);
      localRuns++;
      // initial simplex: half the distance to the nearest graph neighbour (keeps the search in its basin)
      let near = Number.POSITIVE_INFINITY;
      for (const q of adj[p]!) {
        const v = points[feasible[q]!]!;
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
  }
  minima.sort((a, b) => a.fun - b.fun);
  const best = minima[0];
  return {
    x: best?.x,
    fun: best?.fun ?? Number.NaN,
    minima: minima.map(({ x, fun }) => ({ x, fun })),
    success: best !== undefined,
    message: best ? `found ${minima.length} local minima` : 'no feasible local minimum found',
    nfev,
    nlfev,
    nit: iters,
    ...last,
  };
}

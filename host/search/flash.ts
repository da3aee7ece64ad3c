/**
 * FLASH's hierarchical co-optimisation (ALGORITHMS.md §D.2, §D.4; the paper's exact procedure is NOT FOUND, so
 * this is the spec's [INFERRED] default, written down here):
 *
 *  Level 1 (continuous relaxation): x = (d_0..d_2, w_0..w_2, t_0..t_2) in the box of the knob ranges (B.6 and
 *    flash.ts in host/spaces). SHGO minimises −PredAcc(x) subject to, for every target and budgeted metric,
 *    1 − cost(x)/limit >= 0. The accuracy and cost functions must accept real-valued knobs (the FLASH space's
 *    `flashFeatures` is exact at integers and linear in depth between them).
 *  Level 2 (discrete): for each level-1 minimum (best `snapStarts` of them), every lattice point within ±`radius`
 *    lattice steps of the nearest lattice point, per knob (3^9 = 19,683 points for radius 1), is checked for
 *    feasibility; the best feasible by the same objective wins. With no feasible level-1 minimum, the lattice
 *    search starts from the initial architecture. Then a steepest-ascent lattice hill climb (±1 step per knob,
 *    feasible moves only) polishes the best point, in case level 1 stopped short of its optimum.
 *
 *  Predictor (§D.2 [INFERRED]): acc ≈ a + b·ln(g) + c·ln(#Params), g = FLASH NN-Degree (capped, §D.1), fitted by
 *    ordinary least squares on n = 25 architectures drawn from the lattice by Sobol sampling (points 1..25: the
 *    origin is skipped). Reported with its training RMSE and leave-one-out RMSE.
 */
import { ZeronasError } from '../../shared/errors.js';
import {
  FLASH_DEFAULT_RANGES,
  FLASH_INITIAL,
  flashBounds,
  flashFeatures,
  flashFromVector,
  flashSteps,
  flashToVector,
  rangeCount,
  snapKnob,
  type FlashArch,
  type FlashKnobRanges,
  type KnobRange,
} from '../spaces/flash.js';
import { shgo, shgoAsync, type ShgoOptions, type ShgoResult, type ShgoRun } from './shgo.js';
import { SobolSequence } from './sobol.js';
import { COST_METRICS, type CostVector } from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Predictor

export interface FlashPredictor {
  /** acc ≈ coef[0] + coef[1]·ln(g) + coef[2]·ln(params). */
  coef: [number, number, number];
  rmse: number;
  looRmse: number;
  predict(a: FlashArch): number;
}

/** Solves the small dense system A·x = b by Gaussian elimination with partial pivoting. */
export function solveLinear(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    if (Math.abs(M[p]![c]!) < 1e-300) throw new ZeronasError('ZN_BAD_ARGUMENT', 'least-squares system is singular (features are collinear)');
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return M.map((row, i) => row[n]! / row[i]!);
}

/** Ordinary least squares y ≈ X·β via the normal equations (X has a leading column of ones). */
export function leastSquares(X: number[][], y: number[]): number[] {
  const p = X[0]!.length;
  const XtX = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => X.reduce((s, r) => s + r[i]! * r[j]!, 0)));
  const Xty = Array.from({ length: p }, (_, i) => X.reduce((s, r, k) => s + r[i]! * y[k]!, 0));
  return solveLinear(XtX, Xty);
}

const predictorRow = (a: FlashArch): number[] => {
  const f = flashFeatures(a);
  return [1, Math.log(f.nnDegree), Math.log(f.params)];
};

/** Fits acc ≈ a + b·ln(g) + c·ln(#Params) to (architecture, accuracy) pairs (§D.2 [INFERRED] form). */
export function fitFlashPredictor(samples: readonly { arch: FlashArch; accuracy: number }[]): FlashPredictor {
  if (samples.length < 4) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `the FLASH predictor needs at least 4 samples, got ${samples.length}`);
  }
  const X = samples.map((s) => predictorRow(s.arch));
  const y = samples.map((s) => s.accuracy);
  const coef = leastSquares(X, y) as [number, number, number];
  const dot = (r: number[], c: number[]): number => r.reduce((s, v, i) => s + v * c[i]!, 0);
  const rmse = Math.sqrt(X.reduce((s, r, i) => s + (dot(r, coef) - y[i]!) ** 2, 0) / y.length);
  let loo = 0;
  for (let i = 0; i < X.length; i++) {
    const c = leastSquares(X.filter((_, k) => k !== i), y.filter((_, k) => k !== i));
    loo += (dot(X[i]!, c) - y[i]!) ** 2;
  }
  return { coef, rmse, looRmse: Math.sqrt(loo / y.length), predict: (a) => dot(predictorRow(a), coef) };
}

/** n lattice architectures from Sobol points 1..n (the origin skipped), each knob snapped to its lattice. */
export function flashSobolSamples(n = 25, ranges: FlashKnobRanges = FLASH_DEFAULT_RANGES, cells = 3): FlashArch[] {
  const bounds = flashBounds(ranges, cells);
  const rangeOfDim = rangesByDim(ranges, cells);
  const sobol = new SobolSequence(bounds.length);
  sobol.next();
  return Array.from({ length: n }, () => {
    const u = sobol.next();
    return flashFromVector(u.map((v, d) => snapKnob(bounds[d]![0] + v * (bounds[d]![1] - bounds[d]![0]), rangeOfDim[d]!)), cells);
  });
}

function rangesByDim(ranges: FlashKnobRanges, cells: number): KnobRange[] {
  return [ranges.depth, ranges.width, ranges.skip].flatMap((r) => Array.from({ length: cells }, () => r));
}

// ---------------------------------------------------------------------------------------------------------------
// Co-optimisation

export interface FlashCoOptOptions {
  /** Predicted accuracy (higher is better), defined for real-valued knobs. */
  accuracy: (a: FlashArch) => number;
  /** Cost predictors per target, defined for real-valued knobs, synchronous. */
  costs?: Record<string, (a: FlashArch) => CostVector>;
  /** Budgets per target (only metrics named here constrain). */
  budgets?: Record<string, CostVector>;
  ranges?: FlashKnobRanges;
  cells?: number;
  shgo?: ShgoOptions;
  /** Level-2 neighbourhood radius in lattice steps (default 1). */
  radius?: number;
  /** Level-1 minima used as level-2 starts (default 3). */
  snapStarts?: number;
}

export interface FlashCandidate {
  arch: FlashArch;
  accuracy: number;
  costs: Record<string, CostVector>;
  feasible: boolean;
}

export interface FlashCoOptResult {
  /** Best feasible lattice architecture (undefined when none is feasible). */
  best: FlashCandidate | undefined;
  /** Level-1 minima (real-valued knobs), best first. */
  continuous: { arch: FlashArch; accuracy: number }[];
  /** Feasible lattice candidates examined at level 2, best first (at most 20). */
  candidates: FlashCandidate[];
  evaluations: { level1: number; level2: number };
  /** SHGO iterations run, and whether a signal stopped them early (flashCoOptimizeAsync). */
  iterations: { done: number; asked: number; stopped: boolean };
  /** Wall time of the optimiser itself (ms). */
  timeMs: number;
}

export function flashCoOptimize(o: FlashCoOptOptions): FlashCoOptResult {
  const t0 = performance.now();
  const setup = coOptSetup(o);
  return coOptFinish(o, setup, shgo(setup.problem, setup.options), t0);
}

/**
 * flashCoOptimize that yields to the event loop between SHGO iterations, reports each one, and stops at the
 * next iteration boundary once `run.signal` aborts (level 2 then starts from the minima found so far).
 */
export async function flashCoOptimizeAsync(o: FlashCoOptOptions, run: ShgoRun = {}): Promise<FlashCoOptResult> {
  const t0 = performance.now();
  const setup = coOptSetup(o);
  return coOptFinish(o, setup, await shgoAsync(setup.problem, setup.options, run), t0);
}

type CoOptSetup = ReturnType<typeof coOptSetup>;

function coOptSetup(o: FlashCoOptOptions) {
  const ranges = o.ranges ?? FLASH_DEFAULT_RANGES;
  const cells = o.cells ?? 3;
  const bounds = flashBounds(ranges, cells);
  const steps = flashSteps(ranges, cells);
  const dimRanges = rangesByDim(ranges, cells);
  const costs = o.costs ?? {};
  const budgets = o.budgets ?? {};
  for (const t of Object.keys(budgets)) {
    if (!costs[t]) throw new ZeronasError('ZN_BAD_ARGUMENT', `budget names target '${t}' but no cost function was given for it`);
  }
  const constraints: { target: string; metric: (typeof COST_METRICS)[number]; limit: number }[] = [];
  for (const [target, lim] of Object.entries(budgets)) {
    for (const metric of COST_METRICS) {
      const limit = lim[metric];
      if (limit !== undefined) constraints.push({ target, metric, limit });
    }
  }
  const costOf = (a: FlashArch): Record<string, CostVector> => Object.fromEntries(Object.entries(costs).map(([t, f]) => [t, f(a)]));
  const inequalities = constraints.map(({ target, metric, limit }) => (x: number[]) => {
    const v = costs[target]!(flashFromVector(x, cells))[metric];
    if (v === undefined || !Number.isFinite(v)) return -1;
    return 1 - v / limit;
  });
  let level1 = 0;
  const f = (x: number[]): number => {
    level1++;
    return -o.accuracy(flashFromVector(x, cells));
  };
  const options: ShgoOptions = { n: 128, maxLocal: 4, feasTol: 1e-6, local: { maxEvals: 3000, maxEvalsPerRun: 200, xtol: 1e-4, ftol: 1e-8 }, ...o.shgo };
  return { problem: { f, bounds, inequalities }, options, cells, bounds, steps, dimRanges, constraints, costOf, level1: () => level1 };
}

function coOptFinish(o: FlashCoOptOptions, setup: CoOptSetup, res: ShgoResult, t0: number): FlashCoOptResult {
  const { cells, bounds, steps, dimRanges, constraints, costOf } = setup;
  const level1 = setup.level1();
  const continuous = res.minima.map((m) => ({ arch: flashFromVector(m.x, cells), accuracy: -m.fun }));

  // Level 2: lattice points around each start
  const radius = o.radius ?? 1;
  const starts = continuous.slice(0, o.snapStarts ?? 3).map((c) => flashToVector(c.arch));
  if (starts.length === 0) starts.push(flashToVector(FLASH_INITIAL).map((v, d) => snapKnob(v, dimRanges[d]!)));
  let level2 = 0;
  const seen = new Set<string>();
  const feasibleList: FlashCandidate[] = [];
  const dims = bounds.length;
  for (const s of starts) {
    const centre = s.map((v, d) => snapKnob(v, dimRanges[d]!));
    const offsets = new Array<number>(dims).fill(-radius);
    for (;;) {
      const x = centre.map((c, d) => c + offsets[d]! * steps[d]!);
      const inRange = x.every((v, d) => v >= dimRanges[d]!.min && v <= dimRanges[d]!.max);
      const key = x.join(',');
      if (inRange && !seen.has(key)) {
        seen.add(key);
        level2++;
        const arch = flashFromVector(x, cells);
        const c = costOf(arch);
        const ok = constraints.every(({ target, metric, limit }) => {
          const v = c[target]?.[metric];
          return v !== undefined && v <= limit;
        });
        if (ok) feasibleList.push({ arch, accuracy: o.accuracy(arch), costs: c, feasible: true });
      }
      let d = 0;
      while (d < dims && offsets[d] === radius) offsets[d++] = -radius;
      if (d === dims) break;
      offsets[d]!++;
    }
  }
  feasibleList.sort((a, b) => b.accuracy - a.accuracy);
  // Polish: steepest-ascent lattice hill climb (±1 step per knob) from the best level-2 point, so an inexact
  // level-1 optimum cannot leave a better lattice neighbour unexamined.
  let cur = feasibleList[0];
  while (cur) {
    const x0 = flashToVector(cur.arch);
    let bestMove: FlashCandidate | undefined;
    for (let d = 0; d < dims; d++) {
      for (const dir of [-1, 1]) {
        const x = [...x0];
        x[d] = x[d]! + dir * steps[d]!;
        if (x[d]! < dimRanges[d]!.min || x[d]! > dimRanges[d]!.max) continue;
        const key = x.join(',');
        if (seen.has(key)) continue;
        seen.add(key);
        level2++;
        const arch = flashFromVector(x, cells);
        const c = costOf(arch);
        if (!constraints.every(({ target, metric, limit }) => (c[target]?.[metric] ?? Infinity) <= limit)) continue;
        const cand = { arch, accuracy: o.accuracy(arch), costs: c, feasible: true };
        feasibleList.push(cand);
        if (cand.accuracy > (bestMove ?? cur).accuracy) bestMove = cand;
      }
    }
    if (!bestMove) break;
    cur = bestMove;
  }
  feasibleList.sort((a, b) => b.accuracy - a.accuracy);
  return {
    best: feasibleList[0],
    continuous,
    candidates: feasibleList.slice(0, 20),
    evaluations: { level1, level2 },
    iterations: { done: res.nit, asked: setup.options.iters ?? 1, stopped: res.stopped },
    timeMs: performance.now() - t0,
  };
}

/** Lattice size of the co-optimisation's space (for reports). */
export function flashLatticeSize(ranges: FlashKnobRanges = FLASH_DEFAULT_RANGES, cells = 3): number {
  return rangesByDim(ranges, cells).reduce((p, r) => p * rangeCount(r), 1);
}

/**
 * Pareto utilities (Deb et al. 2002, NSGA-II §III). All objectives are MINIMISED here; callers negate a score
 * they maximise (or pass `maximise` flags to `paretoFront`).
 */

/** a dominates b: no worse in every objective and strictly better in at least one (minimisation). */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let strictly = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return false;
    if (a[i]! < b[i]!) strictly = true;
  }
  return strictly;
}

/**
 * Constrained domination (Deb 2000): a feasible point beats an infeasible one; of two infeasible points the one
 * with the smaller total violation wins; two feasible points compare by Pareto dominance.
 */
export function constrainedDominates(a: readonly number[], va: number, b: readonly number[], vb: number): boolean {
  if (va <= 0 && vb > 0) return true;
  if (va > 0 && vb <= 0) return false;
  if (va > 0 && vb > 0) return va < vb;
  return dominates(a, b);
}

/**
 * Fast non-dominated sort: indices grouped into fronts F1, F2, … (O(M·N²)). `violations` (optional, >= 0) switches
 * on constrained domination.
 */
export function nonDominatedSort(objectives: readonly (readonly number[])[], violations?: readonly number[]): number[][] {
  const n = objectives.length;
  const v = violations ?? new Array<number>(n).fill(0);
  const dominatedBy: number[][] = Array.from({ length: n }, () => []);
  const count = new Array<number>(n).fill(0);
  const fronts: number[][] = [[]];
  for (let p = 0; p < n; p++) {
    for (let q = 0; q < n; q++) {
      if (p === q) continue;
      if (constrainedDominates(objectives[p]!, v[p]!, objectives[q]!, v[q]!)) dominatedBy[p]!.push(q);
      else if (constrainedDominates(objectives[q]!, v[q]!, objectives[p]!, v[p]!)) count[p]!++;
    }
    if (count[p] === 0) fronts[0]!.push(p);
  }
  let i = 0;
  while (fronts[i]!.length > 0) {
    const next: number[] = [];
    for (const p of fronts[i]!) {
      for (const q of dominatedBy[p]!) {
        count[q]!--;
        if (count[q] === 0) next.push(q);
      }
    }
    i++;
    fronts.push(next);
  }
  fronts.pop();
  return fronts;
}

/**
 * Crowding distance of each member of one front (indices into `objectives`): per objective, boundary points get
 * +Infinity and inner points the normalised gap between their neighbours, summed over objectives.
 */
export function crowdingDistance(objectives: readonly (readonly number[])[], front: readonly number[]): Map<number, number> {
  const d = new Map<number, number>(front.map((i) => [i, 0]));
  if (front.length === 0) return d;
  const m = objectives[front[0]!]!.length;
  for (let k = 0; k < m; k++) {
    const sorted = [...front].sort((a, b) => objectives[a]![k]! - objectives[b]![k]! || a - b);
    const lo = objectives[sorted[0]!]![k]!;
    const hi = objectives[sorted[sorted.length - 1]!]![k]!;
    d.set(sorted[0]!, Number.POSITIVE_INFINITY);
    d.set(sorted[sorted.length - 1]!, Number.POSITIVE_INFINITY);
    if (hi === lo) continue;
    for (let r = 1; r < sorted.length - 1; r++) {
      const i = sorted[r]!;
      d.set(i, d.get(i)! + (objectives[sorted[r + 1]!]![k]! - objectives[sorted[r - 1]!]![k]!) / (hi - lo));
    }
  }
  return d;
}

export interface ParetoPoint {
  values: readonly number[];
}

/**
 * The non-dominated subset of `points`, in input order. `maximise[k]` marks objectives to maximise (default: all
 * minimised). Duplicated points are all kept (neither dominates the other).
 */
export function paretoFront<T extends ParetoPoint>(points: readonly T[], options: { maximise?: readonly boolean[] } = {}): T[] {
  const sign = (k: number): number => (options.maximise?.[k] ? -1 : 1);
  const obj = points.map((p) => p.values.map((v, k) => sign(k) * v));
  return points.filter((_, i) => !obj.some((o, j) => j !== i && dominates(o, obj[i]!)));
}

/**
 * SHGO's local step (ALGORITHMS.md §D.4): a bound-constrained, inequality/equality-constrained local minimiser
 * without derivatives.
 *
 * Method: projected Nelder–Mead inside an augmented-Lagrangian loop (Powell–Hestenes–Rockafellar).
 *  - Work in unit coordinates u ∈ [0,1]^n (x = lo + u·(hi − lo)); every trial point is projected onto the box
 *    (clamped), so bounds are always met.
 *  - Inequalities g_i(x) >= 0 and equalities h_e(x) = 0 (scipy's convention) enter
 *      L(x) = f(x) + Σ_i [max(0, λ_i − ρ·g_i)² − λ_i²]/(2ρ) + Σ_e (μ_e·h_e + ρ/2·h_e²);
 *    after each inner solve λ_i ← max(0, λ_i − ρ·g_i), μ_e ← μ_e + ρ·h_e, and ρ ×10 when the violation did not
 *    fall by 4×, from ρ₀ = 10·max(1, |f(x0)|). Multipliers make the constraint exact without ρ → ∞ (a plain penalty would stop outside).
 *  - Without constraints this is Nelder–Mead restarted from its best point until a restart stops improving.
 * Deviation: scipy's shgo uses SLSQP/COBYLA with gradients or linear models; this is slower per local search but
 * derivative-free and short. Nelder–Mead parameters are the standard (1, 2, 0.5, 0.5).
 */

export type Objective = (x: number[]) => number;

export interface LocalProblem {
  f: Objective;
  bounds: readonly (readonly [number, number])[];
  /** g(x) >= 0 when feasible. */
  inequalities?: readonly Objective[];
  /** h(x) = 0 when feasible. */
  equalities?: readonly Objective[];
}

export interface LocalOptions {
  /** Initial simplex edge in unit coordinates (default 0.05). */
  initialStep?: number;
  /** Evaluations per inner Nelder–Mead run (default 200·n + 200). */
  maxEvalsPerRun?: number;
  /** Total evaluation budget of one local search (default 2000·n). */
  maxEvals?: number;
  /** Simplex diameter in unit coordinates at which a run stops (default 1e-9). */
  xtol?: number;
  /** Spread of simplex values at which a run stops, relative to max(1, |f|) (default 1e-12). */
  ftol?: number;
  /** Largest constraint violation accepted as feasible (default 1e-7). */
  feasTol?: number;
}

export interface LocalResult {
  x: number[];
  fun: number;
  /** max(0, −g_i) and |h_e|, maximum over constraints. */
  violation: number;
  feasible: boolean;
  nfev: number;
}

export function violationOf(p: LocalProblem, x: number[]): number {
  let v = 0;
  for (const g of p.inequalities ?? []) v = Math.max(v, -g(x));
  for (const h of p.equalities ?? []) v = Math.max(v, Math.abs(h(x)));
  return Math.max(0, v);
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

interface NmResult {
  u: number[];
  value: number;
  nfev: number;
}

/** Projected Nelder–Mead on [0,1]^n. */
function nelderMead(phi: (u: number[]) => number, u0: number[], step: number, maxEvals: number, xtol: number, ftol: number): NmResult {
  const n = u0.length;
  const simplex: number[][] = [u0.map(clamp01)];
  for (let i = 0; i < n; i++) {
    const v = [...simplex[0]!];
    // step inward when the start sits on the upper face
    v[i] = v[i]! + step <= 1 ? v[i]! + step : v[i]! - step;
    simplex.push(v.map(clamp01));
  }
  let nfev = 0;
  const evalAt = (u: number[]): number => {
    nfev++;
    const y = phi(u);
    return Number.isFinite(y) ? y : Number.POSITIVE_INFINITY;
  };
  const values = simplex.map(evalAt);
  const order = (): void => {
    const idx = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
    const s = idx.map((i) => simplex[i]!);
    const v = idx.map((i) => values[i]!);
    for (let i = 0; i <= n; i++) {
      simplex[i] = s[i]!;
      values[i] = v[i]!;
    }
  };
  while (nfev < maxEvals) {
    order();
    const best = values[0]!;
    const worst = values[n]!;
    let diam = 0;
    for (let i = 1; i <= n; i++) {
      for (let k = 0; k < n; k++) diam = Math.max(diam, Math.abs(simplex[i]![k]! - simplex[0]![k]!));
    }
    if (diam <= xtol || (Math.abs(worst - best) <= ftol * Math.max(1, Math.abs(best)) && diam <= Math.sqrt(xtol))) break;
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) centroid[k]! += simplex[i]![k]! / n;
    const along = (t: number): number[] => centroid.map((c, k) => clamp01(c + t * (simplex[n]![k]! - c)));
    const xr = along(-1);
    const fr = evalAt(xr);
    if (fr < values[0]!) {
      const xe = along(-2);
      const fe = evalAt(xe);
      if (fe < fr) {
        simplex[n] = xe;
        values[n] = fe;
      } else {
        simplex[n] = xr;
        values[n] = fr;
      }
    } else if (fr < values[n - 1]!) {
      simplex[n] = xr;
      values[n] = fr;
    } else {
      const outside = fr < values[n]!;
      const xc = along(outside ? -0.5 : 0.5);
      const fc = evalAt(xc);
      if (fc < (outside ? fr : values[n]!)) {
        simplex[n] = xc;
        values[n] = fc;
      } else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i]!.map((v, k) => clamp01(simplex[0]![k]! + 0.5 * (v - simplex[0]![k]!)));
          values[i] = evalAt(simplex[i]!);
        }
      }
    }
  }
  order();
  return { u: simplex[0]!, value: values[0]!, nfev };
}

/** Minimises `p.f` from `x0` subject to bounds and constraints (see the module comment). */
export function localMinimize(p: LocalProblem, x0: readonly number[], options: LocalOptions = {}): LocalResult {
  const n = x0.length;
  const lo = p.bounds.map((b) => b[0]);
  const span = p.bounds.map((b) => b[1] - b[0]);
  const toX = (u: number[]): number[] => u.map((v, k) => lo[k]! + v * span[k]!);
  const toU = (x: readonly number[]): number[] => x.map((v, k) => (span[k]! > 0 ? clamp01((v - lo[k]!) / span[k]!) : 0));
  const {
    initialStep = 0.05,
    maxEvalsPerRun = 200 * n + 200,
    maxEvals = 2000 * n,
    xtol = 1e-9,
    ftol = 1e-12,
    feasTol = 1e-7,
  } = options;
  const ineq = p.inequalities ?? [];
  const eq = p.equalities ?? [];
  const constrained = ineq.length + eq.length > 0;
  let u = toU(x0);
  let nfev = 0;
  let step = initialStep;

  if (!constrained) {
    let best = Number.POSITIVE_INFINITY;
    while (nfev < maxEvals) {
      const r = nelderMead((v) => p.f(toX(v)), u, step, Math.min(maxEvalsPerRun, maxEvals - nfev), xtol, ftol);
      nfev += r.nfev;
      const improved = r.value < best - ftol * Math.max(1, Math.abs(best));
      u = r.u;
      best = Math.min(best, r.value);
      if (!improved) break;
      step = Math.max(step / 4, 1e-6);
    }
    const x = toX(u);
    return { x, fun: p.f(x), violation: 0, feasible: true, nfev: nfev + 1 };
  }

  const lambda = new Array<number>(ineq.length).fill(0);
  const mu = new Array<number>(eq.length).fill(0);
  // ρ starts in proportion to the objective's scale, so a unit violation costs about ten objective units
  let rho = 10 * Math.max(1, Math.abs(p.f(toX(u))));
  nfev++;
  let lastViolation = Number.POSITIVE_INFINITY;
  let lastU = u;
  for (let outer = 0; outer < 30 && nfev < maxEvals; outer++) {
    const lagrangian = (v: number[]): number => {
      const x = toX(v);
      let L = p.f(x);
      ineq.forEach((g, i) => {
        const m = Math.max(0, lambda[i]! - rho * g(x));
        L += (m * m - lambda[i]! * lambda[i]!) / (2 * rho);
      });
      eq.forEach((h, e) => {
        const hv = h(x);
        L += mu[e]! * hv + (rho / 2) * hv * hv;
      });
      return L;
    };
    // two NM passes per outer step: the second restarts from the first's best with a smaller simplex
    for (let pass = 0; pass < 2; pass++) {
      const r = nelderMead(lagrangian, u, pass === 0 ? step : step / 10, Math.min(maxEvalsPerRun, maxEvals - nfev), xtol, ftol);
      nfev += r.nfev;
      u = r.u;
    }
    const x = toX(u);
    const gv = ineq.map((g) => g(x));
    const hv = eq.map((h) => h(x));
    const violation = Math.max(0, ...gv.map((g) => -g), ...hv.map(Math.abs));
    gv.forEach((g, i) => (lambda[i] = Math.max(0, lambda[i]! - rho * g)));
    hv.forEach((h, e) => (mu[e] = mu[e]! + rho * h));
    const moved = Math.max(...u.map((v, k) => Math.abs(v - lastU[k]!)));
    if (violation <= feasTol && moved <= 1e-7) break;
    if (violation > lastViolation / 4) rho = Math.min(rho * 10, 1e10);
    lastViolation = violation;
    lastU = u;
    step = Math.max(step / 2, 1e-4);
  }
  const x = toX(u);
  const violation = violationOf(p, x);
  return { x, fun: p.f(x), violation, feasible: violation <= feasTol, nfev };
}

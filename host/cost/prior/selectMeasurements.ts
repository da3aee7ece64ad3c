/**
 * Which architectures to measure first on a new device: the k that tell the most about its coefficients under the
 * fleet prior. Greedy Bayesian D-optimal design (maximum information gain for a linear-Gaussian model): the
 * device's relative weights w/s have prior covariance S = fleet covariance + isotropic (priorCostModel.ts, τ = 1);
 * measuring x reveals ψ(x)·w with ψ(x) = φ(x)/(φ(x)·mean), i.e. the relative cost (so the choice does not favour
 * big networks just because their absolute variance is larger), with relative noise σ². Each step takes the
 * candidate with the largest posterior variance ψᵀSψ — the architecture the reference devices disagree about most
 * after what is already chosen — and conditions S on it (rank-one update; no measurement needed, the variance does
 * not depend on the measured value). Constant-output architectures are never chosen: they carry no information on
 * the kernel costs. Deterministic: ties keep the earlier candidate.
 * `positional: true` (an experiment, not the default: docs/engineering/fleet-cost-models.md) designs on the prior's
 * positional basis instead — the fleet's nested references, isotropic unit of the kernel basis on every coefficient
 * (τ = τₑ = 1) — so the cells also discriminate where ops sit.
 */
import { ZeronasError } from '../../../shared/errors.js';
import type { Graph } from '../../ir/graph.js';
import { CostFeatureExtractor } from '../costFeatures.js';
import { fleetMoments, usableReferences, type PriorCostModelOptions } from './priorCostModel.js';
import { isConstantOutput, priorFeatureRow, type FleetPrior } from './priorFile.js';

export interface SelectMeasurementsOptions extends Pick<PriorCostModelOptions, 'excludeDevices' | 'dataset' | 'metric'> {
  extractor?: CostFeatureExtractor;
  /** Relative measurement noise assumed by the design; default 0.06. */
  sigma?: number;
  /** Design on the positional basis (kernel + nb201 positional coefficients); needs a prior with that section. */
  positional?: boolean;
}

/** Indices into `candidates` of the k architectures to measure, in the order chosen. */
export function selectMeasurements(prior: FleetPrior, candidates: readonly Graph[], k: number, options: SelectMeasurementsOptions = {}): number[] {
  if (!Number.isInteger(k) || k < 1) throw new ZeronasError('ZN_BAD_ARGUMENT', `number of architectures to select must be a positive integer, got ${k}`);
  const extractor = options.extractor ?? new CostFeatureExtractor();
  if (options.positional && !prior.positional) throw new ZeronasError('ZN_BAD_ARGUMENT', "positional measurement selection needs a fleet prior with a 'positional' section");
  const basis = options.positional ? prior.positional! : prior;
  const { iso } = fleetMoments(usableReferences(prior, options));
  const { mean, cov } = fleetMoments(usableReferences(prior, options, basis));
  const sigma2 = (options.sigma ?? 0.06) ** 2;
  const p = mean.length;
  const s = cov.map((row, i) => row.map((v, j) => v + (i === j ? iso : 0)));
  const psi: (number[] | undefined)[] = candidates.map((g) => {
    if (isConstantOutput(g, extractor)) return undefined;
    const row = priorFeatureRow(basis, g, extractor);
    const m = row.reduce((a, v, j) => a + v * mean[j]!, 0);
    return m > 0 ? row.map((v) => v / m) : undefined;
  });
  const usable = psi.filter((v) => v !== undefined).length;
  if (usable < k) throw new ZeronasError('ZN_BAD_ARGUMENT', `cannot select ${k} architectures to measure: only ${usable} of ${candidates.length} candidates have an input-dependent output`);
  const chosen: number[] = [];
  const taken = new Set<number>();
  const sv = new Array<number>(p);
  for (let step = 0; step < k; step++) {
    let best = -1;
    let bestScore = -Infinity;
    psi.forEach((v, i) => {
      if (!v || taken.has(i)) return;
      let score = 0;
      for (let a = 0; a < p; a++) {
        if (v[a] === 0) continue;
        const row = s[a]!;
        let r = 0;
        for (let b = 0; b < p; b++) r += row[b]! * v[b]!;
        score += v[a]! * r;
      }
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    });
    chosen.push(best);
    taken.add(best);
    const v = psi[best]!;
    for (let a = 0; a < p; a++) sv[a] = s[a]!.reduce((acc, x, b) => acc + x * v[b]!, 0);
    const denom = bestScore + sigma2;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) s[a]![b]! -= (sv[a]! * sv[b]!) / denom;
  }
  return chosen;
}

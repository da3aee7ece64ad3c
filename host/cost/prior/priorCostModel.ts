/**
 * `prior`: a cost model for a new device that starts from what the fleet knows (priorFile.ts) and adapts from a
 * handful of its measurements. Hierarchical Bayesian linear regression with Bayesian model averaging:
 *
 *   y(x) = φ(x)·w + ε,   ε ~ N(0, (σ·y)²)          (relative noise: timings are heavy-tailed and relative)
 *   w ~ N(s·c, s²·S)                                (s: the device's scale, fitted by relative least squares)
 *
 * over a set of prior components (c, S): the fleet (c = mean of the reference weight vectors, S = their
 * covariance + τ²·isotropic) — "a combination of the devices we know" — and one per reference device
 * (c = its weights, S = τ²·isotropic) — "a device like that one". τ and σ run over small fixed grids. Each
 * (component, τ, σ) gets its closed-form posterior and marginal likelihood of the k measurements; predictions are
 * the likelihood-weighted mixture, and the uncertainty is the mixture's standard deviation (posterior variance of
 * φ·w plus the noise). With 10 measurements the likelihood typically concentrates on a family (the Pi 4 on the
 * Pixel 3's TFLite component); with 100 the isotropic term lets the device leave the fleet's span.
 * With `positional` (the default when the prior file has the section) the average also runs over the same components built on the prior's second basis
 * (kernel counts + nb201 positional features, priorFile.ts `positional`), whose references nest the kernel ones;
 * it uses the kernel basis' isotropic unit, so each positional component is its kernel twin plus prior variance
 * τₑ² on the 24 positional coefficients (τₑ on its own grid: how much position matters is the device's to say).
 * Both bases model the same k measurements with the same noise model, so their marginal likelihoods are densities
 * of the same y and compare directly; the extra prior variance lowers the positional components' marginal
 * likelihood unless the measurements need it (the Occam factor of the evidence — no extra penalty is added). Each
 * basis gets half the prior mass, spread evenly over its components.
 * Constant-output architectures form their own group (as in costModel.ts): the median of such training samples,
 * else the fleet's median ratio to a typical architecture times the device's median measurement.
 */
import { ZeronasError } from '../../../shared/errors.js';
import type { Graph } from '../../ir/graph.js';
import { CostFeatureExtractor } from '../costFeatures.js';
import type { CostModel, CostPrediction, CostSample } from '../costModel.js';
import { median } from '../regression.js';
import { choleskySolve, cholesky, covariance, inverseDiagonalFromCholesky, logDetFromCholesky, quadForm, type Matrix } from './linalg.js';
import { isConstantOutput, priorFeatureRow, type BasisKind, type CostMetric, type FleetBasis, type FleetPrior, type FleetReference } from './priorFile.js';

export interface PriorCostModelOptions {
  extractor?: CostFeatureExtractor;
  /**
   * Devices whose references must not be used (leave-one-device-out: the device being modelled, every dataset
   * and metric of it).
   */
  excludeDevices?: readonly string[];
  /** Use only references of this dataset (nb201: cifar10, cifar100, imagenet16); default all. */
  dataset?: string;
  /** Use only references of this metric; default both (energy and latency of other devices both inform). */
  metric?: CostMetric;
  /** Grid of τ (isotropic prior spread, relative to the fleet's mean per-feature variance); default [0.3, 1, 3]. */
  taus?: readonly number[];
  /** Grid of σ (relative measurement noise); default [0.003, 0.01, 0.03, 0.06, 0.12, 0.25] (down to noise-free simulators). */
  sigmas?: readonly number[];
  /**
   * Also average over components on the prior's positional basis (kernel counts + nb201 positional features).
   * Default: when the prior file has a `positional` section (the shipped one does); `true` on a file without one is
   * an error. docs/engineering/fleet-cost-models.md has the figures of both.
   */
  positional?: boolean;
  /** Grid of τₑ, the prior spread of the positional coefficients (same unit as τ); default [1, 3, 10, 30]. */
  positionalTaus?: readonly number[];
  /**
   * Scale the predictive spread so that its ±1σ band covers 68% of leave-one-out residuals (looSpreadFactor);
   * default true. Off: the mixture's own standard deviation.
   */
  calibrateSpread?: boolean;
}

interface Component {
  label: string;
  /** 'fleet' or a reference's key (device/dataset/metric). */
  family: string;
  /** Index into the model's bases (0: kernel counts, 1: kernel counts + position). */
  basis: number;
  /** Normalised posterior weight: prior mass × marginal likelihood. */
  weight: number;
  logLik: number;
  /** Log prior mass of the component (equal shares per basis). */
  logPrior: number;
  sigma: number;
  mean: number[];
  cov: Matrix;
  /** Leave-one-out predictive (mean, variance) of each training measurement under this component. */
  loo: { mean: number[]; variance: number[] };
}

const DEFAULT_TAUS = [0.3, 1, 3];
const DEFAULT_SIGMAS = [0.003, 0.01, 0.03, 0.06, 0.12, 0.25];
const DEFAULT_POSITIONAL_TAUS = [1, 3, 10, 30];

export function referenceKey(r: Pick<FleetReference, 'device' | 'dataset' | 'metric'>): string {
  return `${r.device}/${r.dataset}/${r.metric}`;
}

/** The references of `basis` (default the prior's kernel basis) a model of `options` may use; throws when none is left. */
export function usableReferences(prior: FleetPrior, options: Pick<PriorCostModelOptions, 'excludeDevices' | 'dataset' | 'metric'>, basis: FleetBasis = prior): FleetReference[] {
  const excluded = new Set(options.excludeDevices ?? []);
  const refs = basis.references.filter((r) => !excluded.has(r.device) && (!options.dataset || r.dataset === options.dataset) && (!options.metric || r.metric === options.metric));
  if (refs.length === 0) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `fleet prior${basis === prior ? '' : "'s positional basis"} has no reference left for dataset ${options.dataset ?? 'any'}, metric ${options.metric ?? 'any'} after excluding devices [${[...excluded].join(', ')}]; it holds: ${basis.references.map((r) => `${r.device}/${r.dataset}/${r.metric}`).join(', ')}`,
    );
  }
  return refs;
}

/** The fleet's mean weight vector, its covariance and the isotropic unit (mean per-feature variance). */
export function fleetMoments(refs: readonly FleetReference[]): { mean: number[]; cov: Matrix; iso: number } {
  const { mean, cov } = covariance(refs.map((r) => r.weights));
  const p = mean.length;
  let iso = cov.reduce((s, row, i) => s + row[i]!, 0) / p;
  // A single reference has no spread: use its own squared weights as the scale of plausible deviations.
  if (!(iso > 0)) iso = mean.reduce((s, v) => s + v * v, 0) / p;
  return { mean, cov, iso };
}

/** The bases a model of `options` averages over, each with the references it may use. */
export function modelBases(prior: FleetPrior, options: PriorCostModelOptions): { kind: BasisKind; basis: FleetBasis; refs: FleetReference[] }[] {
  const bases: { kind: BasisKind; basis: FleetBasis; refs: FleetReference[] }[] = [{ kind: 'kernels', basis: prior, refs: usableReferences(prior, options) }];
  if (options.positional ?? prior.positional !== undefined) {
    if (!prior.positional) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', "this fleet prior has no positional basis (no 'positional' section); rebuild it with scripts/buildCostPrior.ts, or use the kernel basis only");
    }
    bases.push({ kind: 'kernels+position', basis: prior.positional, refs: usableReferences(prior, options, prior.positional) });
  }
  return bases;
}

export class PriorCostModel implements CostModel {
  readonly name = 'prior';
  private readonly extractor: CostFeatureExtractor;
  private readonly refs: FleetReference[];
  private readonly bases: { kind: BasisKind; basis: FleetBasis; refs: FleetReference[] }[];
  private components: Component[] = [];
  /** Σ_c weight_c·cov_c over the components, on the widest basis (kernel components fill its leading block). */
  private weightedCov: Matrix = [];
  private constantGroup: number[] = [];
  private typical = 0;
  /** Multiplies the mixture's spread so that ±1σ covers 68% (looSpreadFactor); 1 when `calibrateSpread` is off. */
  private spreadFactor = 1;

  constructor(
    private readonly prior: FleetPrior,
    private readonly options: PriorCostModelOptions = {},
  ) {
    this.extractor = options.extractor ?? new CostFeatureExtractor();
    this.bases = modelBases(prior, options);
    this.refs = this.bases[0]!.refs;
  }

  fit(samples: readonly CostSample[]): void {
    samples.forEach((s, i) => {
      if (!Number.isFinite(s.value) || s.value <= 0) {
        throw new ZeronasError('ZN_BAD_DATA', `sample ${i} ('${s.graph.name}') has value ${s.value}; the prior model needs positive measurements`);
      }
    });
    const live = samples.filter((s) => !isConstantOutput(s.graph, this.extractor));
    this.constantGroup = samples.filter((s) => isConstantOutput(s.graph, this.extractor)).map((s) => s.value);
    if (live.length === 0) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `prior cost model needs at least one measured architecture whose output depends on its input, got ${samples.length} constant-output ones`);
    }
    this.typical = median(live.map((s) => s.value));
    const y = live.map((s) => s.value);
    const comps: Component[] = [];
    // One isotropic unit for both bases: the positional twin = its kernel component + variance on the new coefficients.
    const iso = fleetMoments(this.refs).iso;
    const kernelCount = this.bases[0]!.basis.features.length + 1;
    this.bases.forEach(({ basis, refs }, b) => {
      const phi = live.map((s) => priorFeatureRow(basis, s.graph, this.extractor));
      const { mean, cov } = fleetMoments(refs);
      const p = mean.length;
      const isoMatrix = (scale: number): Matrix => Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => (i === j ? scale : 0)));
      const centres: { label: string; c: number[]; base: Matrix }[] = [{ label: 'fleet', c: mean, base: cov }];
      for (const r of refs) centres.push({ label: referenceKey(r), c: r.weights, base: isoMatrix(0) });
      for (const { label, c, base } of centres) {
        const m = phi.map((row) => row.reduce((a, v, j) => a + v * c[j]!, 0));
        // s minimises Σ ((y − s·m)/y)²
        let num = 0;
        let den = 0;
        m.forEach((mi, i) => {
          num += mi / y[i]!;
          den += (mi * mi) / (y[i]! * y[i]!);
        });
        const s = num / den;
        if (!(s > 0) || !Number.isFinite(s)) continue;
        // kernel basis: one prior spread; positional basis: the kernel twin's spread τ on the kernel coefficients and τₑ on the positional ones
        const positionalTaus = b === 0 ? [0] : (this.options.positionalTaus ?? DEFAULT_POSITIONAL_TAUS);
        for (const tau of this.options.taus ?? DEFAULT_TAUS) {
          for (const tauE of positionalTaus) {
            const spread = (i: number): number => (i < kernelCount ? tau * tau : tauE * tauE) * iso;
            const prior = base.map((row, i) => row.map((v, j) => s * s * (v + (i === j ? spread(i) : 0))));
            for (const sigma of this.options.sigmas ?? DEFAULT_SIGMAS) {
              const tag = b === 0 ? '' : ` +position τₑ=${tauE}`;
              comps.push({ label: `${label}${tag} τ=${tau} σ=${sigma}`, family: label, basis: b, weight: 0, logPrior: 0, sigma, ...posterior(phi, y, c.map((v) => s * v), prior, sigma) });
            }
          }
        }
      }
    });
    if (comps.length === 0) throw new ZeronasError('ZN_BAD_DATA', 'prior cost model: no prior component gives a positive scale for these measurements');
    // Prior mass: each basis in use gets an equal share, spread evenly over its components ("position matters" has
    // prior probability ½ with two bases, its size τₑ uniform over the grid); one basis: uniform, as before.
    this.bases.forEach((_, b) => {
      const mine = comps.filter((c) => c.basis === b);
      for (const c of mine) c.logPrior = -Math.log(this.bases.length * mine.length);
    });
    const best = Math.max(...comps.map((c) => c.logLik + c.logPrior));
    let total = 0;
    for (const c of comps) total += c.weight = Math.exp(c.logLik + c.logPrior - best);
    // Components with negligible weight would only cost prediction time (p² per component and architecture): keep
    // the heaviest ones up to 1 − 1e-4 of the mass (with both bases hundreds of components can each hold 1e-5).
    for (const c of comps) c.weight /= total;
    const sorted = [...comps].sort((a, b) => b.weight - a.weight);
    let mass = 0;
    this.components = sorted.filter((c) => {
      const keep = mass < 1 - 1e-4 && c.weight > 1e-6;
      mass += c.weight;
      return keep;
    });
    const kept = this.components.reduce((a, c) => a + c.weight, 0);
    for (const c of this.components) c.weight /= kept;
    const width = this.bases.at(-1)!.basis.features.length + 1;
    this.weightedCov = Array.from({ length: width }, () => new Array<number>(width).fill(0));
    for (const c of this.components) c.cov.forEach((r, i) => r.forEach((v, j) => (this.weightedCov[i]![j]! += c.weight * v)));
    this.spreadFactor = (this.options.calibrateSpread ?? true) ? looSpreadFactor(this.components, y).factor : 1;
  }

  predict(graph: Graph): CostPrediction {
    if (this.components.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', 'prior: predict() called before fit()');
    if (isConstantOutput(graph, this.extractor)) return this.predictConstant();
    // the widest basis' row; a kernel component reads its prefix (the positional basis nests the kernel one)
    const row = priorFeatureRow(this.bases.at(-1)!.basis, graph, this.extractor);
    let mean = 0;
    let second = 0;
    for (const c of this.components) {
      let m = 0;
      for (let j = 0; j < c.mean.length; j++) m += row[j]! * c.mean[j]!;
      mean += c.weight * m;
      second += c.weight * (1 + c.sigma * c.sigma) * m * m;
    }
    // Σ_c w_c·rowᵀ·cov_c·row = rowᵀ·(Σ_c w_c·cov_c)·row: one quadratic form instead of one per component
    second += Math.max(0, quadForm(this.weightedCov, row));
    return { value: Math.max(0, mean), uncertainty: this.spreadFactor * Math.sqrt(Math.max(0, second - mean * mean)) };
  }

  /**
   * Constant-output architectures: the median of such training samples; else the device's median measurement
   * times the constant-output ratio of the families the likelihood chose (geometric mixture; the fleet family
   * uses the median ratio): a TFLite-like device (Pi 4 ~ Pixel 3) folds them to ~0.5% of a typical network, a
   * simulator (Eyeriss) charges ~66%, and the measurements say which family the device belongs to.
   */
  private predictConstant(): CostPrediction {
    if (this.constantGroup.length > 0) {
      const m = median(this.constantGroup);
      return { value: m, uncertainty: 1.4826 * median(this.constantGroup.map((v) => Math.abs(v - m))) || m };
    }
    // The ratio is a property of the reference column, not of the basis it was fitted on: the kernel basis' refs serve both.
    const known = this.refs.map((r) => r.constantOutputRatio).filter((r): r is number => r !== null);
    if (known.length === 0) return { value: 0, uncertainty: this.typical };
    const ratioOf = new Map<string, number>(this.refs.filter((r) => r.constantOutputRatio !== null).map((r) => [referenceKey(r), r.constantOutputRatio!]));
    ratioOf.set('fleet', median(known));
    let logSum = 0;
    let weight = 0;
    for (const c of this.components) {
      const ratio = ratioOf.get(c.family);
      if (ratio === undefined) continue;
      logSum += c.weight * Math.log(ratio);
      weight += c.weight;
    }
    const value = this.typical * Math.exp(weight > 0 ? logSum / weight : Math.log(median(known)));
    // The fleet's spread of log-ratios (robust), as a relative spread: wide, as it should be without a sample.
    const logs = known.map(Math.log);
    const logMedian = median(logs);
    const spread = 1.4826 * median(logs.map((v) => Math.abs(v - logMedian)));
    return { value, uncertainty: value * Math.max(0.5, Math.expm1(spread)) };
  }

  describe(): Record<string, unknown> {
    const byFamily = new Map<string, number>();
    for (const c of this.components) byFamily.set(c.family, (byFamily.get(c.family) ?? 0) + c.weight);
    const byBasis = new Map<string, number>(this.bases.map(({ kind }) => [kind, 0]));
    for (const c of this.components) byBasis.set(this.bases[c.basis]!.kind, byBasis.get(this.bases[c.basis]!.kind)! + c.weight);
    return {
      model: this.name,
      bases: this.bases.map(({ kind }) => kind),
      basisWeights: Object.fromEntries([...byBasis].map(([k, v]) => [k, Number(v.toFixed(4))])),
      references: this.refs.map((r) => `${r.device}/${r.dataset}/${r.metric}`),
      excludedDevices: this.options.excludeDevices ?? [],
      components: this.components.length,
      spreadFactor: Number(this.spreadFactor.toFixed(4)),
      topComponents: [...this.components].sort((a, b) => b.weight - a.weight).slice(0, 4).map((c) => `${c.label} ${c.weight.toFixed(3)} (log evidence ${c.logLik.toFixed(2)})`),
      familyWeights: Object.fromEntries([...byFamily].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Number(v.toFixed(4))])),
    };
  }
}

/**
 * Posterior of w ~ N(m0, S) given y = Φw + ε, ε ~ N(0, diag((σy)²)), in the k-dimensional (measurement) form:
 * K = Φ S Φᵀ + D, α = K⁻¹(y − Φ m0), mean = m0 + S Φᵀ α, cov = S − (SΦᵀ) K⁻¹ (ΦS),
 * log marginal likelihood −½(rᵀα + log|K|) (the constant −k/2·log 2π is common to all components).
 */
export function posterior(
  phi: readonly number[][],
  y: readonly number[],
  m0: readonly number[],
  s: Matrix,
  sigma: number,
): { mean: number[]; cov: Matrix; logLik: number; loo: { mean: number[]; variance: number[] } } {
  const p = m0.length;
  const sPhiT = s.map((row) => phi.map((f) => row.reduce((a, v, j) => a + v * f[j]!, 0))); // p × k
  const kMat = phi.map((f, i) => phi.map((_, j) => f.reduce((a, v, t) => a + v * sPhiT[t]![j]!, 0) + (i === j ? (sigma * y[i]!) ** 2 : 0)));
  const l = cholesky(kMat);
  const r = y.map((v, i) => v - phi[i]!.reduce((a, f, j) => a + f * m0[j]!, 0));
  const alpha = choleskySolve(l, r);
  const mean = m0.map((v, i) => v + sPhiT[i]!.reduce((a, x, j) => a + x * alpha[j]!, 0));
  // K⁻¹ (Φ S) column by column
  const kInvPhiS: number[][] = Array.from({ length: p }, (_, t) => choleskySolve(l, sPhiT[t]!)); // p × k (rows: K⁻¹ · (SΦᵀ)[t,:])
  const cov = s.map((row, i) => row.map((v, j) => v - sPhiT[i]!.reduce((a, x, t) => a + x * kInvPhiS[j]![t]!, 0)));
  const logLik = -0.5 * (r.reduce((a, v, i) => a + v * alpha[i]!, 0) + logDetFromCholesky(l));
  // Leave-one-out predictive of each measurement from the others, in closed form (Rasmussen & Williams eq. 5.12):
  // y_i | y₋ᵢ ~ N(y_i − α_i/[K⁻¹]_ii, 1/[K⁻¹]_ii) — no refit. Its noise term is (σ·y_i)², as in the fit.
  const kInvDiag = inverseDiagonalFromCholesky(l);
  const loo = { mean: y.map((v, i) => v - alpha[i]! / kInvDiag[i]!), variance: kInvDiag.map((d) => 1 / d) };
  return { mean, cov, logLik, loo };
}

/**
 * The factor the mixture's spread is multiplied by, from the components' leave-one-out predictives: each point's
 * mixture is re-weighted as if that point had not been seen (its weight × 1/p(y_i | y₋ᵢ, component), exact for the
 * marginal likelihood), giving a standardised residual z_i. If the model's spread is right, Σz² is about χ²ₙ: the
 * spread is kept unless Σz² falls outside χ²ₙ's central 95% (Wilson–Hilferty), and is then rescaled by the robust
 * scale of z, median|z| / 0.6745 — robust because a leave-one-out residual at a high-leverage cell overstates the
 * error at a typical one. Noise-free simulated devices are the case it exists for: the noise grid's floor and the
 * prior's spread leave their band 2-50× too wide. 1 below 5 measurements. docs/engineering/fleet-cost-models.md
 * has the figures and the rules tried.
 */
export function looSpreadFactor(components: readonly { weight: number; loo: { mean: number[]; variance: number[] } }[], y: readonly number[]): { factor: number; z: number[] } {
  const n = y.length;
  const z = y.map((yi, i) => {
    const logW = components.map((c) => Math.log(c.weight) + 0.5 * Math.log(2 * Math.PI * c.loo.variance[i]!) + (yi - c.loo.mean[i]!) ** 2 / (2 * c.loo.variance[i]!));
    const top = Math.max(...logW);
    const w = logW.map((v) => Math.exp(v - top));
    const total = w.reduce((a, v) => a + v, 0);
    let mean = 0;
    let second = 0;
    components.forEach((c, j) => {
      mean += (w[j]! / total) * c.loo.mean[i]!;
      second += (w[j]! / total) * (c.loo.variance[i]! + c.loo.mean[i]! ** 2);
    });
    return Math.abs(yi - mean) / Math.sqrt(Math.max(1e-300, second - mean * mean));
  });
  if (n < 5) return { factor: 1, z };
  const chiSquareQuantile = (normalQuantile: number): number => n * (1 - 2 / (9 * n) + normalQuantile * Math.sqrt(2 / (9 * n))) ** 3;
  const sumSquares = z.reduce((a, v) => a + v * v, 0);
  if (sumSquares >= chiSquareQuantile(-1.96) && sumSquares <= chiSquareQuantile(1.96)) return { factor: 1, z };
  return { factor: Math.max(1e-3, median(z) / 0.6745), z };
}

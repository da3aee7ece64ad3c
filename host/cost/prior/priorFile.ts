/**
 * The fleet prior file: what the fleet knows about how devices price architectures, small enough to commit
 * (tens of KB). One reference per (device, dataset, metric) — a linear cost model on a shared feature basis,
 * fitted on every architecture the device measured and divided by the device's median cost, so references of
 * fast and slow devices are comparable. A new device is modelled as "some device of this family" by
 * PriorCostModel (priorCostModel.ts); the references are its prior, never its training data.
 *
 * Feature basis: executed kernels per kernel class (`k:` features of costFeatures.ts) under each of the three
 * execution hypotheses (execution.ts), standardised by `featureScale`, with an intercept first. Why not the
 * positional nb201 features in this one shared basis: in a prototype sweep they helped only the edge GPU and hurt
 * every other device at 10 measurements (docs/engineering/fleet-cost-models.md) — hence the optional second basis.
 *
 * Optional second basis (`positional`): the same kernel counts followed by nb201's positional one-hots
 * `all/e:<edge>:<op>` (which op sits on which cell edge). Its references are nested in the kernel ones: the same
 * kernel weights, plus positional weights fitted on what the kernel fit leaves unexplained (`fitReference`'s
 * `nestedIn`). Why nested and not a joint refit: under `all` a kernel count is a sum of edge one-hots, so a joint
 * ridge fit splits weight between the two and changes the kernel coefficients and the fleet's spread; the
 * positional model would then differ from the kernel one in more than its positional coefficients, and the evidence
 * preferred it (0.85 of the weight) for a synthetic device with no positional effect at all. Nested, the positional
 * model is the kernel model plus extra coefficients, and the marginal likelihood compares exactly that.
 * PriorCostModel's `positional` option averages over the components of both bases. Files without the section still
 * load; the option then refuses them by name.
 */
import { readJsonFile } from '../../util/jsonFile.js';
import { fileURLToPath } from 'node:url';
import { ZeronasError } from '../../../shared/errors.js';
import type { Graph } from '../../ir/graph.js';
import { CostFeatureExtractor } from '../costFeatures.js';
import { EXECUTION_HYPOTHESES, type ExecutionHypothesis } from '../execution.js';
import { median, weightedRidge } from '../regression.js';

export const FLEET_PRIOR_FORMAT = 'zeronas-cost-prior';
export const FLEET_PRIOR_VERSION = 1;
/** The prior built from the public HW-NAS-Bench tables (scripts/buildCostPrior.ts), shipped with the repo. */
export const HWNASBENCH_PRIOR_PATH = fileURLToPath(new URL('../../../data/costmodel/prior-hwnasbench-v1.json', import.meta.url));

export type CostMetric = 'latency' | 'energy';

export interface FleetReference {
  /** Device name (HW-NAS-Bench: edgegpu, raspi4, ...; a fleet device: its fingerprint or target name). */
  device: string;
  /** Workload the architectures were built for (nb201: cifar10, cifar100, imagenet16). */
  dataset: string;
  metric: CostMetric;
  /** Where the measurements came from (a CSV column, a run store). */
  source: string;
  /** Architectures the reference was fitted on. */
  samples: number;
  /** Median measured cost (ms or mJ) of the architectures whose output depends on the input. */
  scale: number;
  /** Coefficients on [1, standardised features], in units of `scale`. */
  weights: number[];
  /** Median |relative residual| of the fit over its own samples. */
  relResidual: number;
  /** Median cost of constant-output architectures over `scale`; null when the device measured none. */
  constantOutputRatio: number | null;
}

/** A feature basis and the references fitted on it. */
export interface FleetBasis {
  /** Feature names `<hypothesis>/k:<kernel class>` (and, in the positional basis, `all/e:<edge>:<op>`). */
  features: string[];
  /** Standard deviation of each feature over the build set (1 for a constant feature). */
  featureScale: number[];
  references: FleetReference[];
}

export interface FleetPrior extends FleetBasis {
  format: typeof FLEET_PRIOR_FORMAT;
  version: number;
  description: string;
  /** Optional: the references on kernel counts + nb201 positional features, nested in the kernel ones (the `positional` option of PriorCostModel). */
  positional?: FleetBasis;
}

export type BasisKind = 'kernels' | 'kernels+position';

/** Row [1, standardised features] of `graph` under the prior's basis (kernel classes the prior has never seen are ignored). */
export function priorFeatureRow(prior: Pick<FleetPrior, 'features' | 'featureScale'>, graph: Graph, extractor: CostFeatureExtractor): number[] {
  const byHypothesis = new Map<string, Map<string, number>>();
  const row = [1];
  prior.features.forEach((name, j) => {
    const slash = name.indexOf('/');
    const h = name.slice(0, slash) as ExecutionHypothesis;
    let values = byHypothesis.get(h);
    if (!values) {
      values = extractor.features(graph, h).values;
      byHypothesis.set(h, values);
    }
    row.push((values.get(name.slice(slash + 1)) ?? 0) / prior.featureScale[j]!);
  });
  return row;
}

export function isConstantOutput(graph: Graph, extractor: CostFeatureExtractor): boolean {
  return extractor.features(graph, 'folded').isConstantOutput;
}

/**
 * The feature basis over a set of graphs: every `k:` feature under every hypothesis, scaled by its standard
 * deviation; with `kind: 'kernels+position'` also nb201's positional one-hots `e:<edge>:<op>` (hypothesis-free, so
 * listed once, under `all/`). Graphs of other spaces have no `e:` feature: the positional basis then equals the kernel one.
 */
export function featureBasis(graphs: readonly Graph[], extractor: CostFeatureExtractor, kind: BasisKind = 'kernels'): { features: string[]; featureScale: number[] } {
  const names = new Set<string>();
  const positional = new Set<string>();
  for (const g of graphs) {
    for (const h of EXECUTION_HYPOTHESES) {
      for (const n of extractor.features(g, h).values.keys()) {
        if (n.startsWith('k:')) names.add(`${h}/${n}`);
        else if (kind === 'kernels+position' && h === 'all' && n.startsWith('e:')) positional.add(`${h}/${n}`);
      }
    }
  }
  // kernel features first, so the positional basis nests the kernel one (same leading coefficients)
  const features = [...[...names].sort(), ...[...positional].sort()];
  const featureScale = features.map((name) => {
    const slash = name.indexOf('/');
    const col = graphs.map((g) => extractor.features(g, name.slice(0, slash) as ExecutionHypothesis).values.get(name.slice(slash + 1)) ?? 0);
    const mean = col.reduce((a, b) => a + b, 0) / col.length;
    const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length);
    return sd > 1e-12 ? sd : 1;
  });
  return { features, featureScale };
}

/** Ridge λ (relative units, per sample) of a reference fit: enough to settle collinear kernel classes. */
const REFERENCE_RIDGE = 1e-3;

/**
 * Fits one reference: relative least squares min Σ ((y − φ·w)/y)² + λ·n·Σ_{j≥1} w_j² over the architectures whose
 * output depends on the input (constant-output ones are a group of their own, as in costModel.ts), then divides by
 * the median cost. With `nestedIn` (the same column's reference on a basis whose features lead this one's), its
 * weights are kept and only the remaining coefficients are fitted, on the relative residual it leaves.
 */
export function fitReference(
  basis: Pick<FleetPrior, 'features' | 'featureScale'>,
  samples: readonly { graph: Graph; value: number }[],
  meta: { device: string; dataset: string; metric: CostMetric; source: string },
  extractor: CostFeatureExtractor,
  nestedIn?: Pick<FleetReference, 'weights' | 'scale'>,
): FleetReference {
  const valid = samples.filter((s) => Number.isFinite(s.value) && s.value > 0);
  const live = valid.filter((s) => !isConstantOutput(s.graph, extractor));
  const folded = valid.filter((s) => isConstantOutput(s.graph, extractor));
  const p = basis.features.length + 1;
  if (live.length < p) {
    throw new ZeronasError('ZN_BAD_DATA', `reference '${meta.device}/${meta.dataset}/${meta.metric}' (${meta.source}) has ${live.length} usable measurements; a reference needs at least ${p}`);
  }
  const scale = median(live.map((s) => s.value));
  const x = live.map((s) => priorFeatureRow(basis, s.graph, extractor));
  const y = live.map((s) => s.value / scale);
  let w: number[];
  if (nestedIn) {
    const fixed = nestedIn.weights.length;
    // in units of this fit's scale (the same when both were fitted on the same samples)
    const kept = nestedIn.scale === scale ? nestedIn.weights : nestedIn.weights.map((v) => (v * nestedIn.scale) / scale);
    const base = x.map((row) => row.slice(0, fixed).reduce((a, v, j) => a + v * kept[j]!, 0));
    const extra = weightedRidge(
      x.map((row) => row.slice(fixed)),
      y.map((v, i) => v - base[i]!),
      y.map((v) => 1 / (v * v)),
      REFERENCE_RIDGE * live.length,
      x[0]!.slice(fixed).map(() => true),
    );
    w = [...kept, ...extra];
  } else {
    w = weightedRidge(x, y, y.map((v) => 1 / (v * v)), REFERENCE_RIDGE * live.length, x[0]!.map((_, j) => j > 0));
  }
  const rel = x.map((row, i) => Math.abs(row.reduce((a, v, j) => a + v * w[j]!, 0) - y[i]!) / y[i]!);
  return {
    ...meta,
    samples: valid.length,
    scale,
    weights: w,
    relResidual: median(rel),
    constantOutputRatio: folded.length > 0 ? median(folded.map((s) => s.value)) / scale : null,
  };
}

function fail(where: string, what: string): never {
  throw new ZeronasError('ZN_BAD_DATA', `fleet prior ${where}: ${what}`, { where });
}

/** Checks one basis (features, featureScale, references); `at` prefixes the field names in messages. */
function validateBasis(o: Record<string, unknown>, where: string, at0: string, featureName: RegExp): void {
  const features = o.features;
  if (!Array.isArray(features) || features.length === 0 || !features.every((f) => typeof f === 'string' && featureName.test(f))) {
    fail(where, `'${at0}features' must be a non-empty list of ${at0 ? "'<all|live|folded>/k:<kernel class>' or 'all/e:<edge>:<op>'" : "'<all|live|folded>/k:<kernel class>'"} names`);
  }
  const scale = o.featureScale;
  if (!Array.isArray(scale) || scale.length !== features.length || !scale.every((v) => typeof v === 'number' && v > 0)) {
    fail(where, `'${at0}featureScale' must hold ${features.length} positive numbers`);
  }
  if (!Array.isArray(o.references) || o.references.length === 0) fail(where, `'${at0}references' must be a non-empty list`);
  (o.references as unknown[]).forEach((r, i) => {
    const ref = r as Record<string, unknown>;
    const at = `${at0}reference ${i}`;
    for (const key of ['device', 'dataset', 'source'] as const) if (typeof ref[key] !== 'string' || ref[key] === '') fail(where, `${at}: '${key}' must be a non-empty string`);
    if (ref.metric !== 'latency' && ref.metric !== 'energy') fail(where, `${at} (${String(ref.device)}): metric ${JSON.stringify(ref.metric)} is not 'latency' or 'energy'`);
    if (!(typeof ref.scale === 'number' && ref.scale > 0)) fail(where, `${at} (${String(ref.device)}): 'scale' must be a positive number`);
    if (!Array.isArray(ref.weights) || ref.weights.length !== features.length + 1 || !ref.weights.every((v) => Number.isFinite(v))) {
      fail(where, `${at} (${String(ref.device)}): 'weights' must hold ${features.length + 1} finite numbers (intercept + one per feature)`);
    }
    if (!(typeof ref.relResidual === 'number' && ref.relResidual >= 0)) fail(where, `${at}: 'relResidual' must be a non-negative number`);
    if (!(ref.constantOutputRatio === null || (typeof ref.constantOutputRatio === 'number' && ref.constantOutputRatio > 0))) fail(where, `${at}: 'constantOutputRatio' must be null or positive`);
    if (!(Number.isInteger(ref.samples) && (ref.samples as number) > 0)) fail(where, `${at}: 'samples' must be a positive integer`);
  });
}

/** Checks shape and version; throws a ZN_BAD_DATA that names the bad field. */
export function validateFleetPrior(raw: unknown, where = '<object>'): FleetPrior {
  if (typeof raw !== 'object' || raw === null) fail(where, 'not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.format !== FLEET_PRIOR_FORMAT) fail(where, `format is ${JSON.stringify(o.format)}, expected '${FLEET_PRIOR_FORMAT}'`);
  if (o.version !== FLEET_PRIOR_VERSION) {
    throw new ZeronasError('ZN_BAD_DATA', `fleet prior ${where}: version ${JSON.stringify(o.version)} is not supported (this zeronas reads version ${FLEET_PRIOR_VERSION}); rebuild it with 'zeronas costmodel prior' or scripts/buildCostPrior.ts`, { where, version: o.version });
  }
  validateBasis(o, where, '', /^(all|live|folded)\/k:/);
  if (o.positional !== undefined) {
    if (typeof o.positional !== 'object' || o.positional === null) fail(where, "'positional' must be an object (features, featureScale, references)");
    const pos = o.positional as Record<string, unknown>;
    validateBasis(pos, where, 'positional.', /^((all|live|folded)\/k:|all\/e:)/);
    const kernels = o.features as string[];
    const kernelScale = o.featureScale as number[];
    if (!kernels.every((f, j) => (pos.features as string[])[j] === f && (pos.featureScale as number[])[j] === kernelScale[j])) {
      fail(where, "'positional.features' and 'positional.featureScale' must start with the kernel basis' 'features' and 'featureScale', in the same order (the positional basis nests it)");
    }
  }
  return raw as FleetPrior;
}

/** Loads a prior file; `hwnasbench` names the shipped one. */
export async function loadFleetPrior(pathOrName: string): Promise<FleetPrior> {
  const path = pathOrName === 'hwnasbench' ? HWNASBENCH_PRIOR_PATH : pathOrName;
  return validateFleetPrior(await readJsonFile(path, 'fleet prior'), `'${path}'`);
}

/** The prior as written to disk: numbers rounded to 6 significant digits (keeps the file at tens of KB). */
export function serialiseFleetPrior(prior: FleetPrior): string {
  return `${JSON.stringify(prior, (_, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v), 1)}\n`;
}

/**
 * Builds a fleet prior (priorFile.ts) from measured tables: one reference per (device, dataset, metric) column.
 * The public one comes from HW-NAS-Bench's NAS-Bench-201 columns (scripts/buildCostPrior.ts); a fleet's own comes
 * from its run stores (fleetReferences.ts) and goes through the same fit.
 */
import type { Graph } from '../../ir/graph.js';
import { buildNb201Network, NB201_DATASETS, type Nb201Dataset } from '../../spaces/nb201.js';
import type { TruthTable } from '../benchCostModel.js';
import { CostFeatureExtractor } from '../costFeatures.js';
import { featureBasis, fitReference, FLEET_PRIOR_FORMAT, FLEET_PRIOR_VERSION, type BasisKind, type CostMetric, type FleetBasis, type FleetPrior, type FleetReference } from './priorFile.js';

/** `<dataset>_<device>_<latency|energy>` (HW-NAS-Bench naming, and `zeronas results` for a fleet device); other columns (arithmetic intensity, index, _n, _source) are not costs. */
export function parseCostColumn(column: string): { dataset: Nb201Dataset; device: string; metric: CostMetric } | undefined {
  const m = /^(cifar10|cifar100|imagenet16)_(.+)_(latency|energy)$/.exec(column);
  return m ? { dataset: m[1] as Nb201Dataset, device: m[2]!, metric: m[3] as CostMetric } : undefined;
}

export interface DeviceMeasurements {
  device: string;
  dataset: string;
  metric: CostMetric;
  source: string;
  samples: { graph: Graph; value: number }[];
}

/** The HW-NAS-Bench table as measurement sets, one per cost column of the chosen datasets. */
export function truthTableMeasurements(truth: TruthTable, datasets: readonly Nb201Dataset[]): DeviceMeasurements[] {
  const out: DeviceMeasurements[] = [];
  for (const dataset of datasets) {
    const graphs = truth.archs.map((a) => buildNb201Network(a, NB201_DATASETS[dataset]));
    for (const [column, values] of truth.columns) {
      const c = parseCostColumn(column);
      if (!c || c.dataset !== dataset) continue;
      const samples = graphs.map((graph, i) => ({ graph, value: values[i]! })).filter((s) => Number.isFinite(s.value) && s.value > 0);
      out.push({ device: c.device, dataset, metric: c.metric, source: `HW-NAS-Bench ${column}`, samples });
    }
  }
  return out;
}

export interface BuildPriorOptions {
  description: string;
  /** Graphs that define the feature basis and its scale (default: all graphs of the measurement sets). */
  basisGraphs?: readonly Graph[];
  extractor?: CostFeatureExtractor;
  /** Also fit every reference on kernel counts + nb201 positional features (the file's `positional` section). */
  positional?: boolean;
  onProgress?: (done: number, total: number, reference: FleetReference, basis: BasisKind) => void;
}

export function buildFleetPrior(sets: readonly DeviceMeasurements[], options: BuildPriorOptions): FleetPrior {
  const extractor = options.extractor ?? new CostFeatureExtractor();
  const basisGraphs = options.basisGraphs ?? sets.flatMap((s) => s.samples.map((x) => x.graph));
  const kernelBasis = featureBasis(basisGraphs, extractor, 'kernels');
  const positionalBasis = options.positional ? featureBasis(basisGraphs, extractor, 'kernels+position') : undefined;
  const kernels: FleetBasis = { ...kernelBasis, references: [] };
  const positional: FleetBasis | undefined = positionalBasis ? { ...positionalBasis, references: [] } : undefined;
  // one column at a time, both bases: its features are computed once (the positional references are nested in the
  // kernel ones: same kernel weights + residual positional weights, priorFile.ts)
  sets.forEach((set, i) => {
    const ref = fitReference(kernelBasis, set.samples, set, extractor);
    kernels.references.push(ref);
    options.onProgress?.(i + 1, sets.length, ref, 'kernels');
    if (positional) {
      const pos = fitReference(positional, set.samples, set, extractor, ref);
      positional.references.push(pos);
      options.onProgress?.(i + 1, sets.length, pos, 'kernels+position');
    }
  });
  return {
    format: FLEET_PRIOR_FORMAT,
    version: FLEET_PRIOR_VERSION,
    description: options.description,
    ...kernels,
    ...(positional ? { positional } : {}),
  };
}

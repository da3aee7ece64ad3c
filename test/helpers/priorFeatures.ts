/**
 * The prior's feature rows of full-size NAS-Bench-201 networks (CIFAR-10 head, 32x32), as the fleet-prior benchmark
 * builds them: the tests that make synthetic devices from these rows share one construction.
 */
import { CostFeatureExtractor } from '../../host/cost/costFeatures.js';
import type { DeviceMeasurements } from '../../host/cost/prior/buildPrior.js';
import type { Graph } from '../../host/ir/graph.js';
import { featureBasis, isConstantOutput, priorFeatureRow } from '../../host/cost/prior/priorFile.js';
import { buildNb201Network } from '../../host/spaces/nb201.js';

export function fullSizePriorFeatures(archs: readonly string[]) {
  const full = archs.map((a) => buildNb201Network(a, { numClasses: 10, inputSize: 32 }));
  const ex = new CostFeatureExtractor();
  const fb = featureBasis(full, ex);
  return { full, ex, fb, rows: full.map((g) => priorFeatureRow(fb, g, ex)), constant: full.map((g) => isConstantOutput(g, ex)) };
}

/** HW-NAS-Bench-style columns (`cifar10_<device>_<latency|energy>`) as the prior builder's measurement sets. */
export function measurementSets(columns: ReadonlyMap<string, readonly number[]>, graphs: readonly Graph[]): DeviceMeasurements[] {
  return [...columns].map(([c, v]) => ({
    device: c.split('_')[1]!,
    dataset: 'cifar10',
    metric: c.endsWith('energy') ? 'energy' : 'latency',
    source: c,
    samples: graphs.map((graph, i) => ({ graph, value: v[i]! })),
  }));
}

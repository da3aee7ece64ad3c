/**
 * The prior's feature rows of full-size NAS-Bench-201 networks (CIFAR-10 head, 32x32), as the fleet-prior benchmark
 * builds them: the tests that make synthetic devices from these rows share one construction.
 */
import { CostFeatureExtractor } from '../../host/cost/costFeatures.js';
import { featureBasis, isConstantOutput, priorFeatureRow } from '../../host/cost/prior/priorFile.js';
import { buildNb201Network } from '../../host/spaces/nb201.js';

export function fullSizePriorFeatures(archs: readonly string[]) {
  const full = archs.map((a) => buildNb201Network(a, { numClasses: 10, inputSize: 32 }));
  const ex = new CostFeatureExtractor();
  const fb = featureBasis(full, ex);
  return { full, ex, fb, rows: full.map((g) => priorFeatureRow(fb, g, ex)), constant: full.map((g) => isConstantOutput(g, ex)) };
}

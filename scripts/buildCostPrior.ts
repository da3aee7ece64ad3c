/**
 * Builds the shipped fleet prior from the public HW-NAS-Bench NAS-Bench-201 tables:
 *   npx tsx scripts/buildCostPrior.ts [--truth ../shared/data/hw/hwnasbench_nb201.csv] [--out data/costmodel/prior-hwnasbench-v1.json]
 * One reference per latency/energy column and dataset (cifar10, cifar100, imagenet16): 27 references, each fitted
 * on kernel counts and again on kernel counts + nb201 positional features (the file's `positional` section;
 * `--positional false` leaves it out); ~12 minutes on a 2-core machine (feature extraction of 3 × 15,625 networks,
 * all kept in one cache: run with NODE_OPTIONS=--max-old-space-size=7000, the default heap of 4 GB runs out).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadTruthCsv } from '../host/cost/benchCostModel.js';
import { CostFeatureExtractor } from '../host/cost/costFeatures.js';
import { buildFleetPrior, truthTableMeasurements } from '../host/cost/prior/buildPrior.js';
import { serialiseFleetPrior } from '../host/cost/prior/priorFile.js';
import { option } from './scriptArgs.js';

const truthPath = option('truth', new URL('../../shared/data/hw/hwnasbench_nb201.csv', import.meta.url).pathname);
const out = option('out', new URL('../data/costmodel/prior-hwnasbench-v1.json', import.meta.url).pathname);
const truth = await loadTruthCsv(truthPath);
const extractor = new CostFeatureExtractor();
const t0 = Date.now();
const sets = truthTableMeasurements(truth, ['cifar10', 'cifar100', 'imagenet16']);
const prior = buildFleetPrior(sets, {
  description: 'HW-NAS-Bench (Li et al., ICLR 2021) NAS-Bench-201 latency and energy columns, all 15,625 cells per column; built by scripts/buildCostPrior.ts',
  basisGraphs: sets.find((s) => s.dataset === 'cifar10')!.samples.map((s) => s.graph),
  extractor,
  positional: option('positional', 'true') !== 'false',
  onProgress: (done, total, r, basis) =>
    console.error(`[${basis} ${done}/${total}] ${r.device}/${r.dataset}/${r.metric}: ${r.samples} samples, median ${r.scale.toPrecision(4)}, fit median |rel. residual| ${(100 * r.relResidual).toFixed(1)}% (${((Date.now() - t0) / 1000).toFixed(0)} s)`),
});
await mkdir(dirname(out), { recursive: true });
const text = serialiseFleetPrior(prior);
await writeFile(out, text);
console.error(`wrote ${out}: ${prior.references.length} references, ${prior.features.length} features${prior.positional ? ` (positional basis: ${prior.positional.features.length})` : ''}, ${(text.length / 1024).toFixed(1)} KB`);

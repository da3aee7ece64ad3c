/**
 * Checks our params and MACs against NAS-Bench-201's own figures for every architecture listed in NASLib's
 * precomputed proxy file (9,445 cells; `params` in millions, `flops` in millions of MACs as the benchmark counts
 * them) and prints the worst deviations.
 *   npx tsx scripts/checkNb201Metrics.ts [--csv ../shared/data/nb201/nb201_zc_proxies_cifar10.csv] [--dataset cifar10]
 */
import { readFileSync } from 'node:fs';
import { analyticMetrics } from '../host/metrics/analytic.js';
import { buildNb201Network, NB201_DATASETS, type Nb201Dataset } from '../host/spaces/nb201.js';
import { readCsv } from '../host/util/csv.js';
import { option } from './scriptArgs.js';

const csvPath = option('csv', new URL('../../shared/data/nb201/nb201_zc_proxies_cifar10.csv', import.meta.url).pathname);
const dataset = option('dataset', 'cifar10') as Nb201Dataset;

const rows = readCsv(readFileSync(csvPath, 'utf8'));
let worstParams = { rel: 0, arch: '' };
let worstMacs = { rel: 0, arch: '' };
let over = 0;
for (const row of rows) {
  const m = analyticMetrics(buildNb201Network(row.arch_str!, NB201_DATASETS[dataset]));
  const relParams = Math.abs(m.params / 1e6 - Number(row.params)) / Number(row.params);
  const relMacs = Math.abs(m.macs / 1e6 - Number(row.flops)) / Number(row.flops);
  if (relParams > worstParams.rel) worstParams = { rel: relParams, arch: row.arch_str! };
  if (relMacs > worstMacs.rel) worstMacs = { rel: relMacs, arch: row.arch_str! };
  if (relParams > 1e-3 || relMacs > 1e-3) over++;
}
console.log(`checked ${rows.length} architectures from ${csvPath} (${dataset})`);
console.log(`worst params deviation: ${(worstParams.rel * 100).toExponential(3)} %  ${worstParams.arch}`);
console.log(`worst MACs deviation:   ${(worstMacs.rel * 100).toExponential(3)} %  ${worstMacs.arch}`);
console.log(`architectures off by more than 0.1%: ${over}`);
process.exitCode = over === 0 ? 0 : 1;

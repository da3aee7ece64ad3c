/**
 * Fits SWAP-reg's μ and σ (host/proxies/activationProxies.ts) on ONE sample and reports them on others: a grid search
 * maximising Spearman between SWAP × exp(−(P/1e3 − μ)²/σ) and CIFAR-10 test accuracy on the `--fit` sample's cached
 * scores, then the held-out samples on all three datasets, beside plain SWAP and the combinations given.
 *
 *   npx tsx scripts/bench/fitSwapReg.ts --fit 0 --report 1,2 [--combos meco_opt+swap_reg+az_nas,meco_opt+swap+az_nas]
 *
 * Reads the `bench proxies` caches (runs/bench/proxies-1000-<seed>-b64x2-*.csv) that hold swap and params (and the
 * combinations' proxies); scores nothing itself. Make them with
 * `npx zeronas bench proxies --sample 1000 --seed <s> --truth ../shared/data/nb201/nb201_accuracy.csv --proxies swap,params,...`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aggregateRanks, aggregationFor, parseProxyList } from '../../host/proxies/ensemble.js';
import { SWAP_REG_MU_KPARAMS, SWAP_REG_SIGMA, swapRegFactor } from '../../host/proxies/activationProxies.js';
import { spearman } from '../../host/stats/rank.js';
import { readCsv } from '../../host/util/csv.js';
import { option } from '../scriptArgs.js';

const DATASETS = ['cifar10_test_acc', 'cifar100_test_acc', 'imagenet16_test_acc'];
const fitSeed = Number(option('fit', '0'));
const reportSeeds = option('report', '1,2').split(',').map(Number);
const combos = option('combos', 'meco_opt+swap_reg+az_nas,meco_opt+swap+az_nas').split(',').filter(Boolean);
const truth = new Map(readCsv(readFileSync('../shared/data/nb201/nb201_accuracy.csv', 'utf8')).map((r) => [r.arch_str!, r]));

/** Every cached column of the 1000-cell sample of `seed`, joined by arch (a cell must have swap and params). */
function sample(seed: number): Record<string, string>[] {
  const byArch = new Map<string, Record<string, string>>();
  for (const f of readdirSync('runs/bench').filter((n) => n.startsWith(`proxies-1000-${seed}-b64x2-`) && n.endsWith('.csv'))) {
    for (const r of readCsv(readFileSync(join('runs/bench', f), 'utf8'))) byArch.set(r.arch!, { ...byArch.get(r.arch!), ...r });
  }
  return [...byArch.values()].filter((r) => r.swap !== undefined && r.params !== undefined && r.swap !== 'NA');
}

const withSwapReg = (rows: Record<string, string>[], mu: number, sigma: number): Record<string, string>[] =>
  rows.map((r) => ({ ...r, swap_reg: String(Number(r.swap) * swapRegFactor(Number(r.params), mu, sigma)) }));

function rho(rows: Record<string, string>[], entry: string, column: string): number {
  const columns = parseProxyList(entry).map((p) => rows.map((r) => (r[p] === undefined || r[p] === 'NA' ? Number.NaN : Number(r[p]))));
  const xs = columns.length === 1 ? columns[0]! : aggregateRanks(columns, aggregationFor(entry));
  return spearman(xs.map((v) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v)), rows.map((r) => Number(truth.get(r.arch!)![column])));
}

const fitRows = sample(fitSeed);
let best = { rho: -1, mu: 0, sigma: 0 };
for (let mu = 100; mu <= 2000; mu += 25) {
  for (let e = 4; e <= 7.5; e += 0.125) {
    const r = rho(withSwapReg(fitRows, mu, 10 ** e), 'swap_reg', 'cifar10_test_acc');
    if (r > best.rho) best = { rho: r, mu, sigma: 10 ** e };
  }
}
console.log(`fitted on seed ${fitSeed} (${fitRows.length} cells, CIFAR-10): mu ${best.mu} (thousand params), sigma ${best.sigma.toPrecision(3)}, Spearman ${best.rho.toFixed(3)}`);
console.log(`shipped constants: mu ${SWAP_REG_MU_KPARAMS}, sigma ${SWAP_REG_SIGMA.toPrecision(3)}${best.mu === SWAP_REG_MU_KPARAMS && best.sigma === SWAP_REG_SIGMA ? ' (the fit)' : ' (DIFFER from this fit)'}`);
for (const seed of [fitSeed, ...reportSeeds]) {
  const rows = withSwapReg(sample(seed), SWAP_REG_MU_KPARAMS, SWAP_REG_SIGMA);
  for (const entry of ['swap', 'swap_reg', ...combos]) {
    if (parseProxyList(entry).some((p) => rows[0]![p] === undefined)) continue;
    console.log(`seed ${seed}${seed === fitSeed ? ' (fit)' : ''}  ${entry.padEnd(28)} ${DATASETS.map((d) => `${d.replace('_test_acc', '')} ${rho(rows, entry, d).toFixed(3)}`).join('  ')}  (n ${rows.length})`);
  }
}

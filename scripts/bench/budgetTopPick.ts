/**
 * What a proxy can pick under a latency budget, with perfect cost knowledge: among the cells of a 1000-cell sample that
 * meet the budget on HW-NAS-Bench's table (REPLAY truth, no device timed), the CIFAR-10 test accuracy of the
 * best-scored cell, and the mean of that over random subsets of the feasible cells (a sample search scoring 500
 * random cells sees about half of them feasible at the median budget). This separates the proxy's ceiling from the
 * search and the cost model: the search gap of issue #21 (best feasible cell of the space 93.75% at the Pi 4's
 * median, 25.68 ms) cannot be smaller than what the proxy's top pick gives here.
 *
 *   npx tsx scripts/bench/budgetTopPick.ts [--seeds 0,1,2] [--column cifar10_raspi4_latency] [--subset 250]
 *     [--proxies meco_opt+swap+az_nas,az_nas,meco,...]
 *
 * Reads the `bench proxies` caches (runs/bench/proxies-1000-<seed>-b64x2-*.csv); scores nothing itself. Make them with
 * `npx zeronas bench proxies --sample 1000 --seed <s> --truth ../shared/data/nb201/nb201_accuracy.csv --proxies <...>`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from '../../host/cost/regression.js';
import { aggregateRanks, aggregationFor, parseProxyList } from '../../host/proxies/ensemble.js';
import { SeededRng } from '../../host/search/rng.js';
import { spearman } from '../../host/stats/rank.js';
import { readCsv } from '../../host/util/csv.js';
import { option } from '../scriptArgs.js';

const seeds = option('seeds', '0,1,2').split(',').map(Number);
const column = option('column', 'cifar10_raspi4_latency');
const subset = Number(option('subset', '250'));
const entries = option('proxies', 'meco_opt+swap+az_nas,az_nas,meco_opt+swap,meco,meco_opt,swap,zico+params,params').split(',').filter(Boolean);

const accuracy = new Map(readCsv(readFileSync('../shared/data/nb201/nb201_accuracy.csv', 'utf8')).map((r) => [r.arch_str!, Number(r.cifar10_test_acc)]));
const latency = new Map(readCsv(readFileSync('../shared/data/hw/hwnasbench_nb201.csv', 'utf8')).map((r) => [r.arch_str!, Number(r[column])]));
const budget = median([...latency.values()]);
const bestInSpace = Math.max(...[...latency].filter(([, l]) => l <= budget).map(([a]) => accuracy.get(a)!));
console.log(`REPLAY truth: ${column}, budget = its median ${budget.toFixed(2)} ms; best feasible cell of the space: ${bestInSpace.toFixed(2)}%`);

/** Every cached column of the 1000-cell sample of `seed`, joined by arch. */
function sample(seed: number): Record<string, string>[] {
  const byArch = new Map<string, Record<string, string>>();
  for (const f of readdirSync('runs/bench').filter((n) => n.startsWith(`proxies-1000-${seed}-b64x2-`) && n.endsWith('.csv'))) {
    for (const r of readCsv(readFileSync(join('runs/bench', f), 'utf8'))) byArch.set(r.arch!, { ...byArch.get(r.arch!), ...r });
  }
  return [...byArch.values()];
}

/** The entry's score of each row (rank aggregate for a combination; failures lowest), or null if a proxy is missing. */
function scores(rows: Record<string, string>[], entry: string): number[] | null {
  const parts = parseProxyList(entry);
  if (parts.some((p) => rows.some((r) => r[p] === undefined))) return null;
  const columns = parts.map((p) => rows.map((r) => (r[p] === 'NA' ? Number.NaN : Number(r[p]))));
  const xs = columns.length === 1 ? columns[0]! : aggregateRanks(columns, aggregationFor(entry));
  return xs.map((v) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v));
}

const argmax = (xs: readonly number[], idx: readonly number[]): number => idx.reduce((b, i) => (xs[i]! > xs[b]! ? i : b), idx[0]!);

const header = ['proxy', ...seeds.map((s) => `seed ${s}: top / mean of ${subset} / best / rho`), 'mean gap to the space'];
const lines: string[][] = [header];
for (const entry of entries) {
  const cells: string[] = [entry];
  const means: number[] = [];
  for (const seed of seeds) {
    const feasible = sample(seed).filter((r) => (latency.get(r.arch!) ?? Infinity) <= budget);
    const xs = feasible.length ? scores(feasible, entry) : null;
    if (!xs) {
      cells.push('not in cache');
      continue;
    }
    const acc = feasible.map((r) => accuracy.get(r.arch!)!);
    const all = acc.map((_, i) => i);
    const top = acc[argmax(xs, all)]!;
    const rng = new SeededRng(seed);
    let sum = 0;
    const draws = 200;
    for (let d = 0; d < draws; d++) {
      // A partial Fisher-Yates shuffle: the first `subset` indices of a random permutation.
      const pool = [...all];
      const m = Math.min(subset, pool.length);
      for (let i = 0; i < m; i++) {
        const j = i + Math.floor(rng.next() * (pool.length - i));
        [pool[i], pool[j]] = [pool[j]!, pool[i]!];
      }
      pool.length = m;
      sum += acc[argmax(xs, pool)]!;
    }
    means.push(sum / draws);
    cells.push(`${top.toFixed(2)} / ${(sum / draws).toFixed(2)} / ${Math.max(...acc).toFixed(2)} / ${spearman(xs, acc).toFixed(3)}`);
  }
  cells.push(means.length ? (bestInSpace - means.reduce((a, b) => a + b, 0) / means.length).toFixed(2) : '-');
  lines.push(cells);
}
const widths = header.map((_, c) => Math.max(...lines.map((l) => (l[c] ?? '').length)));
for (const l of lines) console.log(l.map((v, c) => v.padEnd(widths[c]!)).join('  '));
console.log('top: the best-scored feasible cell of the sample; mean: over 200 random subsets; rho: Spearman within the feasible cells');

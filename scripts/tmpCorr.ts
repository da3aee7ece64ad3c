import { readFileSync } from 'node:fs';
import { readCsv } from '../host/util/csv.js';
import { aggregateRanks } from '../host/proxies/ensemble.js';
import { spearman } from '../host/stats/rank.js';
const seed = process.argv[2] ?? '0';
const az = readCsv(readFileSync(`runs/bench/proxies-1000-${seed}-b64x2-az_expressivity+az_progressivity+az_trainability+flops.csv`, 'utf8'));
const me = new Map(readCsv(readFileSync(`runs/bench/proxies-1000-${seed}-b64x2-meco+swap+params.csv`, 'utf8')).map((r) => [r.arch!, r]));
const truth = readCsv(readFileSync('../shared/data/nb201/nb201_accuracy.csv', 'utf8'));
const rows = az.filter((r) => me.has(r.arch!)).map((r) => ({ ...me.get(r.arch!)!, ...r }));
const n = (v: string | undefined) => (v === undefined || v === 'NA' ? NaN : Number(v));
for (const col of ['cifar10_test_acc', 'cifar100_test_acc', 'ImageNet16-120_test_acc']) {
  const t = new Map(truth.map((r) => [r.arch_str!, Number(r[col])]));
  const y = rows.map((r) => t.get(r.arch!)!);
  const combos: Record<string, [string[], 'log-rank' | 'rank-sum']> = {
    az_nas: [['az_expressivity', 'az_progressivity', 'az_trainability', 'flops'], 'log-rank'],
    'meco+az_nas': [['meco', 'az_expressivity', 'az_progressivity', 'az_trainability', 'flops'], 'log-rank'],
    'meco+az_nas rs': [['meco', 'az_expressivity', 'az_progressivity', 'az_trainability', 'flops'], 'rank-sum'],
    'meco+az_expr+az_prog+az_train': [['meco', 'az_expressivity', 'az_progressivity', 'az_trainability'], 'log-rank'],
    'meco+az_train+az_prog': [['meco', 'az_progressivity', 'az_trainability'], 'log-rank'],
    'meco+flops': [['meco', 'flops'], 'log-rank'],
    'meco+swap+az_nas': [['meco', 'swap', 'az_expressivity', 'az_progressivity', 'az_trainability', 'flops'], 'log-rank'],
    meco: [['meco'], 'rank-sum'],
  };
  const out: string[] = [];
  for (const [name, [cols, how]] of Object.entries(combos)) {
    const x = aggregateRanks(cols.map((c) => rows.map((r) => n(r[c]))), how);
    out.push(`${name}=${spearman(x, y).toFixed(3)}`);
  }
  console.log(col, rows.length, out.join('  '));
}

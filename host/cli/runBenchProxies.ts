/**
 * `zeronas bench proxies`: scores a seeded sample (cached in a CSV, so reruns only add what is missing), joins with
 * a ground-truth column and prints Kendall tau-b and Spearman rho with bootstrap 95% intervals and seconds per
 * architecture per proxy. Failed scores are excluded per proxy and counted; −∞ (a proxy's verdict on a degenerate cell,
 * AZ-NAS's scores) ranks below every finite score. An entry with `+` or an alias (`az_nas`) is a combination: the
 * rank aggregate of its proxies over the sample (ensemble.ts), no accuracy involved, so nothing is fitted.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ZeronasError } from '../../shared/errors.js';
import { bootstrapCorrelation, kendallTauB, spearman } from '../stats/rank.js';
import { csvField, readCsv } from '../util/csv.js';
import { aggregateRanks, aggregationFor, parseProxyList, PROXY_ALIASES } from '../proxies/ensemble.js';
import { runScore } from './runScore.js';
import type { BenchProxiesArgs } from './commands/benchProxies.js';
import { printJson, table } from './output.js';

/** Our proxy id -> NASLib's column name in its precomputed files. */
const NASLIB_COLUMNS: Record<string, string> = {
  synflow: 'synflow',
  naswot: 'nwot',
  jacob_cov: 'jacov',
  snip: 'snip',
  grad_norm: 'grad_norm',
  params: 'params',
  flops: 'flops',
  fisher: 'fisher',
  grasp: 'grasp',
  zen: 'zen',
};

export async function runBenchProxies(args: BenchProxiesArgs): Promise<unknown> {
  const entries = args.proxies.split(',').map((p) => p.trim()).filter(Boolean);
  const isCombination = (e: string): boolean => e.includes('+') || PROXY_ALIASES[e] !== undefined;
  const proxies = [...new Set(entries.flatMap((e) => parseProxyList(e)))];
  const cache = args.cache ?? `runs/bench/proxies-${args.sample}-${args.seed}-b${args.batchSize}x${args.batches}-${proxies.join('+')}.csv`;
  mkdirSync(dirname(cache), { recursive: true });
  // The truth is checked before anything is scored: a typo should not cost a 1000-cell run.
  let truthText: string;
  try {
    truthText = readFileSync(args.truth, 'utf8');
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot read --truth '${args.truth}': ${(err as Error).message}`, { path: args.truth }, err);
  }
  const truthRows = readCsv(truthText);
  if (!truthRows.length || !('arch_str' in truthRows[0]!)) {
    throw new ZeronasError('ZN_BAD_DATA', `--truth '${args.truth}' needs an arch_str column and at least one row (e.g. ../shared/data/nb201/nb201_accuracy.csv)`);
  }
  if (!(args.column in truthRows[0]!)) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--column '${args.column}' is not in '${args.truth}' (columns: ${Object.keys(truthRows[0]!).join(', ')})`);
  }
  if (!args.cache) reuseSiblingCaches(cache, proxies);
  await runScore({ ...args, proxies: proxies.join(','), json: false, quiet: args.quiet || args.json, out: cache, arch: undefined, archs: undefined } as never);
  const rows = readCsv(readFileSync(cache, 'utf8'));
  const truth = new Map(truthRows.map((r) => [r.arch_str!, Number(r[args.column])]));
  const result: Record<string, unknown> = {};
  const lines: (string | number)[][] = [['proxy', 'n', 'failed', 'kendall [95% CI]', 'spearman [95% CI]', 's/arch']];
  // A combination's value per row: its rank aggregate over the rows (a failed component ranks lowest).
  const combined = new Map<string, number[]>();
  for (const e of entries.filter(isCombination)) {
    const columns = parseProxyList(e).map((p) => rows.map((r) => (r[p] === 'NA' ? Number.NaN : Number(r[p]))));
    combined.set(e, aggregateRanks(columns, aggregationFor(e)));
  }
  for (const p of entries) {
    const xs: number[] = [];
    const ys: number[] = [];
    let failed = 0;
    let seconds = 0;
    const parts = parseProxyList(p);
    rows.forEach((r, i) => {
      const t = truth.get(r.arch!);
      for (const q of parts) seconds += Number(r[`${q}_seconds`]);
      const v = combined.get(p)?.[i] ?? (r[p] === 'NA' ? Number.NaN : Number(r[p]));
      if (t === undefined || Number.isNaN(v) || v === Number.POSITIVE_INFINITY) {
        failed++;
        return;
      }
      xs.push(v);
      ys.push(t);
    });
    // −∞ ranks last: rank correlations only need it below every finite value.
    const floor = Math.min(...xs.filter(Number.isFinite)) - 1;
    for (let i = 0; i < xs.length; i++) if (xs[i] === Number.NEGATIVE_INFINITY) xs[i] = floor;
    const k = bootstrapCorrelation(xs, ys, 'kendall', { resamples: args.resamples, seed: args.seed });
    const s = bootstrapCorrelation(xs, ys, 'spearman', { resamples: args.resamples, seed: args.seed });
    result[p] = {
      n: xs.length,
      failed,
      kendall: k.estimate,
      kendallCI: [k.low, k.high],
      spearman: s.estimate,
      spearmanCI: [s.low, s.high],
      secondsPerArch: seconds / Math.max(1, rows.length),
    };
    lines.push([p, xs.length, failed, `${k.estimate.toFixed(3)} [${k.low.toFixed(3)}, ${k.high.toFixed(3)}]`, `${s.estimate.toFixed(3)} [${s.low.toFixed(3)}, ${s.high.toFixed(3)}]`, (seconds / Math.max(1, rows.length)).toFixed(3)]);
  }
  // Time against ZiCo's on the same rows (the yardstick), when ZiCo is in the comparison. Rows taken from
  // a cache keep the seconds of the run that scored them: compare runs that scored every row themselves.
  const zico = result.zico as { secondsPerArch: number } | undefined;
  if (zico && zico.secondsPerArch > 0) {
    lines[0]!.push('vs zico');
    entries.forEach((p, i) => {
      const ratio = (result[p] as { secondsPerArch: number }).secondsPerArch / zico.secondsPerArch;
      (result[p] as Record<string, unknown>).secondsVsZico = ratio;
      lines[i + 1]!.push(`${ratio.toFixed(2)}x`);
    });
  }
  let agreement: Record<string, unknown> | undefined;
  if (args.naslib) {
    const naslib = new Map(readCsv(readFileSync(args.naslib, 'utf8')).map((r) => [r.arch_str!, r]));
    agreement = {};
    for (const p of proxies.filter((q) => NASLIB_COLUMNS[q])) {
      const xs: number[] = [];
      const ys: number[] = [];
      for (const r of rows) {
        const n = naslib.get(r.arch!);
        const v = Number(n?.[NASLIB_COLUMNS[p]!]);
        if (!n || r[p] === 'NA' || !Number.isFinite(v) || !Number.isFinite(Number(r[p]))) continue;
        xs.push(Number(r[p]));
        ys.push(v);
      }
      agreement[p] = { naslibColumn: NASLIB_COLUMNS[p], n: xs.length, spearman: spearman(xs, ys), kendall: kendallTauB(xs, ys) };
    }
  }
  const out = { n: rows.length, column: args.column, truth: args.truth, cache, proxies: result, ...(agreement ? { naslibAgreement: agreement } : {}) };
  if (args.json) printJson(out);
  else {
    process.stdout.write(`${rows.length} architectures (seed ${args.seed}) vs ${args.column}\n${table(lines)}\n`);
    if (agreement) {
      process.stdout.write(`\nagreement with NASLib's precomputed scores (rank correlation over common cells):\n`);
      process.stdout.write(`${table([['proxy', 'NASLib column', 'n', 'spearman', 'kendall'], ...Object.entries(agreement).map(([p, a]) => { const v = a as { naslibColumn: string; n: number; spearman: number; kendall: number }; return [p, v.naslibColumn, v.n, v.spearman.toFixed(3), v.kendall.toFixed(3)]; })])}\n`);
    }
  }
  return out;
}

/**
 * A new default cache starts from the scores other default caches of the same sample, seed and batch settings already
 * hold (`proxies-<sample>-<seed>-b<B>x<N>-<other proxies>.csv`): a cell is copied when every proxy asked for is
 * found for it, so adding a proxy to a comparison scores only that proxy.
 */
function reuseSiblingCaches(cache: string, proxies: readonly string[]): void {
  if (existsSync(cache)) return;
  const prefix = basename(cache).replace(/-[^-]*\.csv$/, '-');
  const found = new Map<string, Record<string, string>>();
  for (const file of readdirSync(dirname(cache)).filter((f) => f.startsWith(prefix) && f.endsWith('.csv'))) {
    for (const r of readCsv(readFileSync(join(dirname(cache), file), 'utf8'))) {
      const row = found.get(r.arch!) ?? { arch: r.arch!, errors: '{}' };
      for (const p of proxies) {
        if (!(p in r) || p in row) continue;
        row[p] = r[p]!;
        row[`${p}_seconds`] = r[`${p}_seconds`]!;
        const reason = r.errors ? (JSON.parse(r.errors) as Record<string, string>)[p] : undefined;
        if (reason !== undefined) row.errors = JSON.stringify({ ...(JSON.parse(row.errors!) as object), [p]: reason });
      }
      found.set(r.arch!, row);
    }
  }
  const header = ['arch', ...proxies, ...proxies.map((p) => `${p}_seconds`), 'errors'];
  const complete = [...found.values()].filter((r) => proxies.every((p) => p in r));
  if (complete.length === 0) return;
  const lines = complete.map((r) => header.map((h) => csvField(h === 'errors' && r.errors === '{}' ? '' : (r[h] ?? ''))).join(','));
  writeFileSync(cache, `${header.join(',')}\n${lines.join('\n')}\n`);
  process.stderr.write(`${complete.length} cells' scores reused from other caches in ${dirname(cache)}\n`);
}

/**
 * `zeronas score`: proxies for many architectures, written row by row (CSV) so an interrupted run loses nothing
 * and a rerun with the same --out skips what is done.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ZeronasError } from '../../shared/errors.js';
import { buildNb201Network } from '../spaces/nb201.js';
import { createProxyComputer, type ProxyComputer } from '../proxies/scoreArchitecture.js';
import type { ProxyResult } from '../proxies/zeroCostProxy.js';
import { csvField, readCsv } from '../util/csv.js';
import { selectArchs } from './archSelection.js';
import type { ScoreArgs } from './commands/score.js';
import { createProgress } from './progress.js';
import { printJson } from './output.js';

export interface ScoreRow {
  arch: string;
  scores: Record<string, number | null>;
  errors?: Record<string, string>;
  seconds: Record<string, number>;
}

export async function runScore(args: ScoreArgs): Promise<ScoreRow[]> {
  const archs = selectArchs(args);
  const proxies = args.proxies.split(',').map((p) => p.trim()).filter(Boolean);
  if (proxies.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', '--proxies is empty');
  const computers = new Map<string, ProxyComputer>();
  for (const p of proxies) {
    computers.set(p, await createProxyComputer(p, { dataPath: args.data, batchSize: args.batchSize, batches: args.batches, seed: args.seed }));
  }
  const header = ['arch', ...proxies, ...proxies.map((p) => `${p}_seconds`), 'errors'];
  const done = new Set<string>();
  if (args.out) {
    if (existsSync(args.out)) {
      const rows = readCsv(readFileSync(args.out, 'utf8'));
      const existingHeader = Object.keys(rows[0] ?? {});
      if (rows.length && existingHeader.join(',') !== header.join(',')) {
        throw new ZeronasError('ZN_BAD_ARGUMENT', `--out '${args.out}' has columns ${existingHeader.join(',')}, expected ${header.join(',')}; use another file`);
      }
      for (const r of rows) done.add(r.arch!);
      if (!rows.length) writeFileSync(args.out, `${header.join(',')}\n`);
    } else writeFileSync(args.out, `${header.join(',')}\n`);
  }
  const todo = archs.filter((a) => !done.has(a));
  const progress = createProgress(args);
  const results: ScoreRow[] = [];
  let i = 0;
  for (const arch of todo) {
    const graph = buildNb201Network(arch);
    const row: ScoreRow = { arch, scores: {}, seconds: {} };
    for (const [p, c] of computers) {
      const t0 = performance.now();
      let r: ProxyResult;
      try {
        r = await c.compute(graph);
      } catch (err) {
        r = { ok: false, reason: (err as Error).message };
      }
      row.seconds[p] = (performance.now() - t0) / 1000;
      row.scores[p] = r.ok ? r.value : null;
      if (!r.ok) (row.errors ??= {})[p] = r.reason;
    }
    results.push(row);
    if (args.out) {
      const cells = [arch, ...proxies.map((p) => row.scores[p] ?? 'NA'), ...proxies.map((p) => row.seconds[p]!.toFixed(4)), row.errors ? JSON.stringify(row.errors) : ''];
      appendFileSync(args.out, `${cells.map(csvField).join(',')}\n`);
    }
    progress.update(`scoring ${proxies.join(',')}`, ++i, todo.length);
  }
  progress.stop();
  if (args.json) printJson(results.map((r) => ({ arch: r.arch, scores: r.scores, ...(r.errors ? { errors: r.errors } : {}), seconds: r.seconds })));
  else if (!args.quiet && !args.out) {
    for (const r of results) process.stdout.write(`${r.arch}  ${proxies.map((p) => `${p}=${r.scores[p] ?? `failed (${r.errors?.[p]})`}`).join('  ')}\n`);
  } else if (!args.quiet) process.stderr.write(`${results.length} scored, ${done.size} already in ${args.out}\n`);
  return results;
}

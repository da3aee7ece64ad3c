/**
 * `zeronas score`: proxies for many architectures, written row by row (CSV) so an interrupted run loses nothing
 * and a rerun with the same --out skips what is done.
 */
import { checkPositiveIntegers } from '../../shared/node/cliParser.js';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isScoringInfrastructureError, ZeronasError } from '../../shared/errors.js';
import { scoreThrough } from '../queue/scoreThrough.js';
import { openQueueFromArgs, reportQueueProgress } from './queueOptions.js';
import type { Graph } from '../ir/graph.js';
import { openSpace } from '../spaces/index.js';
import { createProxyComputer, type ProxyComputer } from '../proxies/scoreArchitecture.js';
import { parseProxyList } from '../proxies/ensemble.js';
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
  // Checked up front and whatever the proxies: a data-free proxy list must not make a bad flag pass silently.
  // (bench proxies calls this without --workers: an option not given is not checked)
  checkPositiveIntegers([['--workers', args.workers], ['--batch-size', args.batchSize], ['--batches', args.batches]]);
  if (args.data !== undefined && !existsSync(args.data)) throw new ZeronasError('ZN_IO', `--data '${args.data}' does not exist`, { path: args.data });
  // The space's scoring graph (IDW: without residual links, at --score-resolution), as `search` scores it.
  const entry = openSpace(args.space, args.scoreResolution !== undefined ? { scoreResolution: args.scoreResolution } : {});
  const archs = selectArchs(args, entry.space);
  const requested = args.proxies
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (requested.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', '--proxies is empty');
  // A combination (p+q, or an alias such as az_nas) ranks over a set of architectures, so per architecture `score`
  // writes its members; `bench proxies` and `search` rank them.
  const proxies = [...new Set(requested.flatMap((e) => parseProxyList(e)))];
  const combinations = requested.filter((e) => parseProxyList(e).length > 1);
  if (combinations.length && !args.quiet && !args.json) {
    process.stderr.write(`${combinations.join(', ')}: a rank over a set of architectures; writing the members (${proxies.join(', ')}); rank them with zeronas bench proxies or search\n`);
  }
  // IDW scores a smaller graph than the device runs (no residual links, 32x32): its params/flops differ from search's.
  if (proxies.some((p) => p === 'params' || p === 'flops') && !args.quiet && !args.json) {
    process.stderr.write(`space ${entry.description}: params and flops are of the graph the proxies score\n`);
  }
  const computers = new Map<string, ProxyComputer>();
  for (const p of proxies) {
    computers.set(
      p,
      await createProxyComputer(p, {
        dataPath: args.data,
        batchSize: args.batchSize,
        batches: args.batches,
        seed: args.seed,
      }),
    );
  }
  const header = ['arch', ...proxies, ...proxies.map((p) => `${p}_seconds`), 'errors'];
  const done = new Set<string>();
  if (args.out) {
    if (existsSync(args.out)) {
      const rows = readCsv(readFileSync(args.out, 'utf8'));
      const existingHeader = Object.keys(rows[0] ?? {});
      if (rows.length && existingHeader.join(',') !== header.join(',')) {
        throw new ZeronasError(
          'ZN_BAD_ARGUMENT',
          `--out '${args.out}' has columns ${existingHeader.join(',')}, expected ${header.join(',')}; use another file`,
        );
      }
      for (const r of rows) done.add(r.arch!);
      mergeLeftoverParts(args.out, header, done);
      if (!rows.length) writeFileSync(args.out, `${header.join(',')}\n`);
    } else writeFileSync(args.out, `${header.join(',')}\n`);
  }
  const todo = archs.filter((a) => !done.has(a));
  const progress = createProgress(args);
  if (args.workers > 1) {
    if (args.queue)
      throw new ZeronasError(
        'ZN_BAD_ARGUMENT',
        '--workers and --queue are two ways to spread scoring; give one (with --queue, start workers where the cores are: zeronas worker --queue <URL>)',
      );
    return scoreInWorkers(args, todo, header, progress);
  }
  const queue = await openQueueFromArgs(args, args.data, (l) => progress.log(l));
  const stopQueueProgress = queue ? reportQueueProgress(queue, (l) => progress.log(l)) : () => {};
  // Ctrl-C with a queue: jobs already sent stay there and workers finish them; a rerun collects their answers.
  const onSigint = (): void => {
    progress.stop();
    process.stderr.write(
      args.out
        ? `\ninterrupted: the rows scored so far are in ${args.out}; the jobs sent stay on the queue and workers keep scoring them: rerun the same command to collect them\n`
        : '\ninterrupted: without --out nothing is kept here; the jobs sent stay on the queue (a rerun gets their answers from it)\n',
    );
    process.exit(130);
  };
  if (queue) process.once('SIGINT', onSigint);
  const results: ScoreRow[] = [];
  let i = 0;
  const settings = { batchSize: args.batchSize, batches: args.batches, seed: args.seed };
  const scoreRow = async (arch: string): Promise<void> => {
    const row: ScoreRow = { arch, scores: {}, seconds: {} };
    let graph: Graph | undefined;
    const scoreProxy = async ([p, c]: [string, ProxyComputer]): Promise<void> => {
      const t0 = performance.now();
      let r: ProxyResult & { seconds?: number };
      try {
        r = await scoreThrough(
          queue,
          c,
          { space: args.space, scoreResolution: args.scoreResolution, arch, proxy: p, settings },
          () => (graph ??= entry.scoringGraph(entry.space.parse(arch))),
        );
      } catch (err) {
        if (isScoringInfrastructureError(err)) throw err;
        r = { ok: false, reason: (err as Error).message };
      }
      // Through the queue: the worker's computing time, as local scoring measures it (not the time in the queue).
      row.seconds[p] = r.seconds ?? (performance.now() - t0) / 1000;
      row.scores[p] = r.ok ? r.value : null;
      if (!r.ok) (row.errors ??= {})[p] = r.reason;
    };
    // Locally one proxy at a time, so each one's seconds are its own (side by side they shared the cores, and every
    // proxy of a row showed about the row's time); through a queue all at once, timed by the workers.
    if (queue) await Promise.all([...computers].map(scoreProxy));
    else for (const entry of computers) await scoreProxy(entry);
    results.push(row);
    if (args.out) {
      const cells = [
        arch,
        ...proxies.map((p) => row.scores[p] ?? 'NA'),
        ...proxies.map((p) => row.seconds[p]!.toFixed(4)),
        row.errors ? JSON.stringify(row.errors) : '',
      ];
      appendFileSync(args.out, `${cells.map(csvField).join(',')}\n`);
    }
    progress.update(`scoring ${proxies.join(',')}${queue ? ' (queue)' : ''}`, ++i, todo.length);
  };
  try {
    if (queue)
      await Promise.all(todo.map(scoreRow)); // every job on the queue at once; rows land as they finish
    else for (const arch of todo) await scoreRow(arch);
  } finally {
    process.off('SIGINT', onSigint);
    stopQueueProgress();
    await queue?.close();
  }
  progress.stop();
  if (args.json) printRowsJson(results);
  else if (!args.quiet && !args.out) {
    for (const r of results)
      process.stdout.write(
        `${r.arch}  ${proxies.map((p) => `${p}=${r.scores[p] ?? `failed (${r.errors?.[p]})`}`).join('  ')}\n`,
      );
  } else if (!args.quiet) process.stderr.write(`${results.length} scored, ${done.size} already in ${args.out}\n`);
  return results;
}

/**
 * --workers k: k child processes of `zeronas score`, each scoring a slice into its own part file with
 * cores/k onnxruntime threads; rows are merged into --out when they finish. A part file left by an interrupted run
 * is merged first on the next run, so nothing computed is lost.
 */
async function scoreInWorkers(
  args: ScoreArgs,
  todo: string[],
  header: string[],
  progress: ReturnType<typeof createProgress>,
): Promise<ScoreRow[]> {
  if (!args.out) throw new ZeronasError('ZN_BAD_ARGUMENT', '--workers needs --out (workers write their rows to files)');
  if (!Number.isInteger(args.workers) || args.workers < 1)
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--workers must be a positive integer, got ${args.workers}`);
  const { spawn } = await import('node:child_process');
  const { availableParallelism } = await import('node:os');
  const { fileURLToPath } = await import('node:url');
  const bin = fileURLToPath(new URL('../../bin/zeronas.js', import.meta.url));
  const k = Math.min(args.workers, Math.max(1, todo.length));
  const threads = Math.max(1, Math.floor(availableParallelism() / k));
  const parts = Array.from({ length: k }, (_, i) => ({
    archs: `${args.out}.worker${i}.txt`,
    out: `${args.out}.worker${i}.csv`,
  }));
  parts.forEach((p, i) => writeFileSync(p.archs, `${todo.filter((_, j) => j % k === i).join('\n')}\n`));
  const counted = (): number =>
    parts.reduce((n, p) => n + (existsSync(p.out) ? readCsv(readFileSync(p.out, 'utf8')).length : 0), 0);
  const exits = parts.map(
    (p) =>
      new Promise<number>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            bin,
            'score',
            '--space',
            args.space,
            ...(args.scoreResolution !== undefined ? ['--score-resolution', String(args.scoreResolution)] : []),
            '--archs',
            p.archs,
            '--out',
            p.out,
            '--proxies',
            args.proxies,
            '--seed',
            String(args.seed),
            '--batch-size',
            String(args.batchSize),
            '--batches',
            String(args.batches),
            '--quiet',
            ...(args.data ? ['--data', args.data] : []),
          ],
          {
            env: { ...process.env, ZERONAS_THREADS: String(threads) },
            stdio: ['ignore', 'ignore', 'inherit'],
          },
        );
        child.on('exit', (code) => resolve(code ?? 1));
      }),
  );
  const timer = setInterval(
    () => progress.update(`scoring ${args.proxies} (${k} workers)`, counted(), todo.length),
    1000,
  );
  const codes = await Promise.all(exits);
  clearInterval(timer);
  progress.stop();
  const rows: ScoreRow[] = [];
  for (const p of parts) {
    if (!existsSync(p.out)) continue;
    for (const r of readCsv(readFileSync(p.out, 'utf8'))) {
      appendFileSync(args.out, `${header.map((h) => csvField(r[h] ?? '')).join(',')}\n`);
      const proxies = args.proxies.split(',');
      rows.push({
        arch: r.arch!,
        scores: Object.fromEntries(proxies.map((q) => [q, r[q] === 'NA' ? null : Number(r[q])])),
        seconds: Object.fromEntries(proxies.map((q) => [q, Number(r[`${q}_seconds`])])),
        ...(r.errors ? { errors: JSON.parse(r.errors) as Record<string, string> } : {}),
      });
    }
  }
  for (const p of parts) rmSync(p.archs, { force: true });
  if (codes.some((c) => c !== 0)) {
    throw new ZeronasError(
      'ZN_INTERNAL',
      `a score worker failed (exit codes ${codes.join(', ')}); rows it wrote are kept in ${args.out}.worker*.csv and merged on the next run`,
    );
  }
  for (const p of parts) rmSync(p.out, { force: true });
  if (args.json) printRowsJson(rows);
  else if (!args.quiet) process.stderr.write(`${rows.length} scored by ${k} workers into ${args.out}\n`);
  return rows;
}

/** Rows an interrupted --workers run left in part files go into --out before anything is scored again. */
function mergeLeftoverParts(out: string, header: string[], done: Set<string>): void {
  for (let i = 0; existsSync(`${out}.worker${i}.csv`); i++) {
    const part = `${out}.worker${i}.csv`;
    for (const r of readCsv(readFileSync(part, 'utf8'))) {
      if (done.has(r.arch!)) continue;
      appendFileSync(out, `${header.map((h) => csvField(r[h] ?? '')).join(',')}\n`);
      done.add(r.arch!);
    }
    rmSync(part, { force: true });
  }
}

/** `--json`: one object per architecture (errors only where a proxy failed). */
function printRowsJson(rows: readonly ScoreRow[]): void {
  printJson(rows.map((r) => ({ arch: r.arch, scores: r.scores, ...(r.errors ? { errors: r.errors } : {}), seconds: r.seconds })));
}

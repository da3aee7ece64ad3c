/**
 * Turns `orchestrate` options into a run: resolves the config (fresh, or read back from a run folder on
 * --resume), prepares the proxy scorer, reports progress, writes the log beside the run and prints the outcome.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ZeronasError } from '../../shared/errors.js';
import { printable } from '../../shared/printable.js';
import { checkBudgetTargets, formatCost, parseAnyBudget, toSearchBudgets } from '../budgets/budget.js';
import { aggregationFor, parseProxyList, rankScoreMeaning, type RankAggregation } from '../proxies/ensemble.js';
import type { SearchAlgo } from '../search/index.js';
import { defaultProxyOf, openSpace } from '../spaces/index.js';
import { orchestrate, type OrchestrateConfig } from '../workflows/orchestrate.js';
import type { RunSummary } from '../run/summary.js';
import type { PairingAnnouncement } from '../orchestrator/browserRoutes.js';
import { renderQr } from '../orchestrator/pairingQr.js';
import { newRunId, readJson, runPaths } from '../run/runFolder.js';
import { loadOrCreateToken } from '../orchestrator/token.js';
import { chooseTls } from '../orchestrator/hostCertificate.js';
import { cachedProxyScorer } from '../orchestrator/proxyScoring.js';
import { createProxyComputer } from '../proxies/scoreArchitecture.js';
import { scoreThrough } from '../queue/scoreThrough.js';
import { openQueueFromArgs, QUEUE_WINDOW, reportQueueProgress } from './queueOptions.js';
import { validateOrchestrateArgs, type OrchestrateArgs } from './commands/orchestrate.js';
import { createProgress } from './progress.js';
import { DEFAULT_WAIT_AGENTS_S, parseTargets } from './hostOptions.js';
import { resumedConfig } from './resumeOptions.js';
import { shellWord } from '../util/shellWord.js';
import { colour, table } from './output.js';

const DEFAULT_LISTEN = '0.0.0.0';
const DEFAULT_PORT = 8765;

export async function runOrchestrate(args: OrchestrateArgs): Promise<unknown> {
  validateOrchestrateArgs(args);
  let config: OrchestrateConfig;
  if (args.resume) {
    const dir = resolve(args.resume);
    const finished = runPaths(dir).summary;
    if (existsSync(finished)) {
      // Nothing to resume: running it again would only rewrite the summary (and its wall time).
      const summary = readJson<RunSummary>(finished);
      if (!args.json) process.stderr.write(`run ${summary.runId} already finished; nothing to resume. Summary: ${finished}; report: npx zeronas report ${args.resume}\n`);
      return { ...(summary as object), summaryPath: finished, reportPath: join(dir, 'report.html'), alreadyFinished: true };
    }
    config = resumedConfig(args, readJson<OrchestrateConfig>(runPaths(dir).config), dir, process.argv.slice(2));
  } else {
    const runId = newRunId();
    const targets = parseTargets(args.targets!);
    const budgets = args.budget.map(parseAnyBudget);
    checkBudgetTargets(budgets, targets);
    toSearchBudgets(budgets); // refuses two budgets on one quantity before anything starts
    const spaceOptions = {
      ...(args.resolution !== undefined ? { resolution: args.resolution } : {}),
      ...(args.scoreResolution !== undefined ? { scoreResolution: args.scoreResolution } : {}),
    };
    openSpace(args.space, spaceOptions); // validates the space and its options
    if (args.algo === 'flash' && args.space !== 'flash') throw new ZeronasError('ZN_BAD_ARGUMENT', `--algo flash needs --space flash (FLASH's co-optimisation works on its own space), got --space ${args.space}`);
    const proxy = args.proxy ?? defaultProxyOf(args.space);
    parseProxyList(proxy);
    const luts: Record<string, string> = {};
    for (const spec of args.lut) {
      const i = spec.indexOf('=');
      const [target, file] = [spec.slice(0, i), spec.slice(i + 1)];
      if (i <= 0 || !file) throw new ZeronasError('ZN_BAD_ARGUMENT', `--lut '${spec}' is malformed; expected <target>=<lut.json> or <target>=none`);
      if (!targets.includes(target)) throw new ZeronasError('ZN_BAD_ARGUMENT', `--lut '${spec}' names target '${target}', which is not in --targets (${targets.join(', ')})`);
      luts[target] = file === 'none' ? 'none' : resolve(file);
      // Checked before the run folder exists: a run saved with a missing table could never be resumed.
      if (file !== 'none' && !existsSync(luts[target]!)) throw new ZeronasError('ZN_IO', `--lut ${target}=${file}: the file does not exist`, { path: luts[target] });
    }
    if (args.prior) {
      // Refuse a missing or malformed prior now, not after the agents were waited for.
      const { loadFleetPrior } = await import('../cost/prior/priorFile.js');
      await loadFleetPrior(args.prior);
    }
    const tls = await chooseTls({
      listen: args.listen ?? DEFAULT_LISTEN,
      ...(args.tlsCert ? { tlsCert: resolve(args.tlsCert) } : {}),
      ...(args.tlsKey ? { tlsKey: resolve(args.tlsKey) } : {}),
      ...(args.plainWs ? { plainWs: true } : {}),
      ...(args.tls ? { forceTls: true } : {}),
    });
    config = {
      runId,
      runDir: resolve(args.out ?? `runs/${runId}`),
      targets,
      space: args.space,
      spaceOptions,
      algo: args.algo as SearchAlgo,
      proxy,
      aggregate: aggregationFor(proxy, args.aggregate),
      budgets,
      measure: args.measure,
      maxScored: args.maxScored,
      rounds: args.rounds,
      verifyRounds: args.verifyRounds,
      ...(args.iterations !== undefined ? { iterations: args.iterations } : {}),
      ...(args.population !== undefined ? { population: args.population } : {}),
      luts,
      ...(args.prior ? { costPrior: args.prior === 'hwnasbench' ? 'hwnasbench' : resolve(args.prior) } : {}),
      seed: args.seed,
      ...(args.data ? { data: resolve(args.data) } : {}),
      batchSize: args.batchSize,
      batches: args.batches,
      host: args.listen ?? DEFAULT_LISTEN,
      port: args.port ?? DEFAULT_PORT,
      ...(tls ? { tls } : {}),
      waitAgentsMs: (args.waitAgents ?? DEFAULT_WAIT_AGENTS_S) * 1000,
      measurement: {
        ...(args.minRuns !== undefined ? { minRuns: args.minRuns } : {}),
        ...(args.minTimeMs !== undefined ? { minTotalMs: args.minTimeMs } : {}),
      },
      ...(args.truth ? { truth: { path: resolve(args.truth), column: args.truthColumn } } : {}),
      ...(args.queue ? { queue: { url: args.queue, ...(args.queueName ? { name: args.queueName } : {}) } } : {}),
    };
  }
  const { token } = loadOrCreateToken();
  const progress = createProgress(args);
  const logPath = runPaths(config.runDir).log;
  // Lines carry peer-supplied text (agent names, their errors): printable() keeps them on one line and inert. The
  // file is private (0600): it names agents and their addresses.
  const toFile = (line: string): void => {
    try {
      // The token never reaches the file, whoever logged it (attach hints carry it to the terminal).
      appendFileSync(logPath, `${new Date().toISOString()} ${printable(line.split(token).join('<token>'))}\n`, { mode: 0o600 });
    } catch {
      // The run folder is created by orchestrate(); lines before that only go to the terminal.
    }
  };
  const log = (line: string): void => {
    toFile(line);
    progress.log(printable(line));
  };
  const computers = new Map<string, Awaited<ReturnType<typeof createProxyComputer>>>();
  for (const proxy of parseProxyList(config.proxy)) {
    computers.set(proxy, await createProxyComputer(proxy, { dataPath: config.data, batchSize: config.batchSize, batches: config.batches, seed: config.seed }));
  }
  log(`run ${config.runId} -> ${config.runDir}`);
  // A resumed run scores where it did (the queue is in its config), unless given another --queue.
  const queueArgs = args.queue ? args : config.queue ? { queue: config.queue.url, queueName: config.queue.name, queuePasswordFile: args.queuePasswordFile } : args;
  const queue = await openQueueFromArgs(queueArgs, config.data, log);
  const stopQueueProgress = queue ? reportQueueProgress(queue, log) : () => {};
  // Ctrl-C: every score and measurement is already in the run's store (one transaction each), so stopping at once
  // loses nothing; say how to continue.
  const onSigint = (): void => {
    progress.stop();
    const line = `interrupted: nothing scored or measured is lost; continue with: npx zeronas orchestrate --resume ${config.runDir}`;
    toFile(line);
    process.stderr.write(`\n${line}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  const { summary, summaryPath, reportPath } = await orchestrate(config, {
    token,
    log,
    debug: toFile,
    progress: (phase, done, total) => progress.update(phase, done, total),
    // Pairing lines are needed to attach a browser at all, so --quiet does not hide them (it hides the QR code).
    // The code itself goes to the terminal only: the log file records that one was issued.
    announcePairing: (a) => {
      toFile(`pairing code issued (single use; shown on the terminal only) for ${a.urls.map((u) => u.target).join(', ')}`);
      announcePairing(a, args.quiet ? (l) => process.stderr.write(`${l}\n`) : (l) => progress.log(l), !args.json && !args.quiet);
    },
    // The URL with the token goes to the terminal only, never to the run's log file.
    announceDashboard: (url) => {
      toFile(`dashboard: ${url} (open it once with ?token=<zeronas token>)`);
      if (!args.quiet) progress.log(`dashboard: ${url}?token=${encodeURIComponent(token)}`);
    },
    scorerFor: (store, proxy) => {
      const c = computers.get(proxy)!;
      const request = { space: config.space, scoreResolution: config.spaceOptions?.scoreResolution, proxy, settings: { batchSize: config.batchSize, batches: config.batches, seed: config.seed } };
      return cachedProxyScorer(store, config.space, proxy, c.settingsKey, (graph, arch) => scoreThrough(queue, c, { ...request, arch }, () => graph));
    },
    ...(queue ? { scoreParallel: QUEUE_WINDOW, scoringQueue: { url: queue.url, stats: () => queue.stats() } } : {}),
  }).finally(async () => {
    stopQueueProgress();
    await queue?.close();
  });
  process.off('SIGINT', onSigint);
  progress.stop();
  if (!args.json && !args.quiet) printSummary(summary, summaryPath, reportPath, config.aggregate);
  return { ...(summary as object), summaryPath, reportPath };
}

/** Prints a browser pairing code: one URL per browser target (code included) and, for people, a QR code of it. */
function announcePairing(a: PairingAnnouncement, log: (line: string) => void, isForPeople: boolean): void {
  const minutes = Math.round((a.code.expiresAtMs - Date.now()) / 60_000);
  log(`pairing code ${a.code.code} (single use, valid ${minutes} min); open on the device:`);
  for (const u of a.urls) log(`  ${u.target}: ${u.url}`);
  if (!isForPeople || a.urls.length === 0) return;
  process.stderr.write(`${renderQr(a.urls[0]!.url)}\n`);
}

function printSummary(summary: RunSummary, path: string, reportPath: string | null, aggregate: RankAggregation | undefined): void {
  const rows: (string | number)[][] = [['target', 'measured', 'cost model (last error)', 'best arch', 'score', 'measured', 'verified median', 'predicted']];
  for (const t of summary.targets) {
    const metric = t.metric === 'energyJ' ? 'energy' : 'latency';
    const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : formatCost(metric, v));
    rows.push([
      `${t.target}${t.isReplay ? ' (REPLAY)' : ''}`,
      t.measured,
      `${t.costModel.name.split(' (')[0]!}${t.costModel.mapePercent === null ? '' : ` (MAPE ${t.costModel.mapePercent.toFixed(1)}%)`}`,
      t.best?.arch ?? (t.budget ? `(none met ${t.budget.text})` : '(none measured)'),
      t.best ? scoreText(t.best.proxyScore) : '-',
      fmt(t.bestMeasuredValue),
      fmt(t.best?.verifiedMedian),
      fmt(t.best?.predicted),
    ]);
  }
  let out = `${table(rows)}\n`;
  const proxies = parseProxyList(summary.proxy);
  if (proxies.length > 1) {
    out += `score: ${rankScoreMeaning(aggregate ?? 'rank-sum', proxies, `the ${summary.candidatesScored} architectures scored`)}\n`;
  }
  // Where the answer sits in the proxy's ranking: candidates above it that were never measured are what more
  // measurements (--measure) could still turn into a better answer.
  for (const t of summary.targets) {
    if (!t.best) continue;
    const above = t.points.filter((p) => p.score > t.best!.proxyScore);
    const unmeasured = above.filter((p) => p.measuredMs === null && (p.measuredJ ?? null) === null).length;
    if (unmeasured > 0) {
      out += `${t.target}: the answer ranks ${above.length + 1} of ${t.points.length} by the proxy; ${unmeasured} higher-ranked candidate(s) were not measured (a larger --measure may find a better one)\n`;
    }
  }
  if (summary.targets.length > 1) {
    const c = summary.commonFeasible[0];
    out += c ? `${colour.bold('one network for every target')}: ${c.arch} (score ${scoreText(c.score)})\n` : 'no measured architecture met every target\'s budget\n';
  }
  if (summary.isReplay) out += `${colour.bold('REPLAY')}: some targets replay a published table; their figures are not measurements of this run\n`;
  if (summary.isEmulated) out += `${colour.bold('EMULATED')}: ${summary.targets.filter((t) => t.isEmulated).map((t) => t.target).join(', ')} ran under CPU emulation (qemu-user); their timings are the emulator's, not the device's\n`;
  for (const t of summary.targets.filter((x) => x.isForcedDevice)) out += `${colour.bold('FORCED DEVICE')}: ${t.target} was measured by an agent started with --force-device on hardware its device profile does not describe (${t.forcedDevice ?? 'not named'}); its timings are that hardware's\n`;
  out += `\nloop: ${summary.rounds} round(s), ${summary.candidatesScored} architectures scored; stopped: ${summary.stopReason}\n`;
  process.stdout.write(`${out}\n${colour.bold('summary')}: ${path}  (wall time ${summary.wallTimeS.toFixed(1)} s)\n`);
  if (reportPath) process.stdout.write(`${colour.bold('report')}:  ${reportPath}\n`);
  process.stdout.write(`\n${nextCommands(summary, dirname(path)).join('\n')}\n`);
}

/** What to do with a finished run: commands that work pasted into a shell in this folder (comments after `#`). */
function nextCommands(summary: RunSummary, runDir: string): string[] {
  const dir = shellWord(runDir);
  const lines = [
    'next (each line works pasted as is):',
    `  npx zeronas report ${dir}    # redraw report.html; --truth <csv> --column <col> adds proxy score vs ground truth`,
    `  npx zeronas results ${dir}    # the measurements as CSV in HW-NAS-Bench's columns (--out table.csv, --json)`,
    `  npx zeronas fleet ${dir}    # the agents that measured them`,
  ];
  // info reads NAS-Bench-201 cells with its defaults; the other spaces' answers are in the report.
  if (summary.space === 'nb201') {
    for (const t of summary.targets) if (t.best) lines.push(`  npx zeronas info --space nb201 --arch ${shellWord(t.best.arch)}    # ${t.target}'s answer: params, MACs, layers`);
  }
  return lines;
}

/** Six significant digits, no trailing zeros and no exponent: a params score reads 400346, a rank sum -3.4567. */
function scoreText(score: number): string {
  return Number(score.toPrecision(6)).toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 6 });
}

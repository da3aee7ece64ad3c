/**
 * Turns `orchestrate` options into a run: resolves the config (fresh, or read back from a run folder on
 * --resume), prepares the proxy scorer, reports progress, writes the log beside the run and prints the outcome.
 */
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ZeronasError } from '../../shared/errors.js';
import { parseBudget } from '../orchestrator/budget.js';
import { orchestrate, type OrchestrateConfig, type TargetSummary } from '../orchestrator/orchestrate.js';
import type { PairingAnnouncement } from '../orchestrator/browserRoutes.js';
import { renderQr } from '../orchestrator/pairingQr.js';
import { newRunId, readJson, runPaths } from '../orchestrator/runFolder.js';
import { loadOrCreateToken } from '../orchestrator/token.js';
import { cachedProxyScorer } from '../orchestrator/proxyScoring.js';
import { createProxyComputer } from '../proxies/scoreArchitecture.js';
import { validateOrchestrateArgs, type OrchestrateArgs } from './commands/orchestrate.js';
import { createProgress } from './progress.js';
import { colour, table } from './output.js';

export async function runOrchestrate(args: OrchestrateArgs): Promise<unknown> {
  validateOrchestrateArgs(args);
  let config: OrchestrateConfig;
  if (args.resume) {
    const dir = resolve(args.resume);
    config = { ...readJson<OrchestrateConfig>(runPaths(dir).config), runDir: dir, port: args.port, host: args.listen };
  } else {
    const runId = newRunId();
    const targets = args.targets!.split(',').map((t) => t.trim()).filter(Boolean);
    if (new Set(targets).size !== targets.length) throw new ZeronasError('ZN_BAD_ARGUMENT', `--targets lists a target twice: '${args.targets}'`);
    const budgets = args.budget.map(parseBudget);
    for (const b of budgets) {
      if (!targets.includes(b.target)) {
        throw new ZeronasError('ZN_BAD_ARGUMENT', `budget '${b.text}' names target '${b.target}', which is not in --targets (${targets.join(', ')})`);
      }
    }
    if ((args.tlsCert === undefined) !== (args.tlsKey === undefined)) throw new ZeronasError('ZN_BAD_ARGUMENT', '--tls-cert and --tls-key go together');
    config = {
      runId,
      runDir: resolve(args.out ?? `runs/${runId}`),
      targets,
      space: 'nb201',
      proxy: args.proxy,
      budgets,
      measure: args.measure,
      candidates: args.candidates,
      rounds: args.rounds,
      seed: args.seed,
      ...(args.data ? { data: resolve(args.data) } : {}),
      batchSize: args.batchSize,
      batches: args.batches,
      host: args.listen,
      port: args.port,
      ...(args.tlsCert ? { tls: { certPath: resolve(args.tlsCert), keyPath: resolve(args.tlsKey!) } } : {}),
      waitAgentsMs: args.waitAgents * 1000,
      measurement: {
        ...(args.minRuns !== undefined ? { minRuns: args.minRuns } : {}),
        ...(args.minTimeMs !== undefined ? { minTotalMs: args.minTimeMs } : {}),
      },
      ...(args.truth ? { truth: { path: resolve(args.truth), column: args.truthColumn } } : {}),
    };
  }
  const { token } = loadOrCreateToken();
  const progress = createProgress(args);
  const logPath = runPaths(config.runDir).log;
  const toFile = (line: string): void => {
    try {
      appendFileSync(logPath, `${new Date().toISOString()} ${line}\n`);
    } catch {
      // The run folder is created by orchestrate(); lines before that only go to the terminal.
    }
  };
  const log = (line: string): void => {
    toFile(line);
    progress.log(line);
  };
  const computer = await createProxyComputer(config.proxy, {
    dataPath: config.data,
    batchSize: config.batchSize,
    batches: config.batches,
    seed: config.seed,
  });
  log(`run ${config.runId} -> ${config.runDir}`);
  const { summary, summaryPath, reportPath } = await orchestrate(config, {
    token,
    log,
    debug: toFile,
    progress: (phase, done, total) => progress.update(phase, done, total),
    // Pairing lines are needed to attach a browser at all, so --quiet does not hide them (it hides the QR code).
    announcePairing: (a) => announcePairing(a, args.quiet ? (l) => (toFile(l), process.stderr.write(`${l}\n`)) : log, !args.json && !args.quiet),
    // The URL with the token goes to the terminal only, never to the run's log file.
    announceDashboard: (url) => {
      toFile(`dashboard: ${url} (open it once with ?token=<zeronas token>)`);
      if (!args.quiet) progress.log(`dashboard: ${url}?token=${encodeURIComponent(token)}`);
    },
    scorerFor: (store) => cachedProxyScorer(store, config.space, config.proxy, computer.settingsKey, computer.compute),
  });
  progress.stop();
  if (!args.json && !args.quiet) printSummary(summary as { targets: TargetSummary[]; wallTimeS: number }, summaryPath, reportPath);
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

function printSummary(summary: { targets: TargetSummary[]; wallTimeS: number; candidatesScored?: number }, path: string, reportPath: string | null): void {
  const rows: (string | number)[][] = [['target', 'measured', 'cost model', 'MAPE', 'best arch', 'score', 'latency']];
  for (const t of summary.targets) {
    rows.push([
      t.target,
      t.measured,
      t.costModel.name.split(' (')[0]!,
      t.costModel.mapePercent === null ? '-' : `${t.costModel.mapePercent.toFixed(1)}%`,
      t.best?.arch ?? '(none met the budget)',
      t.best ? t.best.proxyScore.toFixed(2) : '-',
      t.best ? `${t.best.measuredLatencyMs.toFixed(3)} ms` : '-',
    ]);
  }
  process.stdout.write(`${table(rows)}\n\n${colour.bold('summary')}: ${path}  (wall time ${summary.wallTimeS.toFixed(1)} s)\n`);
  if (reportPath) process.stdout.write(`${colour.bold('report')}:  ${reportPath}\n`);
}

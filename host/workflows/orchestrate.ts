/**
 * `orchestrate`: the whole loop of zeronas on a fleet. This file is the host session around the closed loop
 * (host/workflows/closedLoop.ts): it opens the run store, the server, the dashboard, the local agent and the
 * pairing desk, waits for every target's agents, checks that energy budgets have meters and which lookup tables
 * are fresh, then runs the loop with a proxy scorer cached in the store and a measurement function backed by the
 * durable scheduler, and writes summary.json (host/run/summary.ts), each target's best ONNX and report.html.
 * Everything durable lives in the run folder's store, so `--resume` redoes no finished score or measurement.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ZeronasError } from '../../shared/errors.js';
import { initWeights } from '../ir/init.js';
import { exportInference } from '../onnx/exportInference.js';
import { isTargetBudget, toSearchBudgets, type AnyBudget, type Budget } from '../budgets/budget.js';
import { agentRuntimeIdentity, checkLutFreshness, loadLookupTable, type LookupTable } from '../cost/lookupTable.js';
import type { TargetModelSnapshot } from '../cost/targetCostModel.js';
import { parseProxyList, type RankAggregation } from '../proxies/ensemble.js';
import type { SearchAlgo } from '../search/index.js';
import { deviceInputs, openSpace, type SpaceEntry } from '../spaces/index.js';
import { runClosedLoop, type ClosedLoopResult, type LoopTarget, type MeasuredCost, type TargetOutcome } from './closedLoop.js';
import { runSummarySchema, SUMMARY_VERSION, type RunSummary, type TargetSummary } from '../run/summary.js';
import { HostSession } from '../fleet/hostSession.js';
import type { HostServer, ConnectedAgent, MeasurementEvent } from '../orchestrator/server.js';
import type { Scheduler } from '../orchestrator/scheduler.js';
import type { Store } from '../orchestrator/store.js';
import { agentServesTarget } from '../orchestrator/fleet.js';
import { measureModels } from '../orchestrator/measureJobs.js';
import { ensureRunDir, runPaths, writeJsonAtomic } from '../run/runFolder.js';
import { shellWord } from '../util/shellWord.js';
import type { ProxyScorer } from '../orchestrator/proxyScoring.js';
import { PairingRegistry } from '../orchestrator/pairing.js';
import { isBrowserTarget, openPairingDesk, pageBaseUrls, type PairingAnnouncement, type PairingDesk } from '../orchestrator/browserRoutes.js';
import { openDashboard, type Dashboard } from '../orchestrator/dashboard.js';
import type { DashboardScoringQueue } from '../orchestrator/dashboardState.js';
import { concurrentProgress, type ProgressFn } from './concurrentProgress.js';

export type { TargetSummary } from '../run/summary.js';

export interface OrchestrateConfig {
  runId: string;
  runDir: string;
  targets: string[];
  space: string;
  /** IDW: device input size and proxy input size (host/spaces/index.ts). */
  spaceOptions?: { resolution?: number; scoreResolution?: number };
  algo: SearchAlgo;
  /** One proxy, or several joined by '+' (combined by rank). */
  proxy: string;
  aggregate?: RankAggregation;
  /** Budget texts in the one grammar of host/budgets/budget.ts. */
  budgets: AnyBudget[];
  /** Measurements per target in the loop (verification not included). */
  measure: number;
  /** Most distinct architectures the proxies score in the whole run. */
  maxScored: number;
  /** Most search-measure-refit rounds. */
  rounds: number;
  /** Re-measurement rounds of each returned architecture. */
  verifyRounds: number;
  iterations?: number;
  population?: number;
  /** Lookup tables given with --lut (target -> file, or 'none'); other targets use devices/<target>/luts/<space>-cifar10.json when it exists. */
  luts?: Record<string, string>;
  /** Fleet prior (file, or 'hwnasbench') whose D-optimal selection picks round 0's architectures (--prior). */
  costPrior?: string;
  /** Where scoring went (`--queue`, URL without a secret, and queue name): a resumed run scores there too. */
  queue?: { url: string; name?: string };
  seed: number;
  data?: string;
  batchSize: number;
  batches: number;
  host: string;
  port: number;
  tls?: { certPath: string; keyPath: string };
  waitAgentsMs: number;
  measurement: { minRuns?: number; minTotalMs?: number; warmupRuns?: number; threads?: number };
  /** Ground truth (CSV keyed by arch_str) the report compares proxy scores with. */
  truth?: { path: string; column: string };
}

export interface OrchestrateHooks {
  log: (line: string) => void;
  /** Lines for the run's log file only (the local agent's own output). */
  debug?: (line: string) => void;
  progress?: (phase: string, done: number, total: number) => void;
  token: string;
  /** Builds the scorer of one proxy once the run store is open (scores are cached there). */
  scorerFor: (store: Store, proxy: string) => ProxyScorer;
  /** Candidates a sample search scores at once (set when scoring goes through a queue). */
  scoreParallel?: number;
  /** Scoring through a Redis queue: its figures go to the dashboard every few seconds. */
  scoringQueue?: { url: string; stats(): Promise<Omit<DashboardScoringQueue, 'url'>> };
  /** Called once the server listens (tests read the port from here). */
  onListening?: (server: HostServer) => void;
  /** A pairing code for browser agents was issued (runs with a browser target); default: a log line. */
  announcePairing?: (announcement: PairingAnnouncement) => void;
  /** The live dashboard's address (without the token); default: a log line. */
  announceDashboard?: (url: string) => void;
  signal?: AbortSignal;
}

export async function orchestrate(
  config: OrchestrateConfig,
  baseHooks: OrchestrateHooks,
): Promise<{ summary: RunSummary; summaryPath: string; reportPath: string | null }> {
  const started = Date.now();
  const entry = openSpace(config.space, config.spaceOptions ?? {});
  const budgets = config.budgets;
  // flops/params/layers; the target budgets go to each target of the loop.
  const structural = toSearchBudgets(budgets.filter((b) => !isTargetBudget(b)));
  // The dashboard sees every log line and progress update the CLI sees.
  let dashboard: Dashboard | undefined;
  const hooks: OrchestrateHooks = {
    ...baseHooks,
    log: (line) => {
      dashboard?.note(line);
      baseHooks.log(line);
    },
    progress: (phase, done, total) => {
      dashboard?.setPhase(phase, done, total);
      baseHooks.progress?.(phase, done, total);
    },
  };
  const dir = ensureRunDir(config.runDir);
  const paths = runPaths(dir);
  const isNewRun = !existsSync(paths.config);
  writeJsonAtomic(paths.config, config);
  // Browser targets: pages pair with one-time codes and present the token they got (pairing.ts).
  const pairing = config.targets.some(isBrowserTarget) ? new PairingRegistry() : undefined;
  let session: HostSession;
  let pairingPageUrl: string | undefined = undefined; // set once the server listens (port 0 picks one)
  try {
    session = await HostSession.open({
      storePath: paths.store,
      host: config.host,
      port: config.port,
      token: hooks.token,
      log: (l) => hooks.log(l),
      ...(hooks.debug ? { debug: hooks.debug } : { debug: hooks.log }),
      server: {
        ...(config.tls ? { tls: config.tls } : {}),
        ...(pairing
          ? { acceptToken: (t: string) => pairing.acceptsToken(t), browserPairingUrl: () => pairingPageUrl ?? 'the pairing URL the host printed' }
          : {}),
      },
    });
  } catch (err) {
    // A run that never started leaves no folder behind (a resumed one keeps everything).
    if (isNewRun) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { server, store, scheduler } = session;
  pairingPageUrl = `${pageBaseUrls(config.host, server.port, config.tls !== undefined)[0]!}/agent`;
  const overheads: Record<string, number[]> = {};
  server.on('measurement', (e: MeasurementEvent) => {
    if (e.dispatchOverheadMs !== undefined && e.outcome === 'accepted') (overheads[e.target] ??= []).push(e.dispatchOverheadMs);
  });
  let queueTimer: NodeJS.Timeout | undefined;
  let pairingDesk: PairingDesk | undefined;
  try {
    hooks.onListening?.(server);
    dashboard = openDashboard(server, {
      token: hooks.token,
      store,
      run: { runId: config.runId, proxy: config.proxy, targets: config.targets, candidates: config.maxScored, measure: config.measure, budgets: budgets.filter(isTargetBudget) },
      log: hooks.log,
    });
    const queue = hooks.scoringQueue;
    if (queue) {
      const d = dashboard;
      queueTimer = setInterval(() => void queue.stats().then((s) => d.setScoringQueue({ url: queue.url, ...s }), () => {}), 3_000);
      queueTimer.unref();
    }
    const dashboardUrl = `${pageBaseUrls(config.host, server.port, config.tls !== undefined)[0]!}/`;
    (hooks.announceDashboard ?? ((url) => hooks.log(`dashboard: ${url} (open it once with ?token=<zeronas token>)`)))(dashboardUrl);
    if (pairing) {
      // Paired pages hold tokens of the host process that issued them (pairing.ts): after a restart they are refused,
      // so a resumed run says at once that its browsers pair again, right before the new code.
      if (!isNewRun) {
        hooks.log(`RESUMED RUN: browser target(s) ${config.targets.filter(isBrowserTarget).join(', ')} must pair again (a page paired before the restart is refused): open the pairing URL below on the phone, or reload the page there and enter the new code`);
      }
      pairingDesk = openPairingDesk(server, {
        targets: config.targets,
        listen: config.host,
        isTls: config.tls !== undefined,
        registry: pairing,
        log: hooks.log,
        announce: hooks.announcePairing ?? ((a) => hooks.log(`pairing code ${a.code.code}: ${a.urls.map((u) => u.url).join(' ; ')}`)),
      });
    }
    await session.attach(config.targets, config.waitAgentsMs, {
      // Nothing of a run is lost while it waits: say how to continue it with a longer wait (--resume honours it).
      resume: { runDir: dir, command: (waitS) => `npx zeronas orchestrate --resume ${shellWord(dir)} --wait-agents ${waitS}` },
    });
    const agentsOf = (target: string): ConnectedAgent[] => session.agentsOf(target);
    checkEnergyMeters(budgets, agentsOf);
    const luts = await resolveLuts(config, agentsOf, hooks.log);
    const replayTargets = config.targets.filter((t) => agentsOf(t).some(isReplayAgent));
    for (const t of replayTargets) hooks.log(`target '${t}' is a REPLAY device: its "measurements" are a published table's values, not timings of this run`);
    const emulatedTargets = config.targets.filter((t) => agentsOf(t).some((a) => Boolean(a.device.emulation)));
    for (const t of emulatedTargets) hooks.log(`target '${t}' is EMULATED: ${agentsOf(t).find((a) => a.device.emulation)?.device.emulation ?? ''}; its timings are the emulator's, not the device's`);
    const forcedTargets = forcedDeviceTargets(config.targets, agentsOf);
    for (const [t, why] of forcedTargets) hooks.log(`target '${t}' is a FORCED DEVICE: ${why}; its timings are that hardware's, not the profile's device's`);
    hooks.log(`space ${entry.description}; search ${config.algo}; proxy ${config.proxy}; budgets ${budgets.map((b) => b.text).join(', ') || 'none'}`);

    const firstRound = config.costPrior ? await priorFirstRound(config.costPrior, entry, hooks.log) : undefined;
    // The loop measures its targets in parallel: one progress line for all of them.
    const measuring = concurrentProgress(hooks.progress);
    const scorers = new Map<string, ProxyScorer>();
    const result = await runClosedLoop({
      ...(firstRound ? { firstRound } : {}),
      space: entry,
      spaceOptions: config.spaceOptions ?? {},
      algo: config.algo,
      proxies: parseProxyList(config.proxy),
      ...(config.aggregate ? { aggregate: config.aggregate } : {}),
      ...(hooks.scoreParallel ? { scoreParallel: hooks.scoreParallel } : {}),
      structural,
      targets: config.targets.map((id): LoopTarget => {
        const budget = budgets.find((b): b is Budget => isTargetBudget(b) && b.target === id);
        const lut = luts.get(id);
        return { id, ...(budget ? { budget } : {}), ...(lut ? { lut: lut.table, lutPath: lut.path } : {}) };
      }),
      maxScored: config.maxScored,
      measurePerTarget: config.measure,
      maxRounds: config.rounds,
      verifyRounds: config.verifyRounds,
      seed: config.seed,
      ...(config.iterations !== undefined ? { iterations: config.iterations } : {}),
      ...(config.population !== undefined ? { population: config.population } : {}),
      score: async (proxy, arch, graph) => {
        let scorer = scorers.get(proxy);
        if (!scorer) scorers.set(proxy, (scorer = hooks.scorerFor(store, proxy)));
        return scorer.score(entry.space.format(arch), graph());
      },
      measure: (target, archs, kind) => measureArchs(entry, target, archs, kind, config, store, scheduler, hooks, measuring),
      saveModel: (target, snapshot) => saveModel(dir, target, snapshot),
      log: hooks.log,
      progress: hooks.progress!,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
    // An agent that attached during the run counts too.
    for (const [t, why] of forcedDeviceTargets(config.targets, agentsOf)) if (!forcedTargets.has(t)) forcedTargets.set(t, why);
    // Checked against the run contract before it is written: a field out of shape is a bug to see here, not in a report.
    const summary = runSummarySchema.parse(summarise(result, config, entry, server, dir, overheads, replayTargets, emulatedTargets, forcedTargets, (Date.now() - started) / 1000));
    writeJsonAtomic(paths.summary, summary);
    return { summary, summaryPath: paths.summary, reportPath: await writeReport(dir, hooks) };
  } finally {
    if (queueTimer) clearInterval(queueTimer);
    dashboard?.stop();
    pairingDesk?.stop();
    await session.close();
  }
}

const isReplayAgent = (a: ConnectedAgent): boolean => a.device.runtimes.some((r) => r.runtime === 'replay' && r.isAvailable);

/** An energy budget needs a meter on every agent of its target; refused at start, naming the target. */
function checkEnergyMeters(budgets: AnyBudget[], agentsOf: (t: string) => ConnectedAgent[]): void {
  for (const b of budgets) {
    if (!isTargetBudget(b) || b.metric !== 'energy') continue;
    const meterless = agentsOf(b.target).filter((a) => !a.device.energyMeters.some((m) => m.isAvailable));
    if (meterless.length) {
      throw new ZeronasError(
        'ZN_NO_ENERGY_METER',
        `energy budget '${b.text}': agent(s) ${meterless.map((a) => `'${a.device.name}'`).join(', ')} of target '${b.target}' have no energy meter. ` +
          "Attach one on the device: an INA219/INA226/INA260 (zeronas-agent --energy ina219 ...), or any meter through a command printing joules or watts (zeronas-agent --energy external-command --energy-cmd '<command>'); see agent/README.md",
        { target: b.target, agents: meterless.map((a) => a.device.name) },
      );
    }
  }
}

/**
 * Lookup tables that seed each target's latency model: --lut t=file, else devices/<target>/luts/<space>-cifar10.json.
 * A table whose device fingerprint or runtime differs from one of the target's agents is stale: a warning, and it
 * is not used.
 */
async function resolveLuts(config: OrchestrateConfig, agentsOf: (t: string) => ConnectedAgent[], log: (l: string) => void): Promise<Map<string, { table: LookupTable; path: string }>> {
  const out = new Map<string, { table: LookupTable; path: string }>();
  for (const t of config.targets) {
    const given = config.luts?.[t];
    if (given === 'none') {
      log(`target '${t}': no lookup table (--lut ${t}=none)`);
      continue;
    }
    const defaultPath = resolve('devices', t.replace(/[^A-Za-z0-9._-]/g, '_'), 'luts', `${config.space}-cifar10.json`);
    const path = given ?? defaultPath;
    if (!existsSync(path)) {
      if (given) throw new ZeronasError('ZN_IO', `--lut ${t}=${given}: the file does not exist`, { path: given });
      continue;
    }
    if (config.space !== 'nb201') {
      log(`lookup table ${path} not used for target '${t}': tables cover the nb201 space's kernels only`);
      continue;
    }
    const table = await loadLookupTable(path);
    let stale: string | null = null;
    // The command that really re-measures: lut measures again when its stored kernels were taken on another
    // device or runtime (host/workflows/lutMeasurementRun.ts).
    const remeasureCommand = `npx zeronas lut --target ${t}${path === defaultPath ? '' : ` --out ${path}`}`;
    for (const a of agentsOf(t)) {
      const w = checkLutFreshness(table, agentRuntimeIdentity(a.device, table.runtime.name), { remeasureCommand });
      if (w) stale = `agent '${a.device.name}': ${w.message}`;
    }
    if (stale) {
      log(`warning ZN_LUT_STALE: lookup table ${path} not used for target '${t}': ${stale}`);
      continue;
    }
    log(`target '${t}': latency model seeded by lookup table ${path}`);
    out.set(t, { table, path });
  }
  return out;
}

/** Exports and measures architectures on a target through the durable scheduler (measureJobs.ts). */
async function measureArchs(
  entry: SpaceEntry<unknown>,
  target: string,
  archs: string[],
  kind: string,
  config: OrchestrateConfig,
  store: Store,
  scheduler: Scheduler,
  hooks: OrchestrateHooks,
  progress: ProgressFn,
): Promise<Map<string, MeasuredCost>> {
  const models = archs.map((arch) => {
    const graph = entry.deviceGraph(entry.space.parse(arch));
    return { label: arch, bytes: exportInference(graph, initWeights(graph, config.seed), { batch: 1, foldBatchNorm: true }), inputs: deviceInputs(graph) };
  });
  const rows = await measureModels(store, scheduler, models, {
    // Verification rounds are their own runs, so each is a new measurement and the loop's rows stay one per arch.
    runId: kind === 'measure' ? config.runId : `${config.runId}.${kind}`,
    target,
    kind: 'measure',
    settings: { ...config.measurement },
    // kind is 'verify-<r>' (r from 0) for a verification round: name the round, each is its own 0..1 count.
    progress: (done, total) => progress(kind === 'measure' ? `measuring on ${target}` : `verifying the pick on ${target} (${Number(kind.slice('verify-'.length)) + 1} of ${config.verifyRounds})`, done, total),
    log: hooks.log,
  });
  const out = new Map<string, MeasuredCost>();
  for (const [arch, row] of rows) if (row.latency_median_ms !== null) out.set(arch, { latencyMs: row.latency_median_ms, energyJ: row.energy_j });
  return out;
}

function saveModel(dir: string, target: string, snapshot: TargetModelSnapshot): string {
  const tdir = runPaths(dir).targetDir(target);
  mkdirSync(tdir, { recursive: true });
  const file = join(tdir, `cost-model.round${snapshot.round}.json`);
  writeJsonAtomic(file, snapshot);
  return file;
}

/** The run's report.html; a failure to draw it is logged, and the run's results stand. */
async function writeReport(dir: string, hooks: OrchestrateHooks): Promise<string | null> {
  try {
    const { writeRunReport } = await import('../report/index.js');
    const { path } = writeRunReport(dir);
    hooks.log(`report: ${path}`);
    return path;
  } catch (err) {
    hooks.log(`report not written: ${(err as Error).message} (retry with zeronas report ${dir})`);
    return null;
  }
}

function paretoFront<T extends { score: number; latencyMs: number }>(points: T[]): T[] {
  const sorted = [...points].sort((a, b) => a.latencyMs - b.latencyMs || b.score - a.score);
  const front: T[] = [];
  let bestScore = -Infinity;
  for (const p of sorted) {
    if (p.score > bestScore) {
      front.push(p);
      bestScore = p.score;
    }
  }
  return front;
}

/**
 * Targets served by an agent started with `--force-device` on hardware its profile does not describe, each with what
 * its agents say of it (`kitchen: --force-device: profile 'pi3b' is for ...; measured on ...`).
 */
function forcedDeviceTargets(targets: string[], agentsOf: (t: string) => ConnectedAgent[]): Map<string, string> {
  const forced = new Map<string, string>();
  for (const t of targets) {
    const notes = agentsOf(t).filter((a) => a.device.forcedDevice).map((a) => `${a.device.name}: ${a.device.forcedDevice}`);
    if (notes.length) forced.set(t, notes.join('; '));
  }
  return forced;
}

function summarise(
  result: ClosedLoopResult,
  config: OrchestrateConfig,
  entry: SpaceEntry<unknown>,
  server: HostServer,
  dir: string,
  overheads: Record<string, number[]>,
  replayTargets: string[],
  emulatedTargets: string[],
  forcedTargets: Map<string, string>,
  wallTimeS: number,
): RunSummary {
  const targets = result.targets.map((t) => summariseTarget(t, result, config, entry, server, dir, overheads[t.target] ?? [], replayTargets.includes(t.target), emulatedTargets.includes(t.target), forcedTargets.get(t.target)));
  return {
    summaryVersion: SUMMARY_VERSION,
    runId: config.runId,
    space: config.space,
    spaceDescription: entry.description,
    algo: config.algo,
    proxy: config.proxy,
    budgets: config.budgets.map((b) => b.text),
    candidatesScored: result.scored,
    candidatesFailed: result.scored - result.candidates.length,
    rounds: result.rounds,
    stopReason: result.stopReason,
    wallTimeS,
    isReplay: replayTargets.length > 0,
    isEmulated: emulatedTargets.length > 0,
    isForcedDevice: forcedTargets.size > 0,
    costPrior: config.costPrior ?? null,
    targets,
    commonFeasible: config.targets.length > 1 ? result.commonFeasible.slice(0, 20).map((c) => ({ arch: c.arch, score: c.score, measured: Object.fromEntries(Object.entries(c.measured).map(([t, m]) => [t, { latencyMs: m.latencyMs, energyJ: m.energyJ }])) })) : [],
  };
}

function summariseTarget(
  t: TargetOutcome,
  result: ClosedLoopResult,
  config: OrchestrateConfig,
  entry: SpaceEntry<unknown>,
  server: HostServer,
  dir: string,
  overheads: number[],
  isReplay: boolean,
  isEmulated: boolean,
  forcedDevice: string | undefined,
): TargetSummary {
  const metricOf = (m: MeasuredCost | undefined): number | null => (m ? (t.metric === 'latencyMs' ? m.latencyMs : m.energyJ) : null);
  const everyPoint = result.candidates.map((c) => {
    const p = t.model.predict(c.arch);
    const m = t.measured.get(c.arch);
    return {
      arch: c.arch,
      score: c.score,
      predictedMs: t.metric === 'latencyMs' && p ? p.value : null,
      measuredMs: m ? m.latencyMs : null,
      ...(t.metric === 'energyJ' ? { predictedJ: p ? p.value : null, measuredJ: m ? m.energyJ : null } : {}),
    };
  });
  const points = everyPoint
    .map((p) => ({ arch: p.arch, score: p.score, latencyMs: p.measuredMs ?? p.predictedMs ?? Number.NaN, measured: p.measuredMs !== null }))
    .filter((p) => Number.isFinite(p.latencyMs));
  const last = t.learning.filter((l) => l.errors.n > 0).at(-1);
  let best: TargetSummary['best'] = null;
  if (t.best) {
    const tdir = runPaths(dir).targetDir(t.target);
    mkdirSync(tdir, { recursive: true });
    const graph = entry.deviceGraph(entry.space.parse(t.best.arch));
    writeFileSync(join(tdir, 'best.onnx'), exportInference(graph, initWeights(graph, config.seed), { batch: 1, foldBatchNorm: true }));
    const metrics = entry.space.metrics(entry.space.parse(t.best.arch));
    best = {
      arch: t.best.arch,
      proxyScore: t.best.score,
      measuredLatencyMs: t.best.measured.latencyMs,
      measuredEnergyJ: t.best.measured.energyJ,
      predicted: t.best.predicted,
      verifiedMedian: t.best.verified?.measuredMedian ?? null,
      onnx: join(t.target.replace(/[^A-Za-z0-9._-]/g, '_'), 'best.onnx'),
      macs: metrics.flops,
      params: metrics.params,
    };
  }
  const sortedOverheads = [...overheads].sort((a, b) => a - b);
  return {
    target: t.target,
    isReplay,
    isEmulated,
    isForcedDevice: forcedDevice !== undefined,
    ...(forcedDevice !== undefined ? { forcedDevice } : {}),
    metric: t.metric,
    agents: [...server.agents.values()]
      .filter((a) => agentServesTarget(a.device, t.target))
      .map((a) => ({ id: a.id, name: a.device.name, profile: a.device.profile, cpu: a.device.cpu.model, runtime: a.device.runtimes.filter((r) => r.isAvailable).map((r) => `${r.runtime} ${r.version}`).join(', ') })),
    budget: t.budget,
    costModel: {
      name: t.model.name,
      // The last round's out-of-sample error: the model before that round's refit, on what the round measured.
      mapePercent: last?.errors.mapePercent ?? null,
      within10: last?.errors.within10 ?? null,
      n: t.model.samples.size,
      lut: t.lutPath,
    },
    learningCurve: t.learning.map((l) => ({ round: l.round, model: l.model, samplesBefore: l.samplesBefore, measured: l.measured, ...l.errors, modelFile: l.modelFile ? l.modelFile.slice(dir.length + 1) : null })),
    measured: t.measured.size,
    paretoFront: paretoFront(points),
    points: everyPoint,
    verification: t.verifications.map((v) => ({ arch: v.arch, predicted: v.predicted, measuredMedian: v.measuredMedian, roundValues: v.roundValues, meetsBudget: v.meetsBudget })),
    best,
    bestMeasuredValue: t.best ? metricOf(t.best.measured) : null,
    dispatchOverheadMs: { median: sortedOverheads.length ? sortedOverheads[Math.floor(sortedOverheads.length / 2)]! : null, n: sortedOverheads.length },
  };
}

/**
 * Round 0 chosen by a fleet prior: the architectures of the seeded sample its reference devices disagree about most
 * (D-optimal, host/cost/prior/selectMeasurements.ts; docs/engineering/fleet-cost-models.md: at 10 measurements this
 * lifts even the per-device model's ranking). Falls back to FLOPs quantiles, with a note, when the prior cannot
 * choose (too few candidates with an input-dependent output).
 */
async function priorFirstRound(path: string, entry: SpaceEntry<unknown>, log: (line: string) => void): Promise<(candidates: readonly string[], count: number) => string[]> {
  const { loadFleetPrior } = await import('../cost/prior/priorFile.js');
  const { selectMeasurements } = await import('../cost/prior/selectMeasurements.js');
  const prior = await loadFleetPrior(path);
  return (candidates, count) => {
    try {
      const picked = selectMeasurements(prior, candidates.map((a) => entry.deviceGraph(entry.space.parse(a))), count).map((i) => candidates[i]!);
      log(`round 0: ${picked.length} architectures chosen by the fleet prior ${path} (D-optimal over ${candidates.length} sampled); the prior chooses what round 0 measures, and each target's cost model is still fitted on that target's own measurements`);
      return picked;
    } catch (err) {
      if (!(err instanceof ZeronasError)) throw err;
      log(`round 0: the fleet prior could not choose (${err.message}); measuring FLOPs quantiles`);
      const step = (candidates.length - 1) / Math.max(1, count - 1);
      return Array.from({ length: count }, (_, i) => candidates[Math.round(i * step)]!);
    }
  };
}

/**
 * `orchestrate`: the whole loop of zeronas on a fleet.
 *  1. score a pool of candidate architectures with the zero-shot proxy (cached in the run store);
 *  2. per target, measure a first spread of candidates (MACs quantiles) on the target's agents, fit a cost model;
 *  3. repeat: predict every candidate's cost, send the best-scoring candidates predicted to meet the budget to be
 *     measured, refit;
 *  4. finish with a Pareto front (proxy score vs measured or predicted latency) per target, the best architecture
 *     per target under its budget exported as ONNX, and summary.json.
 * Everything durable lives in the run folder's store, so `--resume` redoes no finished score or measurement.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyticMetrics, type AnalyticMetrics } from '../metrics/analytic.js';
import { initWeights } from '../ir/init.js';
import { exportInference } from '../onnx/exportInference.js';
import {
  buildNb201Network,
  cellFromCode,
  formatNb201,
  isNb201Disconnected,
  NB201_SPACE_SIZE,
} from '../spaces/nb201.js';
import { mulberry32 } from '../ir/init.js';
import type { Budget } from './budget.js';
import { HostServer, type MeasurementEvent } from './server.js';
import { Scheduler } from './scheduler.js';
import { Store } from './store.js';
import { fitInitialCostModel, type FittedCostModel } from './initialCostModel.js';
import { AutoCostModel } from '../cost/costModel.js';
import type { Graph } from '../ir/graph.js';
import { agentServesTarget, waitForAgents } from './fleet.js';
import { measureModels } from './measureJobs.js';
import { startLocalAgent, type LocalAgent } from './localAgent.js';
import { ensureRunDir, runPaths, writeJsonAtomic } from './runFolder.js';
import type { ProxyScorer } from './proxyScoring.js';
import { PairingRegistry } from './pairing.js';
import { isBrowserTarget, openPairingDesk, pageBaseUrls, type PairingAnnouncement, type PairingDesk } from './browserRoutes.js';
import { openDashboard, type Dashboard } from './dashboard.js';

export interface OrchestrateConfig {
  runId: string;
  runDir: string;
  targets: string[];
  space: 'nb201';
  proxy: string;
  budgets: Budget[];
  /** Candidates measured per target. */
  measure: number;
  /** Size of the candidate pool scored by the proxy. */
  candidates: number;
  /** Measurement rounds after the first spread. */
  rounds: number;
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
  /** Builds the proxy scorer once the run store is open (scores are cached there). */
  scorerFor: (store: Store) => ProxyScorer;
  /** Called once the server listens (tests read the port from here). */
  onListening?: (server: HostServer) => void;
  /** A pairing code for browser agents was issued (runs with a browser target); default: a log line. */
  announcePairing?: (announcement: PairingAnnouncement) => void;
  /** The live dashboard's address (without the token); default: a log line. */
  announceDashboard?: (url: string) => void;
}

interface Candidate {
  arch: string;
  metrics: AnalyticMetrics;
  score: number | null;
  scoreReason?: string;
}

export interface TargetSummary {
  target: string;
  agents: { id: string; name: string; profile: string | null; cpu: string; runtime?: string }[];
  budget: Budget | null;
  costModel: { name: string; mapePercent: number | null; within10: number | null; n: number };
  measured: number;
  paretoFront: { arch: string; score: number; latencyMs: number; measured: boolean }[];
  /** Every scored candidate: its proxy score, the final cost model's prediction and, when measured, the median. */
  points: { arch: string; score: number; predictedMs: number | null; measuredMs: number | null }[];
  best: null | { arch: string; proxyScore: number; measuredLatencyMs: number; onnx: string; macs: number; params: number };
  dispatchOverheadMs: { median: number | null; n: number };
}

export async function orchestrate(
  config: OrchestrateConfig,
  baseHooks: OrchestrateHooks,
): Promise<{ summary: unknown; summaryPath: string; reportPath: string | null }> {
  const started = Date.now();
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
  const store = new Store(paths.store);
  const scheduler = new Scheduler(store, { leaseMs: 180_000, backoffBaseMs: 1_000, backoffMaxMs: 30_000 });
  // Leases held by a host that died are void; their jobs go back to the queue.
  const voided = scheduler.resetAllLeases();
  if (voided) hooks.log(`resume: ${voided} in-flight job(s) from the previous host returned to the queue`);
  writeJsonAtomic(paths.config, config);

  // Browser targets: pages pair with one-time codes and present the token they got (pairing.ts).
  const pairing = config.targets.some(isBrowserTarget) ? new PairingRegistry() : undefined;
  const server = new HostServer({
    host: config.host,
    port: config.port,
    token: hooks.token,
    store,
    scheduler,
    ...(config.tls ? { tls: config.tls } : {}),
    ...(pairing ? { acceptToken: (t: string) => pairing.acceptsToken(t) } : {}),
    log: (l) => hooks.log(l),
  });
  const overheads: Record<string, number[]> = {};
  server.on('measurement', (e: MeasurementEvent) => {
    if (e.dispatchOverheadMs !== undefined && e.outcome === 'accepted') (overheads[e.target] ??= []).push(e.dispatchOverheadMs);
  });
  let localAgent: LocalAgent | undefined;
  let pairingDesk: PairingDesk | undefined;
  try {
    await server.start();
    hooks.onListening?.(server);
    hooks.log(`host listening on ${server.url} (agents connect to ${server.url}/agent)`);
    dashboard = openDashboard(server, {
      token: hooks.token,
      store,
      run: { runId: config.runId, proxy: config.proxy, targets: config.targets, candidates: config.candidates, measure: config.measure, budgets: config.budgets },
      log: hooks.log,
    });
    const dashboardUrl = `${pageBaseUrls(config.host, server.port, config.tls !== undefined)[0]!}/`;
    (hooks.announceDashboard ?? ((url) => hooks.log(`dashboard: ${url} (open it once with ?token=<zeronas token>)`)))(dashboardUrl);
    if (pairing) {
      pairingDesk = openPairingDesk(server, {
        targets: config.targets,
        listen: config.host,
        isTls: config.tls !== undefined,
        registry: pairing,
        log: hooks.log,
        announce: hooks.announcePairing ?? ((a) => hooks.log(`pairing code ${a.code.code}: ${a.urls.map((u) => u.url).join(' ; ')}`)),
      });
    }
    if (config.targets.includes('local')) localAgent = startLocalAgent(`${server.url}/agent`, hooks.token, hooks.debug ?? hooks.log);
    await waitForAgents(server, config.targets, config.waitAgentsMs, hooks.log);

    // 1. Candidate pool and proxy scores.
    const scorer = hooks.scorerFor(store);
    const pool = samplePool(config);
    const candidates: Candidate[] = [];
    let scored = 0;
    for (const arch of pool) {
      const graph = buildNb201Network(arch);
      const result = await scorer.score(arch, graph);
      candidates.push({
        arch,
        metrics: analyticMetrics(graph),
        score: result.ok ? result.value : null,
        ...(result.ok ? {} : { scoreReason: result.reason }),
      });
      hooks.progress?.(`scoring (${config.proxy})`, ++scored, pool.length);
    }
    const valid = candidates.filter((c) => c.score !== null && Number.isFinite(c.score));
    hooks.log(`scored ${candidates.length} candidates with ${config.proxy}; ${candidates.length - valid.length} could not be scored`);

    // 2-3. Measurement rounds per target, all targets in parallel on their own agents.
    server.setTargets(config.targets);
    const summaries: TargetSummary[] = [];
    const perTarget = await Promise.all(
      config.targets.map((target) => measureTarget(target, valid, config, store, scheduler, hooks)),
    );
    // 4. Fronts, best architectures, ONNX exports.
    for (const [i, target] of config.targets.entries()) {
      const { measured, model } = perTarget[i]!;
      summaries.push(summariseTarget(target, valid, measured, model, config, server, dir, overheads[target] ?? []));
    }
    const summary = {
      runId: config.runId,
      space: config.space,
      proxy: config.proxy,
      candidatesScored: candidates.length,
      candidatesFailed: candidates.length - valid.length,
      wallTimeS: (Date.now() - started) / 1000,
      targets: summaries,
    };
    writeJsonAtomic(paths.summary, summary);
    return { summary, summaryPath: paths.summary, reportPath: await writeReport(dir, hooks) };
  } finally {
    dashboard?.stop();
    pairingDesk?.stop();
    await localAgent?.stop();
    await server.close();
    store.close();
  }
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

/** Deterministic pool: seeded sample of distinct NB201 cells, skipping cells whose output is disconnected. */
function samplePool(config: OrchestrateConfig): string[] {
  const rand = mulberry32(config.seed ^ 0x5eed);
  const chosen = new Set<number>();
  const target = Math.min(config.candidates, NB201_SPACE_SIZE - 341);
  while (chosen.size < target) {
    const code = Math.floor(rand() * NB201_SPACE_SIZE);
    if (!chosen.has(code) && !isNb201Disconnected(cellFromCode(code))) chosen.add(code);
  }
  return [...chosen].map((c) => formatNb201(cellFromCode(c)));
}

async function measureTarget(
  target: string,
  candidates: Candidate[],
  config: OrchestrateConfig,
  store: Store,
  scheduler: Scheduler,
  hooks: OrchestrateHooks,
): Promise<{ measured: Map<string, number>; model: FittedCostModel | undefined }> {
  const budget = config.budgets.find((b) => b.target === target && b.metric === 'latency');
  const measured = new Map<string, number>();
  const refresh = (): void => {
    for (const m of store.measurements(config.runId, target)) if (m.latency_median_ms !== null) measured.set(m.arch, m.latency_median_ms);
  };
  refresh();
  const byMacs = [...candidates].sort((a, b) => a.metrics.macs - b.metrics.macs);
  const firstSpread = Math.min(config.measure, Math.max(3, Math.ceil(config.measure / 3)));
  const spread = Array.from({ length: firstSpread }, (_, i) => byMacs[Math.round((i * (byMacs.length - 1)) / Math.max(1, firstSpread - 1))]!.arch);
  await measureBatch(target, [...new Set(spread)], config, store, scheduler, hooks, measured);
  refresh();

  const rounds = Math.max(1, config.rounds);
  for (let round = 0; round < rounds && measured.size < config.measure; round++) {
    const model = fitModel(candidates, measured);
    const remaining = config.measure - measured.size;
    const quota = Math.ceil(remaining / (rounds - round));
    const feasible = candidates
      .filter((c) => !measured.has(c.arch))
      .filter((c) => !budget || !model || model.predict(c.metrics, c.arch) <= budget.max * 1.1)
      .sort((a, b) => b.score! - a.score!);
    const picks = feasible.slice(0, quota).map((c) => c.arch);
    if (picks.length === 0) break;
    await measureBatch(target, picks, config, store, scheduler, hooks, measured);
    refresh();
  }
  return { measured, model: fitModel(candidates, measured) };
}

/** Measurements from which the cross-validated models of host/cost take over from the analytic start model. */
const AUTO_MODEL_MIN_SAMPLES = 6;

/**
 * The best cost model the measurements so far support: with few measurements the analytic log-linear model
 * (initialCostModel.ts); from AUTO_MODEL_MIN_SAMPLES on, host/cost's AutoCostModel, which picks the model and the
 * execution rule by cross-validation on the measured candidates (with the device's lookup table as a feature
 * source when one exists). Refitted after every measurement round.
 */
function fitModel(candidates: Candidate[], measured: Map<string, number>): FittedCostModel | undefined {
  const byArch = new Map(candidates.map((c) => [c.arch, c.metrics]));
  const pairs = [...measured].filter(([a, v]) => byArch.has(a) && v > 0);
  if (pairs.length >= AUTO_MODEL_MIN_SAMPLES) {
    try {
      const graphs = new Map<string, Graph>();
      const graphOf = (arch: string): Graph => {
        let g = graphs.get(arch);
        if (!g) graphs.set(arch, (g = buildNb201Network(arch)));
        return g;
      };
      const auto = new AutoCostModel({ seed: 0 });
      auto.fit(pairs.map(([arch, value]) => ({ graph: graphOf(arch), value })));
      return { name: `${auto.selected.name} (auto, ${pairs.length} samples)`, predict: (_m, arch) => auto.predict(graphOf(arch)).value };
    } catch {
      // Degenerate samples (e.g. all equal): the analytic model below still gives a usable ranking.
    }
  }
  return fitInitialCostModel(pairs.map(([arch, value]) => ({ metrics: byArch.get(arch)!, value })));
}

/** Measures the candidates not measured yet on `target` (measureJobs.ts: deduplicated, resumable jobs). */
async function measureBatch(
  target: string,
  archs: string[],
  config: OrchestrateConfig,
  store: Store,
  scheduler: Scheduler,
  hooks: OrchestrateHooks,
  measured: Map<string, number>,
): Promise<void> {
  const models = archs
    .filter((arch) => !measured.has(arch))
    .map((arch) => {
      const graph = buildNb201Network(arch);
      return {
        label: arch,
        bytes: exportInference(graph, initWeights(graph, config.seed), { batch: 1, foldBatchNorm: true }),
        inputs: [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' as const }],
      };
    });
  await measureModels(store, scheduler, models, {
    runId: config.runId,
    target,
    kind: 'measure',
    settings: { ...config.measurement },
    progress: (done, total) => hooks.progress?.(`measuring on ${target}`, done, total),
    log: hooks.log,
  });
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

function summariseTarget(
  target: string,
  candidates: Candidate[],
  measured: Map<string, number>,
  model: FittedCostModel | undefined,
  config: OrchestrateConfig,
  server: HostServer,
  dir: string,
  overheads: number[],
): TargetSummary {
  const budget = config.budgets.find((b) => b.target === target && b.metric === 'latency') ?? null;
  const everyPoint = candidates.map((c) => {
    const predicted = model?.predict(c.metrics, c.arch);
    return {
      arch: c.arch,
      score: c.score!,
      predictedMs: predicted !== undefined && Number.isFinite(predicted) ? predicted : null,
      measuredMs: measured.get(c.arch) ?? null,
    };
  });
  const points = everyPoint
    .map((p) => ({ arch: p.arch, score: p.score, latencyMs: p.measuredMs ?? p.predictedMs ?? NaN, measured: p.measuredMs !== null }))
    .filter((p) => Number.isFinite(p.latencyMs));
  // Model error on the measured candidates (in-sample: the model was fitted on them; leave-one-out would be
  // stricter and is what the cost-model benchmark reports).
  const errors = [...measured].map(([arch, v]) => {
    const c = candidates.find((x) => x.arch === arch);
    return c && model ? Math.abs(model.predict(c.metrics, c.arch) - v) / v : NaN;
  }).filter(Number.isFinite);
  const eligible = candidates
    .filter((c) => measured.has(c.arch) && (!budget || measured.get(c.arch)! <= budget.max))
    .sort((a, b) => b.score! - a.score!);
  let best: TargetSummary['best'] = null;
  if (eligible.length) {
    const c = eligible[0]!;
    const tdir = runPaths(dir).targetDir(target);
    mkdirSync(tdir, { recursive: true });
    const graph = buildNb201Network(c.arch);
    const file = join(tdir, 'best.onnx');
    writeFileSync(file, exportInference(graph, initWeights(graph, config.seed), { batch: 1, foldBatchNorm: true }));
    best = {
      arch: c.arch,
      proxyScore: c.score!,
      measuredLatencyMs: measured.get(c.arch)!,
      onnx: join(target.replace(/[^A-Za-z0-9._-]/g, '_'), 'best.onnx'),
      macs: c.metrics.macs,
      params: c.metrics.params,
    };
  }
  const agents = [...server.agents.values()];
  const sortedOverheads = [...overheads].sort((a, b) => a - b);
  return {
    target,
    agents: agents.filter((a) => agentServesTarget(a.device, target)).map((a) => ({ id: a.id, name: a.device.name, profile: a.device.profile, cpu: a.device.cpu.model })),
    budget,
    costModel: {
      name: model?.name ?? 'none',
      mapePercent: errors.length ? (100 * errors.reduce((s, e) => s + e, 0)) / errors.length : null,
      within10: errors.length ? errors.filter((e) => e <= 0.1).length / errors.length : null,
      n: measured.size,
    },
    measured: measured.size,
    paretoFront: paretoFront(points),
    points: everyPoint,
    best,
    dispatchOverheadMs: { median: sortedOverheads.length ? sortedOverheads[Math.floor(sortedOverheads.length / 2)]! : null, n: sortedOverheads.length },
  };
}

/**
 * Everything a run report shows, read from a run folder: summary.json (fronts, cost models, best architectures,
 * predicted and measured latency per candidate), config.json, and store.sqlite (opened read-only: device
 * descriptors, each measurement with its conditions, and the timestamps that make the progress curves).
 * Nothing is made up: a figure the run did not record is null and the report says "not recorded".
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ZeronasError } from '../../shared/errors.js';
import type { Budget } from '../budgets/budget.js';
import type { OrchestrateConfig } from '../workflows/orchestrate.js';
import type { TargetSummary } from '../run/summary.js';
import { readJson, runPaths } from '../run/runFolder.js';
import { kendallTauB, spearman } from '../stats/rank.js';
import { readCsv } from '../util/csv.js';

export interface ReportPoint {
  arch: string;
  score: number;
  predictedMs: number | null;
  measuredMs: number | null;
}

export interface LatencyErrors {
  /** What these errors are, for --json readers (the terminal's and the overview's MAPE is costModel.mapePercent, out of sample). */
  definition: string;
  /** Measured candidates with a prediction. */
  n: number;
  mapePercent: number | null;
  within10: number | null;
  /** Largest |predicted - measured| / measured, in percent. */
  maxErrorPercent: number | null;
}

export interface ReportTarget {
  target: string;
  budget: Budget | null;
  costModel: TargetSummary['costModel'];
  measured: number;
  points: ReportPoint[];
  paretoFront: TargetSummary['paretoFront'];
  errors: LatencyErrors;
  best: (NonNullable<TargetSummary['best']> & { onnxBytes: number | null }) | null;
  agents: TargetSummary['agents'];
  /** Empty for runs from before the closed loop (summary v1). */
  learningCurve: TargetSummary['learningCurve'];
  verification: TargetSummary['verification'];
  isReplay: boolean;
  isEmulated?: boolean;
  /** Measured by a `--force-device` agent: what its hardware really is (summary.json's forcedDevice). */
  forcedDevice?: string | null;
  /** The fleet prior that chose round 0's measurements (orchestrate --prior), or null. */
  costPrior?: string | null;
  metric: TargetSummary['metric'];
}

export interface DeviceRow {
  agentId: string;
  name: string;
  profile: string | null;
  environment: string;
  cpu: string;
  cores: number | null;
  os: string;
  memoryGiB: number | null;
  targets: string[];
  measurements: number;
  runtime: string | null;
  executionProvider: string | null;
  requestedExecutionProvider: string | null;
  threads: number[];
  warmupRuns: number[];
  timedRunsMedian: number | null;
  /** [min, max] over the measurements, before and after each timed pass. */
  tempBeforeC: [number, number] | null;
  tempAfterC: [number, number] | null;
  governor: string | null;
  freqMHz: [number, number] | null;
  throttledMeasurements: number;
  energy: string;
  fingerprint: string;
  isConnected: boolean;
}

export interface TimePoint {
  /** Seconds since the run's first recorded event. */
  t: number;
  value: number;
  label?: string;
}

export interface ReportProgress {
  startedAt: string | null;
  scored: TimePoint[];
  measuredByTarget: Record<string, TimePoint[]>;
  /** Best proxy score among measured candidates within the budget, as measurements arrived. */
  bestByTarget: Record<string, TimePoint[]>;
}

export interface TruthComparison {
  path: string;
  column: string;
  n: number;
  missing: number;
  kendall: number | null;
  spearman: number | null;
  points: { arch: string; score: number; truth: number }[];
}

export interface ReportData {
  runId: string;
  space: string;
  proxy: string;
  generatedAt: string;
  wallTimeS: number | null;
  candidatesScored: number;
  candidatesFailed: number;
  settings: { measure: number; candidates: number; rounds: number; seed: number; targets: string[] };
  targets: ReportTarget[];
  devices: DeviceRow[];
  progress: ReportProgress;
  truth: TruthComparison | null;
}

interface Summary {
  runId: string;
  /** Runs from before it was recorded have none. */
  costPrior?: string | null;
  space: string;
  proxy: string;
  candidatesScored: number;
  candidatesFailed: number;
  wallTimeS?: number;
  targets: (Omit<TargetSummary, 'points' | 'learningCurve' | 'verification' | 'isReplay' | 'isEmulated' | 'isForcedDevice' | 'forcedDevice' | 'metric'> & Partial<Pick<TargetSummary, 'learningCurve' | 'verification' | 'isReplay' | 'isEmulated' | 'isForcedDevice' | 'forcedDevice' | 'metric'>> & { points?: ReportPoint[] })[];
}

interface MeasurementRecord {
  target: string;
  agent_id: string;
  arch: string;
  latency_median_ms: number | null;
  received_ms: number;
  result_json: string;
}

export interface TruthOption {
  path: string;
  column: string;
}

export function loadReportData(runDir: string, options: { truth?: TruthOption } = {}): ReportData {
  const dir = resolve(runDir);
  const paths = runPaths(dir);
  if (!existsSync(paths.summary)) {
    // Only a run folder (it has the run's config) can be resumed; anything else is not a run at all.
    const isRun = existsSync(paths.config);
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      isRun
        ? `'${dir}' has no summary.json: the run has not finished (finish it with zeronas orchestrate --resume ${runDir})`
        : `'${dir}' is not a run folder (no summary.json, no config.json); a run folder is what orchestrate writes, e.g. runs/<id>`,
      { path: dir },
    );
  }
  const summary = readJson<Summary>(paths.summary);
  const config = existsSync(paths.config) ? readJson<Partial<OrchestrateConfig>>(paths.config) : {};
  const db = openStore(paths.store);
  try {
    // The loop's measurements (run id = the run's); verification rounds are runs of their own, shown from summary.json.
    const measurements = db ? (db.prepare('SELECT target, agent_id, arch, latency_median_ms, received_ms, result_json FROM measurements WHERE run_id = ? ORDER BY received_ms').all(summary.runId) as MeasurementRecord[]) : [];
    const targets = summary.targets.map((t) => reportTarget(t, measurements, dir, summary.costPrior ?? null));
    const truthOption = options.truth ?? (config as { truth?: TruthOption }).truth;
    return {
      runId: summary.runId,
      space: summary.space,
      proxy: summary.proxy,
      generatedAt: new Date().toISOString(),
      wallTimeS: summary.wallTimeS ?? null,
      candidatesScored: summary.candidatesScored,
      candidatesFailed: summary.candidatesFailed,
      settings: {
        measure: config.measure ?? NaN,
        candidates: config.maxScored ?? summary.candidatesScored,
        rounds: config.rounds ?? NaN,
        seed: config.seed ?? NaN,
        targets: summary.targets.map((t) => t.target),
      },
      targets,
      devices: db ? deviceRows(db, measurements) : [],
      progress: db ? progressSeries(db, summary, targets, measurements) : { startedAt: null, scored: [], measuredByTarget: {}, bestByTarget: {} },
      truth: truthOption ? compareWithTruth(targets, truthOption) : null,
    };
  } finally {
    db?.close();
  }
}

function openStore(path: string): Database.Database | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot open the run store '${path}': ${(err as Error).message}`, { path }, err);
  }
}

function reportTarget(t: Summary['targets'][number], measurements: MeasurementRecord[], dir: string, costPrior: string | null): ReportTarget {
  let points = t.points;
  if (!points) {
    // Runs from before summary.json listed every candidate: the front's points plus the store's measurements.
    const byArch = new Map<string, ReportPoint>();
    for (const p of t.paretoFront) byArch.set(p.arch, { arch: p.arch, score: p.score, predictedMs: p.measured ? null : p.latencyMs, measuredMs: p.measured ? p.latencyMs : null });
    for (const m of measurements.filter((x) => x.target === t.target && x.latency_median_ms !== null)) {
      const p = byArch.get(m.arch);
      if (p) p.measuredMs = m.latency_median_ms;
    }
    points = [...byArch.values()];
  }
  const withBoth = points.filter((p) => p.measuredMs !== null && p.predictedMs !== null && p.measuredMs > 0);
  const rel = withBoth.map((p) => Math.abs(p.predictedMs! - p.measuredMs!) / p.measuredMs!);
  const onnxPath = t.best ? join(dir, t.best.onnx) : null;
  return {
    target: t.target,
    budget: t.budget,
    costModel: t.costModel,
    measured: t.measured,
    points,
    paretoFront: t.paretoFront,
    errors: {
      definition: "in-sample: the final cost model's prediction against every measured candidate (costModel.mapePercent is the out-of-sample figure)",
      n: rel.length,
      mapePercent: rel.length ? (100 * rel.reduce((a, b) => a + b, 0)) / rel.length : null,
      within10: rel.length ? rel.filter((e) => e <= 0.1).length / rel.length : null,
      maxErrorPercent: rel.length ? 100 * Math.max(...rel) : null,
    },
    best: t.best ? { ...t.best, onnxBytes: onnxPath && existsSync(onnxPath) ? statSync(onnxPath).size : null } : null,
    agents: t.agents,
    learningCurve: t.learningCurve ?? [],
    verification: t.verification ?? [],
    isReplay: t.isReplay ?? false,
    isEmulated: t.isEmulated ?? false,
    costPrior,
    forcedDevice: t.isForcedDevice ? (t.forcedDevice ?? 'hardware not named') : null,
    metric: t.metric ?? 'latencyMs',
  };
}

const range = (values: (number | null | undefined)[]): [number, number] | null => {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? [Math.min(...v), Math.max(...v)] : null;
};

const uniqueSorted = (values: (number | undefined)[]): number[] => [...new Set(values.filter((v): v is number => typeof v === 'number'))].sort((a, b) => a - b);

interface StoredMeasurement {
  runtime?: { runtime: string; version: string; executionProvider: string; requestedExecutionProvider: string; threads: number };
  settings?: { warmupRuns?: number };
  latency?: { n: number };
  conditionsBefore?: { tempC: number | null; curFreqMHz: number | null; governor: string | null };
  conditionsAfter?: { tempC: number | null; curFreqMHz: number | null; governor: string | null };
  isThrottled?: boolean;
  energy?: { status: string; method?: string; rails?: string[]; reason?: string };
}

function deviceRows(db: Database.Database, measurements: MeasurementRecord[]): DeviceRow[] {
  const agents = db.prepare('SELECT id, name, descriptor_json, connected FROM agents ORDER BY first_seen_ms').all() as { id: string; name: string; descriptor_json: string; connected: number }[];
  return agents.map((a) => {
    const d = JSON.parse(a.descriptor_json) as {
      fingerprint?: string;
      profile?: string | null;
      environment?: string;
      os?: { distro?: string; release?: string; arch?: string; platform?: string };
      cpu?: { model?: string; cores?: number; governor?: string | null };
      memoryBytes?: number;
      piModel?: string | null;
      platformVersion?: string;
    };
    const mine = measurements.filter((m) => m.agent_id === a.id);
    const results = mine.map((m) => JSON.parse(m.result_json) as StoredMeasurement);
    const first = results[0]?.runtime;
    const energies = [...new Set(results.map((r) => (r.energy?.status === 'measured' ? `${r.energy.method} (${(r.energy.rails ?? []).join(', ')})` : `unavailable${r.energy?.reason ? `: ${r.energy.reason}` : ''}`)))];
    const timed = results.map((r) => r.latency?.n).filter((n): n is number => typeof n === 'number').sort((x, y) => x - y);
    return {
      agentId: a.id,
      name: a.name,
      profile: d.profile ?? null,
      environment: d.environment ?? 'node',
      cpu: [d.piModel, d.cpu?.model].filter(Boolean).join(' / ') || 'unknown',
      cores: d.cpu?.cores ?? null,
      os: d.os ? `${d.os.distro ?? d.os.platform ?? ''} ${d.os.release ?? ''} ${d.os.arch ?? ''}`.trim() : 'unknown',
      memoryGiB: typeof d.memoryBytes === 'number' && d.memoryBytes > 0 ? d.memoryBytes / 2 ** 30 : null,
      targets: [...new Set(mine.map((m) => m.target))],
      measurements: mine.length,
      runtime: first ? `${first.runtime} ${first.version}` : null,
      executionProvider: first ? [...new Set(results.map((r) => r.runtime?.executionProvider))].join(', ') : null,
      requestedExecutionProvider: first ? [...new Set(results.map((r) => r.runtime?.requestedExecutionProvider))].join(', ') : null,
      threads: uniqueSorted(results.map((r) => r.runtime?.threads)),
      warmupRuns: uniqueSorted(results.map((r) => r.settings?.warmupRuns)),
      timedRunsMedian: timed.length ? timed[Math.floor(timed.length / 2)]! : null,
      tempBeforeC: range(results.map((r) => r.conditionsBefore?.tempC)),
      tempAfterC: range(results.map((r) => r.conditionsAfter?.tempC)),
      governor: [...new Set(results.map((r) => r.conditionsBefore?.governor).filter(Boolean))].join(', ') || d.cpu?.governor || null,
      freqMHz: range(results.flatMap((r) => [r.conditionsBefore?.curFreqMHz, r.conditionsAfter?.curFreqMHz])),
      throttledMeasurements: results.filter((r) => r.isThrottled).length,
      energy: energies.join('; ') || 'no measurements',
      fingerprint: d.fingerprint ?? '',
      isConnected: a.connected === 1,
    };
  });
}

function progressSeries(db: Database.Database, summary: Summary, targets: ReportTarget[], measurements: MeasurementRecord[]): ReportProgress {
  const scores = db.prepare('SELECT created_ms FROM proxy_scores WHERE proxy = ? ORDER BY created_ms').all(summary.proxy) as { created_ms: number }[];
  const firstJob = db.prepare('SELECT MIN(created_ms) AS t FROM jobs').get() as { t: number | null };
  const t0 = Math.min(scores[0]?.created_ms ?? Infinity, firstJob.t ?? Infinity, measurements[0]?.received_ms ?? Infinity);
  if (!Number.isFinite(t0)) return { startedAt: null, scored: [], measuredByTarget: {}, bestByTarget: {} };
  const sec = (ms: number): number => (ms - t0) / 1000;
  const scored = [{ t: 0, value: 0 }, ...scores.map((s, i) => ({ t: sec(s.created_ms), value: i + 1 }))];
  const measuredByTarget: Record<string, TimePoint[]> = {};
  const bestByTarget: Record<string, TimePoint[]> = {};
  for (const t of targets) {
    const mine = measurements.filter((m) => m.target === t.target);
    measuredByTarget[t.target] = [{ t: 0, value: 0 }, ...mine.map((m, i) => ({ t: sec(m.received_ms), value: i + 1, label: m.arch }))];
    const scoreOf = new Map(t.points.map((p) => [p.arch, p.score]));
    let best = -Infinity;
    const series: TimePoint[] = [];
    for (const m of mine) {
      const s = scoreOf.get(m.arch);
      const fits = m.latency_median_ms !== null && (!t.budget || t.budget.metric !== 'latency' || m.latency_median_ms <= t.budget.max);
      if (s !== undefined && fits && s > best) {
        best = s;
        series.push({ t: sec(m.received_ms), value: s, label: m.arch });
      }
    }
    bestByTarget[t.target] = series;
  }
  return { startedAt: new Date(t0).toISOString(), scored, measuredByTarget, bestByTarget };
}

/** Joins the scored candidates of every target with a ground-truth CSV (keyed by `arch_str`). */
export function compareWithTruth(targets: ReportTarget[], option: TruthOption): TruthComparison {
  let rows: Record<string, string>[];
  try {
    rows = readCsv(readFileSync(option.path, 'utf8'));
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot read the truth file '${option.path}': ${(err as Error).message}`, { path: option.path }, err);
  }
  if (rows.length && (!('arch_str' in rows[0]!) || !(option.column in rows[0]!))) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `truth file '${option.path}' needs columns arch_str and '${option.column}'; it has ${Object.keys(rows[0]!).join(', ')}`, {
      path: option.path,
      column: option.column,
    });
  }
  const truth = new Map(rows.map((r) => [r.arch_str!, Number(r[option.column])]));
  const scores = new Map<string, number>();
  for (const t of targets) for (const p of t.points) scores.set(p.arch, p.score);
  const points: TruthComparison['points'] = [];
  let missing = 0;
  for (const [arch, score] of scores) {
    const v = truth.get(arch);
    if (v === undefined || !Number.isFinite(v) || !Number.isFinite(score)) missing++;
    else points.push({ arch, score, truth: v });
  }
  const xs = points.map((p) => p.score);
  const ys = points.map((p) => p.truth);
  return {
    path: option.path,
    column: option.column,
    n: points.length,
    missing,
    kendall: points.length >= 3 ? kendallTauB(xs, ys) : null,
    spearman: points.length >= 3 ? spearman(xs, ys) : null,
    points,
  };
}

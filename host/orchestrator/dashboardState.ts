/**
 * What the live dashboard shows, as one JSON snapshot: connected agents (device, runtime, temperature, state),
 * the job queue, measurements per minute and search progress. Built from the server's agent map, the run store
 * (read in small queries; WAL readers never block the scheduler) and what the run reports through its hooks.
 * The browser page (host/report/dashboardPage.ts) renders it; `GET /dashboard/state` returns it as is.
 */
import type { Measurement } from '../../shared/protocol/index.js';
import type { Budget } from '../budgets/budget.js';
import { agentServesTarget } from './fleet.js';
import type { HostServer, MeasurementEvent } from './server.js';
import type { Store } from './store.js';

export interface DashboardAgent {
  id: string;
  name: string;
  profile: string | null;
  environment: string;
  cpu: string;
  cores: number;
  runtime: string | null;
  executionProvider: string | null;
  tempC: number | null;
  state: 'idle' | 'busy';
  jobId: string | null;
  arch: string | null;
  completed: number;
  lastSeenAgoMs: number;
  connectedForS: number;
  targets: string[];
}

export interface DashboardScoringQueue {
  url: string;
  waiting: number;
  active: number;
  workers: number;
  answered: number;
  perSecond: number;
}

export interface DashboardJob {
  id: number;
  target: string;
  arch: string;
  state: string;
  agent: string | null;
  attempts: number;
  lastError: string | null;
}

export interface DashboardState {
  runId: string;
  proxy: string;
  targets: string[];
  startedAtMs: number;
  nowMs: number;
  phase: { name: string; done: number; total: number } | null;
  isFinished: boolean;
  agents: DashboardAgent[];
  queue: { counts: Record<string, Record<'queued' | 'leased' | 'done' | 'failed', number>>; jobs: DashboardJob[] };
  throughput: { lastMinute: number; perMinute: { minute: number; n: number }[] };
  search: {
    scored: number;
    candidates: number;
    perTarget: { target: string; measured: number; planned: number; budget: string | null; best: { arch: string; score: number; latencyMs: number } | null }[];
    /** Cumulative measurements per target: seconds since start, count. */
    measuredSeries: Record<string, [number, number][]>;
  };
  log: string[];
  /** Proxy scoring through a Redis queue (`--queue`): its depth, workers and throughput; null when scoring is local. */
  scoringQueue: DashboardScoringQueue | null;
}

export interface DashboardRun {
  runId: string;
  proxy: string;
  targets: string[];
  candidates: number;
  measure: number;
  budgets: Budget[];
}

const MAX_LOG_LINES = 40;
const MAX_LISTED_JOBS = 30;

/** Keeps what the store does not hold (phase, log tail, latest conditions per agent) and builds snapshots. */
export class DashboardStateBuilder {
  private phase: DashboardState['phase'] = null;
  private scored = 0;
  private readonly logLines: string[] = [];
  private readonly latest = new Map<string, Measurement>();
  private readonly startedAtMs = Date.now();
  isFinished = false;

  constructor(
    private readonly server: HostServer,
    private readonly store: Store,
    private readonly run: DashboardRun,
  ) {
    server.on('measurement', (e: MeasurementEvent) => {
      if (e.measurement) this.latest.set(e.agentId, e.measurement);
    });
  }

  private scoringQueue: DashboardScoringQueue | null = null;

  setScoringQueue(stats: DashboardScoringQueue): void {
    this.scoringQueue = stats;
  }

  setPhase(name: string, done: number, total: number): void {
    this.phase = { name, done, total };
    if (name.startsWith('scoring')) this.scored = done;
  }

  note(line: string): void {
    this.logLines.push(`${new Date().toISOString().slice(11, 19)} ${line}`);
    if (this.logLines.length > MAX_LOG_LINES) this.logLines.splice(0, this.logLines.length - MAX_LOG_LINES);
  }

  snapshot(): DashboardState {
    const now = Date.now();
    const db = this.store.db;
    const runId = this.run.runId;
    const jobArch = db.prepare('SELECT arch FROM jobs WHERE id = ?');
    const agents: DashboardAgent[] = [...this.server.agents.values()].map((a) => {
      const m = this.latest.get(a.id);
      const available = a.device.runtimes.find((r) => r.isAvailable);
      const rowId = a.jobId ? Number(a.jobId.split('.')[0]) : NaN;
      return {
        id: a.id,
        name: a.device.name,
        profile: a.device.profile,
        environment: a.device.environment,
        cpu: a.device.cpu.model,
        cores: a.device.cpu.cores,
        runtime: m ? `${m.runtime.runtime} ${m.runtime.version}` : available ? `${available.runtime}${available.version ? ` ${available.version}` : ''}` : null,
        executionProvider: m ? m.runtime.executionProvider : null,
        tempC: m?.conditionsAfter.tempC ?? a.device.conditions.tempC,
        state: a.state,
        jobId: a.jobId,
        arch: Number.isFinite(rowId) ? ((jobArch.get(rowId) as { arch: string } | undefined)?.arch ?? null) : null,
        completed: a.completed,
        lastSeenAgoMs: now - a.lastSeen,
        connectedForS: (now - a.connectedAt) / 1000,
        targets: this.run.targets.filter((t) => agentServesTarget(a.device, t)),
      };
    });
    const counts: DashboardState['queue']['counts'] = {};
    for (const t of this.run.targets) counts[t] = { queued: 0, leased: 0, done: 0, failed: 0 };
    for (const row of db.prepare('SELECT target, state, COUNT(*) AS n FROM jobs WHERE run_id = ? GROUP BY target, state').all(runId) as { target: string; state: 'queued' | 'leased' | 'done' | 'failed'; n: number }[]) {
      (counts[row.target] ??= { queued: 0, leased: 0, done: 0, failed: 0 })[row.state] = row.n;
    }
    const jobs = (
      db
        .prepare(
          `SELECT id, target, arch, state, lease_agent, attempts, last_error FROM jobs WHERE run_id = ?
           ORDER BY CASE state WHEN 'leased' THEN 0 WHEN 'queued' THEN 1 WHEN 'failed' THEN 2 ELSE 3 END, id DESC LIMIT ?`,
        )
        .all(runId, MAX_LISTED_JOBS) as { id: number; target: string; arch: string; state: string; lease_agent: string | null; attempts: number; last_error: string | null }[]
    ).map((j) => ({ id: j.id, target: j.target, arch: j.arch, state: j.state, agent: j.state === 'leased' ? j.lease_agent : null, attempts: j.attempts, lastError: j.last_error }));
    const received = db.prepare('SELECT target, received_ms FROM measurements WHERE run_id = ? ORDER BY received_ms').all(runId) as { target: string; received_ms: number }[];
    const perMinute = new Map<number, number>();
    const measuredSeries: Record<string, [number, number][]> = Object.fromEntries(this.run.targets.map((t) => [t, [[0, 0]] as [number, number][]]));
    for (const r of received) {
      const minute = Math.floor((r.received_ms - this.startedAtMs) / 60_000);
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
      const series = (measuredSeries[r.target] ??= [[0, 0]]);
      series.push([Math.max(0, (r.received_ms - this.startedAtMs) / 1000), series.length]);
    }
    const lastMinuteIndex = Math.max(0, Math.floor((now - this.startedAtMs) / 60_000));
    const best = db
      .prepare(
        `SELECT m.target AS target, m.arch AS arch, m.latency_median_ms AS latencyMs, p.value AS score FROM measurements m
         JOIN proxy_scores p ON p.arch = m.arch AND p.proxy = ? AND p.ok = 1 WHERE m.run_id = ? AND m.latency_median_ms IS NOT NULL`,
      )
      .all(this.run.proxy, runId) as { target: string; arch: string; latencyMs: number; score: number }[];
    return {
      runId,
      proxy: this.run.proxy,
      targets: this.run.targets,
      startedAtMs: this.startedAtMs,
      nowMs: now,
      phase: this.phase,
      isFinished: this.isFinished,
      agents,
      queue: { counts, jobs },
      throughput: {
        lastMinute: received.filter((r) => r.received_ms > now - 60_000).length,
        perMinute: Array.from({ length: lastMinuteIndex + 1 }, (_, m) => ({ minute: m, n: perMinute.get(m) ?? 0 })),
      },
      search: {
        scored: this.scored,
        candidates: this.run.candidates,
        perTarget: this.run.targets.map((t) => {
          const budget = this.run.budgets.find((b) => b.target === t && b.metric === 'latency');
          const eligible = best.filter((b) => b.target === t && (!budget || b.latencyMs <= budget.max)).sort((a, b) => b.score - a.score);
          return {
            target: t,
            measured: counts[t]?.done ?? 0,
            planned: this.run.measure,
            budget: budget?.text ?? null,
            best: eligible[0] ? { arch: eligible[0].arch, score: eligible[0].score, latencyMs: eligible[0].latencyMs } : null,
          };
        }),
        measuredSeries,
      },
      log: [...this.logLines],
      scoringQueue: this.scoringQueue,
    };
  }
}

/**
 * Durable job scheduling on top of the store. Every transition is one SQLite transaction, so a crash at any
 * point leaves each job in exactly one state. Rules:
 *  - enqueue is idempotent (a dedupe key per job: the same measurement asked twice is one job);
 *  - a lease has a token and an expiry; results are accepted only with the live lease's token, so a duplicate,
 *    late (after expiry) or forged result changes nothing;
 *  - a failed attempt goes back to the queue after an exponential backoff until max attempts, then `failed`;
 *  - leases of an agent that disconnects are released at once; expired leases are reclaimed by `expireLeases`;
 *  - a lease is renewed while its agent reports it busy with that job (`renew`, on each heartbeat), so a measurement
 *    longer than the lease is not reclaimed; renewals stop at `maxLeaseMs` after the lease began;
 *  - fairness: an agent serving several targets takes from the target that was served least recently.
 */
import { randomUUID } from 'node:crypto';
import type { JobRow, JobState, Store } from './store.js';

export interface NewJob {
  runId: string;
  target: string;
  kind: string;
  arch: string;
  modelSha256: string;
  settings: unknown;
  /** Jobs with the same key are one job: re-enqueueing after a resume is a no-op. */
  dedupeKey: string;
  maxAttempts?: number;
}

export interface Lease {
  job: JobRow;
  token: string;
}

export interface SchedulerOptions {
  leaseMs: number;
  /** A lease is never renewed past this long after it began (default: an hour, the longest job timeout). */
  maxLeaseMs?: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  now?: () => number;
}

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = { leaseMs: 120_000, backoffBaseMs: 1_000, backoffMaxMs: 60_000 };

export type CompleteOutcome = 'accepted' | 'duplicate' | 'stale-lease' | 'unknown-job';

export class Scheduler {
  private readonly now: () => number;
  private readonly lastServed = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly options: SchedulerOptions = DEFAULT_SCHEDULER_OPTIONS,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Returns the job id (existing or new). */
  enqueue(job: NewJob): number {
    const db = this.store.db;
    db.prepare(
      `INSERT OR IGNORE INTO jobs(run_id, target, kind, arch, model_sha256, settings_json, state, max_attempts,
         created_ms, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
    ).run(job.runId, job.target, job.kind, job.arch, job.modelSha256, JSON.stringify(job.settings), job.maxAttempts ?? 3, this.now(), job.dedupeKey);
    return (db.prepare('SELECT id FROM jobs WHERE dedupe_key = ?').get(job.dedupeKey) as { id: number }).id;
  }

  /** Leases the next runnable job of one of `targets` to `agentId`, or returns undefined. */
  lease(agentId: string, targets: readonly string[]): Lease | undefined {
    if (targets.length === 0) return undefined;
    const db = this.store.db;
    return db.transaction((): Lease | undefined => {
      const now = this.now();
      const placeholders = targets.map(() => '?').join(',');
      const candidates = db
        .prepare(
          `SELECT target, MIN(id) AS id FROM jobs WHERE state = 'queued' AND not_before_ms <= ? AND target IN (${placeholders})
           GROUP BY target`,
        )
        .all(now, ...targets) as { target: string; id: number }[];
      if (candidates.length === 0) return undefined;
      candidates.sort((a, b) => (this.lastServed.get(a.target) ?? 0) - (this.lastServed.get(b.target) ?? 0) || a.id - b.id);
      const pick = candidates[0]!;
      const token = randomUUID();
      db.prepare(
        `UPDATE jobs SET state = 'leased', lease_agent = ?, lease_token = ?, lease_expires_ms = ?, leased_at_ms = ?,
           attempts = attempts + 1 WHERE id = ? AND state = 'queued'`,
      ).run(agentId, token, now + this.options.leaseMs, now, pick.id);
      this.lastServed.set(pick.target, now);
      return { job: this.job(pick.id)!, token };
    })();
  }

  job(id: number): JobRow | undefined {
    return this.store.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  }

  /**
   * Extends a live lease by `leaseMs` from now (its agent said it is still measuring the job), up to `maxLeaseMs`
   * after the lease began. False when the lease is not live (finished, expired, or another lease's token).
   */
  renew(jobId: number, token: string): boolean {
    const now = this.now();
    const maxLeaseMs = this.options.maxLeaseMs ?? 60 * 60 * 1_000;
    return (
      this.store.db
        .prepare(
          `UPDATE jobs SET lease_expires_ms = MIN(? , leased_at_ms + ?) WHERE id = ? AND state = 'leased' AND lease_token = ? AND lease_expires_ms >= ?`,
        )
        .run(now + this.options.leaseMs, maxLeaseMs, jobId, token, now).changes === 1
    );
  }

  /** Records a result for a live lease, atomically with the measurement row. */
  complete(
    jobId: number,
    token: string,
    measurement: { agentId: string; latencyMedianMs: number | null; energyJ: number | null; result: unknown; offeredMs?: number },
  ): CompleteOutcome {
    const db = this.store.db;
    return db.transaction((): CompleteOutcome => {
      const job = this.job(jobId);
      if (!job) return 'unknown-job';
      if (job.state === 'done') return 'duplicate';
      if (job.state !== 'leased' || job.lease_token !== token) return 'stale-lease';
      db.prepare(
        `INSERT INTO measurements(job_id, run_id, target, agent_id, arch, model_sha256, latency_median_ms, energy_j,
           result_json, offered_ms, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        job.id,
        job.run_id,
        job.target,
        measurement.agentId,
        job.arch,
        job.model_sha256,
        measurement.latencyMedianMs,
        measurement.energyJ,
        JSON.stringify(measurement.result),
        measurement.offeredMs ?? null,
        this.now(),
      );
      db.prepare(`UPDATE jobs SET state = 'done', lease_token = NULL, lease_expires_ms = NULL WHERE id = ?`).run(job.id);
      return 'accepted';
    })();
  }

  /** A failed attempt: back to the queue after a backoff, or `failed` once attempts are used up. */
  fail(jobId: number, token: string, error: string): 'requeued' | 'failed' | 'stale-lease' {
    const db = this.store.db;
    return db.transaction(() => {
      const job = this.job(jobId);
      if (!job || job.state !== 'leased' || job.lease_token !== token) return 'stale-lease' as const;
      return this.retryOrFail(job, error);
    })();
  }

  private retryOrFail(job: JobRow, error: string): 'requeued' | 'failed' {
    const db = this.store.db;
    if (job.attempts >= job.max_attempts) {
      db.prepare(`UPDATE jobs SET state = 'failed', lease_token = NULL, lease_agent = NULL, last_error = ? WHERE id = ?`).run(error, job.id);
      return 'failed';
    }
    const backoff = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (job.attempts - 1));
    db.prepare(
      `UPDATE jobs SET state = 'queued', lease_token = NULL, lease_agent = NULL, lease_expires_ms = NULL,
         not_before_ms = ?, last_error = ? WHERE id = ?`,
    ).run(this.now() + backoff, error, job.id);
    return 'requeued';
  }

  /** Requeues every job leased by an agent that went away (no backoff: the job itself did nothing wrong). */
  releaseAgent(agentId: string): number {
    const db = this.store.db;
    return db.transaction(() => {
      const rows = db.prepare(`SELECT * FROM jobs WHERE state = 'leased' AND lease_agent = ?`).all(agentId) as JobRow[];
      for (const job of rows) {
        db.prepare(
          `UPDATE jobs SET state = 'queued', lease_token = NULL, lease_agent = NULL, lease_expires_ms = NULL,
             attempts = MAX(attempts - 1, 0), last_error = 'agent disconnected' WHERE id = ?`,
        ).run(job.id);
      }
      return rows.length;
    })();
  }

  /** Reclaims leases past their expiry (a slow or silent agent); counts as a failed attempt. */
  expireLeases(): number {
    const db = this.store.db;
    return db.transaction(() => {
      const rows = db.prepare(`SELECT * FROM jobs WHERE state = 'leased' AND lease_expires_ms < ?`).all(this.now()) as JobRow[];
      for (const job of rows) this.retryOrFail(job, `lease expired on agent ${job.lease_agent}`);
      return rows.length;
    })();
  }

  counts(runId: string, target?: string): Record<JobState, number> {
    const rows = this.store.db
      .prepare(`SELECT state, COUNT(*) AS n FROM jobs WHERE run_id = ?${target ? ' AND target = ?' : ''} GROUP BY state`)
      .all(...(target ? [runId, target] : [runId])) as { state: JobState; n: number }[];
    const counts: Record<JobState, number> = { queued: 0, leased: 0, done: 0, failed: 0 };
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }

  /** Every lease that is still in flight (used on resume: leases of a dead host are void). */
  resetAllLeases(): number {
    return this.store.db
      .prepare(`UPDATE jobs SET state = 'queued', lease_token = NULL, lease_agent = NULL, lease_expires_ms = NULL, attempts = MAX(attempts - 1, 0) WHERE state = 'leased'`)
      .run().changes;
  }
}

/**
 * The host's side of the scoring queue: `score(request)` puts one job on the queue (or finds it there: the job id
 * is the hash of the job, scoringJob.ts) and resolves with the worker's score. Callers keep their caches as for
 * local scoring (host/orchestrator/proxyScoring.ts, the `score` CSV), so a resumed run asks nothing twice.
 *
 * Results arrive by QueueEvents; a poll of the jobs still pending backs it up, since events sent while the host was
 * disconnected (a Redis restart) are not replayed. The poll reads every pending job, so it runs often (`pollMs`)
 * only while no event arrives, and every 30 s otherwise: with 15,625 jobs pending that is the difference between
 * 7,800 and 500 reads a second. A job the poll cannot find any more (Redis lost it: restarted without
 * persistence) is put on the queue again.
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import { ZeronasError } from '../../shared/errors.js';
import type { ProxyResult } from '../proxies/zeroCostProxy.js';
import { queueWorkers } from './queueAdmin.js';
import { checkQueueReachable, type QueueEndpoint } from './queueEndpoint.js';
import { dataHash, scoringCodeHash } from './scoringIdentity.js';
import { fromAnswer, MISMATCH_PREFIX, POISONED_PREFIX, ScoringAnswerSchema, scoringJobId, type ScoringJob } from './scoringJob.js';

export interface ScoringRequest {
  space: string;
  scoreResolution?: number | undefined;
  arch: string;
  proxy: string;
  settings: { batchSize: number; batches: number; seed: number };
}

export interface QueueStats {
  waiting: number;
  active: number;
  completed: number;
  failed: number;
  workers: number;
  /** Jobs this host got answers for, and their rate over the last minute. */
  answered: number;
  perSecond: number;
}

interface Pending {
  job: ScoringJob;
  resolve: (r: ProxyResult & { worker?: string; seconds?: number }) => void;
  reject: (e: Error) => void;
}

export interface QueueScoringOptions {
  endpoint: QueueEndpoint;
  /** The data the host's settings name (undefined: the bundled sample); only its hash and name travel. */
  dataPath?: string | undefined;
  log?: (line: string) => void;
  pollMs?: number;
  /** Attempts for errors a worker throws that are not the architecture's fault (default 3). */
  attempts?: number;
}

export class QueueScoring {
  private readonly pending = new Map<string, Pending>();
  private readonly answeredAt: number[] = [];
  private answered = 0;
  private flushScheduled = false;
  private toAdd: string[] = [];
  private closed = false;
  private fatal: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastEventAt = 0;
  private lastFullPollAt = 0;

  private constructor(
    private readonly o: QueueScoringOptions,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly identity: { code: string; data: { sha256: string; label: string } },
  ) {}

  /** Connects (failing fast and clearly if Redis cannot be reached) and starts listening for results. */
  static async open(o: QueueScoringOptions): Promise<QueueScoring> {
    await checkQueueReachable(o.endpoint);
    const queue = new Queue(o.endpoint.queueName, { connection: o.endpoint.connection });
    const events = new QueueEvents(o.endpoint.queueName, { connection: o.endpoint.connection });
    let lastError = '';
    const onError = (err: Error): void => {
      if (err.message !== lastError) o.log?.(`queue: ${err.message} (retrying)`);
      lastError = err.message;
    };
    queue.on('error', onError);
    events.on('error', onError);
    await events.waitUntilReady();
    const label = o.dataPath ? o.dataPath.split(/[\\/]/).pop()! : 'bundled CIFAR-10 sample';
    const client = new QueueScoring(o, queue, events, { code: scoringCodeHash(), data: { sha256: dataHash(o.dataPath), label } });
    events.on('completed', ({ jobId, returnvalue }) => {
      client.lastEventAt = Date.now();
      client.settleCompleted(jobId, returnvalue);
    });
    events.on('failed', ({ jobId, failedReason }) => {
      client.lastEventAt = Date.now();
      client.settleFailed(jobId, failedReason);
    });
    client.timer = setInterval(() => void client.poll(), o.pollMs ?? 2_000);
    return client;
  }

  get url(): string {
    return this.o.endpoint.url;
  }

  score(request: ScoringRequest): Promise<ProxyResult & { worker?: string; seconds?: number }> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.closed) return Promise.reject(new ZeronasError('ZN_INTERNAL', 'the scoring queue client is closed'));
    const job: ScoringJob = {
      v: 1,
      space: request.space,
      spaceOptions: request.scoreResolution !== undefined ? { scoreResolution: request.scoreResolution } : {},
      arch: request.arch,
      proxy: request.proxy,
      settings: request.settings,
      data: this.identity.data,
      code: this.identity.code,
    };
    const id = scoringJobId(job);
    const existing = this.pending.get(id);
    if (existing) return new Promise((resolve, reject) => this.chain(existing, resolve, reject));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { job, resolve, reject });
      this.toAdd.push(id);
      // Requests made in the same tick go to Redis in one addBulk.
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  async stats(): Promise<QueueStats> {
    const [c, workers] = await Promise.all([this.queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized'), queueWorkers(this.queue, this.o.endpoint).then((w) => w.length)]);
    const now = Date.now();
    while (this.answeredAt.length && this.answeredAt[0]! < now - 60_000) this.answeredAt.shift();
    const span = this.answeredAt.length > 1 ? (now - this.answeredAt[0]!) / 1000 : 0;
    return {
      waiting: (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0),
      active: c.active ?? 0,
      completed: c.completed ?? 0,
      failed: c.failed ?? 0,
      workers,
      answered: this.answered,
      perSecond: span > 0 ? this.answeredAt.length / span : 0,
    };
  }

  /** Stops listening; requests still pending are rejected (their jobs stay on the queue for the next run). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const [id, p] of this.pending) p.reject(new ZeronasError('ZN_QUEUE_UNAVAILABLE', `stopped waiting for job ${id}`));
    this.pending.clear();
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }

  private chain(p: Pending, resolve: Pending['resolve'], reject: Pending['reject']): void {
    const [r0, j0] = [p.resolve, p.reject];
    p.resolve = (v) => {
      r0(v);
      resolve(v);
    };
    p.reject = (e) => {
      j0(e);
      reject(e);
    };
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const ids = this.toAdd.splice(0);
    const jobs = ids.map((id) => this.pending.get(id)).filter((p): p is Pending => p !== undefined);
    if (jobs.length === 0) return;
    try {
      for (let i = 0; i < jobs.length; i += 500) {
        await this.queue.addBulk(
          jobs.slice(i, i + 500).map((p) => ({
            name: p.job.proxy,
            data: p.job,
            opts: {
              jobId: scoringJobId(p.job),
              attempts: this.o.attempts ?? 3,
              backoff: { type: 'exponential', delay: 1_000 },
              // Kept a day: a rerun or a second host asking the same score gets it from Redis.
              removeOnComplete: { age: 24 * 3600 },
              removeOnFail: { age: 24 * 3600 },
            },
          })),
        );
      }
    } catch (err) {
      // Redis unreachable right now: the poll adds them again when it finds them missing.
      this.o.log?.(`queue: could not add ${jobs.length} jobs yet: ${(err as Error).message}`);
    }
    // A job that existed already (asked before) may be finished: look now rather than at the next poll.
    await this.check(ids, true);
  }

  private async poll(): Promise<void> {
    if (this.pending.size === 0 || this.closed) return;
    const now = Date.now();
    const eventsFlowing = now - this.lastEventAt < 5_000;
    if (eventsFlowing && now - this.lastFullPollAt < 30_000) return;
    this.lastFullPollAt = now;
    await this.check([...this.pending.keys()], false);
  }

  private async check(ids: string[], justAdded: boolean): Promise<void> {
    for (let i = 0; i < ids.length; i += 200) {
      const slice = ids.slice(i, i + 200);
      let jobs: (Job | undefined)[];
      try {
        jobs = await Promise.all(slice.map((id) => Job.fromId(this.queue, id)));
      } catch {
        return; // disconnected: the next poll tries again
      }
      for (const [k, job] of jobs.entries()) {
        const id = slice[k]!;
        if (!this.pending.has(id)) continue;
        if (!job) {
          if (!justAdded) this.readd(id);
          continue;
        }
        if (job.finishedOn && job.returnvalue !== undefined && job.returnvalue !== null && !job.failedReason) this.settleCompleted(id, job.returnvalue);
        else if (job.finishedOn && job.failedReason) {
          // A job that failed in an earlier run for a reason other than its architecture (a worker's mismatch, crashes)
          // is tried again; a poisoned one keeps its verdict.
          if (justAdded && !job.failedReason.startsWith(POISONED_PREFIX)) {
            await job.retry('failed').catch((err: unknown) => this.o.log?.(`queue: cannot retry ${id}: ${(err as Error).message}`));
          } else this.settleFailed(id, job.failedReason);
        }
      }
    }
  }

  private readd(id: string): void {
    this.o.log?.(`queue: job ${id} is no longer in Redis; adding it again`);
    this.toAdd.push(id);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  private settleCompleted(id: string, returnvalue: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    const raw = typeof returnvalue === 'string' ? safeJson(returnvalue) : returnvalue;
    const answer = ScoringAnswerSchema.safeParse(raw);
    this.pending.delete(id);
    this.noteAnswer();
    if (!answer.success) {
      p.resolve({ ok: false, reason: `the queue's answer for job ${id} is malformed: ${answer.error.issues[0]?.message ?? 'invalid'}` });
      return;
    }
    p.resolve({ ...fromAnswer(answer.data), worker: answer.data.worker, seconds: answer.data.seconds });
  }

  private settleFailed(id: string, reason: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    if (reason.startsWith(MISMATCH_PREFIX)) {
      // Not the architecture's fault, and every later job would meet the same worker: stop the run with the fix.
      this.fatal = new ZeronasError('ZN_QUEUE_MISMATCH', reason.slice(MISMATCH_PREFIX.length), { jobId: id });
      for (const q of this.pending.values()) q.reject(this.fatal);
      this.pending.clear();
      return;
    }
    this.pending.delete(id);
    this.noteAnswer();
    p.resolve({ ok: false, reason: reason.startsWith(POISONED_PREFIX) ? reason.slice(POISONED_PREFIX.length) : `scoring failed on the queue: ${reason}` });
  }

  private noteAnswer(): void {
    this.answered++;
    this.answeredAt.push(Date.now());
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}


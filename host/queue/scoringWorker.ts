/**
 * A scoring worker (`zeronas worker --queue redis://…`): takes scoring jobs from the BullMQ queue, refuses those
 * whose code or data hashes differ from its own, scores the rest with the same code path as local scoring
 * (scoringEngine.ts) and returns the score as the job's result.
 *
 * Faults, as BullMQ handles them with the settings below:
 *  - a worker that dies mid-job (SIGKILL, the OOM killer) stops renewing the job's lock; after `lockMs` another
 *    worker's stalled check puts the job back in the queue and it is scored elsewhere (at most `maxStalled` times);
 *  - a job that cannot be built fails at once with its reason (UnrecoverableError: no retries);
 *  - Redis going away: the connection retries until Redis is back; a job in hand finishes and reports then.
 */
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { ZeronasError } from '../../shared/errors.js';
import { dataHash, scoringCodeHash } from './scoringIdentity.js';
import { PoisonedJob, ScoringEngine } from './scoringEngine.js';
import { MISMATCH_PREFIX, POISONED_PREFIX, ScoringJobSchema, toAnswer, type ScoringAnswer } from './scoringJob.js';
import type { QueueEndpoint } from './queueEndpoint.js';

export interface ScoringWorkerOptions {
  endpoint: QueueEndpoint;
  /** This machine's copy of the proxies' data (undefined: the bundled sample). */
  dataPath?: string | undefined;
  /** Shown in job results, failures and `queue status`; default <hostname>:<pid>. */
  name?: string;
  /** How long a job's lock lasts without renewal before the job counts as stalled (default 60 s). */
  lockMs?: number;
  /** How often this worker looks for stalled jobs (default 30 s). */
  stalledCheckMs?: number;
  /** Times a job may stall (its worker died) before it fails (default 2). */
  maxStalled?: number;
  log: (line: string) => void;
}

export interface ScoringWorkerHandle {
  readonly name: string;
  readonly codeHash: string;
  readonly dataHash: string;
  /** Stops taking jobs and resolves once the job in hand is finished; `force`: abandons it (another worker retakes it). */
  close(force?: boolean): Promise<void>;
  /** Jobs this worker answered, refused or failed so far. */
  counts(): { scored: number; refused: number; poisoned: number };
}

export async function startScoringWorker(o: ScoringWorkerOptions): Promise<ScoringWorkerHandle> {
  const name = o.name ?? `${hostname()}:${process.pid}`;
  const codeHash = scoringCodeHash();
  const myData = dataHash(o.dataPath);
  const bundledData = dataHash(undefined);
  const engine = new ScoringEngine(o.dataPath);
  const counts = { scored: 0, refused: 0, poisoned: 0 };

  const processor = async (job: Job): Promise<ScoringAnswer> => {
    const parsed = ScoringJobSchema.safeParse(job.data);
    if (!parsed.success) {
      counts.poisoned++;
      throw new UnrecoverableError(`${POISONED_PREFIX}invalid scoring job ${job.id}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const s = parsed.data;
    if (s.code !== codeHash) {
      counts.refused++;
      o.log(`refused job ${job.id}: scoring code ${short(codeHash)} here, ${short(s.code)} on the host`);
      throw new UnrecoverableError(
        `${MISMATCH_PREFIX}worker ${name} runs scoring code ${short(codeHash)}, the job was made by code ${short(s.code)}: bring the worker's checkout to the host's commit (git pull && npm ci) and restart it`,
      );
    }
    if (s.data.sha256 !== myData) {
      counts.refused++;
      o.log(`refused job ${job.id}: data ${short(myData)} here, ${short(s.data.sha256)} (${s.data.label}) on the host`);
      throw new UnrecoverableError(
        `${MISMATCH_PREFIX}worker ${name} has data ${short(myData)} (${o.dataPath ?? 'the bundled sample'}), the job needs ${short(s.data.sha256)} (${s.data.label}): ${
          s.data.sha256 === bundledData ? 'start the worker without --data (the host uses the bundled sample)' : "copy the host's file to the worker and start it with --data <that file>"
        }`,
      );
    }
    const t0 = performance.now();
    try {
      const result = await engine.score(s);
      counts.scored++;
      return toAnswer(result, (performance.now() - t0) / 1000, name);
    } catch (err) {
      if (err instanceof PoisonedJob) {
        counts.poisoned++;
        o.log(`job ${job.id} cannot be scored: ${err.message}`);
        throw new UnrecoverableError(`${POISONED_PREFIX}${err.message}`);
      }
      throw err; // anything else is retried (attempts, backoff: set by the host on the job)
    }
  };

  const worker = new Worker(o.endpoint.queueName, processor, {
    connection: o.endpoint.connection,
    name,
    concurrency: 1,
    lockDuration: o.lockMs ?? 60_000,
    stalledInterval: o.stalledCheckMs ?? 30_000,
    maxStalledCount: o.maxStalled ?? 2,
    autorun: false,
  });
  let lastError = '';
  worker.on('error', (err) => {
    // Connection loss is reported once per distinct message; ioredis keeps retrying.
    if (err.message !== lastError) o.log(`queue: ${err.message} (retrying)`);
    lastError = err.message;
  });
  worker.on('active', (job) => {
    const data = job.data as { proxy?: string; arch?: string };
    o.log(`${name}: scoring ${data.proxy} (job ${job.id}, attempt ${job.attemptsMade + 1}): ${data.arch}`);
  });
  worker.on('completed', (job, answer: ScoringAnswer) => {
    const data = job.data as { proxy?: string; arch?: string };
    o.log(`${name}: ${answer.ok ? `scored ${data.proxy} = ${answer.value}` : `${data.proxy} failed (${answer.reason})`} in ${answer.seconds.toFixed(2)} s: ${data.arch}`);
  });
  worker.on('ready', () => {
    if (lastError) o.log('queue: connected again');
    lastError = '';
  });
  void worker.run().catch((err: unknown) => o.log(`worker stopped: ${(err as Error).message}`));
  try {
    await worker.waitUntilReady();
  } catch (err) {
    await worker.close(true).catch(() => {});
    throw new ZeronasError('ZN_QUEUE_UNAVAILABLE', `worker cannot start on ${o.endpoint.url}: ${(err as Error).message}`, { queue: o.endpoint.url }, err);
  }
  return {
    name,
    codeHash,
    dataHash: myData,
    close: (force = false) => worker.close(force),
    counts: () => ({ ...counts }),
  };
}

function short(hash: string): string {
  return hash.slice(0, 12);
}

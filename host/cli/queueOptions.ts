/**
 * `--queue redis://…` on the commands that score (score, search, bench proxies, orchestrate): the options, the
 * client, and a periodic line of queue progress (depth, workers, throughput). Without `--queue` nothing changes.
 */
import type { Argv } from 'yargs';
import { ZeronasError } from '../../shared/errors.js';
import { parseQueueEndpoint, PASSWORD_ENV } from '../queue/queueEndpoint.js';
import type { QueueScoring, QueueStats } from '../queue/queueScoring.js';

/** Candidates a sample search scores at once through a queue: enough to keep a few hundred workers busy. */
export const QUEUE_WINDOW = 256;

export interface QueueArgs {
  queue?: string;
  queueName?: string;
  queuePasswordFile?: string;
}

export function withQueueOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('queue', { type: 'string', describe: `Score on workers through a Redis queue (redis://<host>:<port>[/<db>], rediss:// for TLS; password from ${PASSWORD_ENV} or --queue-password-file); start workers with \`zeronas worker --queue <same URL>\`` })
    .option('queue-name', { type: 'string', describe: 'Queue to use on that Redis (default zeronas-scoring); workers must use the same' })
    .option('queue-password-file', { type: 'string', describe: `With --queue: a file holding the Redis password (default: ${PASSWORD_ENV})` }) as never;
}

/** The queue client when --queue is given (Redis checked now, so a bad URL or password fails before any work). */
export async function openQueueFromArgs(args: QueueArgs, dataPath: string | undefined, log: (line: string) => void): Promise<QueueScoring | undefined> {
  if (!args.queue) {
    const given = args.queueName !== undefined ? `--queue-name ${args.queueName}` : args.queuePasswordFile !== undefined ? `--queue-password-file ${args.queuePasswordFile}` : undefined;
    if (given) throw new ZeronasError('ZN_BAD_ARGUMENT', `${given} goes with --queue redis://<host>:<port> (scoring through a queue); without --queue scoring is local`, {});
    return undefined;
  }
  const endpoint = parseQueueEndpoint(args.queue, { passwordFile: args.queuePasswordFile, queueName: args.queueName });
  const { QueueScoring } = await import('../queue/queueScoring.js');
  const client = await QueueScoring.open({ endpoint, dataPath, log });
  const stats = await client.stats();
  log(`scoring through the queue ${endpoint.queueName} at ${endpoint.url}: ${stats.workers} worker(s) connected, ${stats.waiting} job(s) waiting`);
  if (stats.workers === 0) {
    const extra = `${args.queueName ? ` --queue-name ${args.queueName}` : ''}${args.queuePasswordFile ? ` --queue-password-file ${args.queuePasswordFile}` : ''}`;
    log(`no worker is connected yet; jobs wait until one starts: npx zeronas worker --queue ${endpoint.url}${extra}`);
  }
  return client;
}

/** `quietS`: seconds without a new answer while jobs are active (a worker killed mid-job holds its job until its lock expires). */
export function queueStatsLine(s: QueueStats, quietS = 0): string {
  const line = `queue: ${s.waiting} waiting, ${s.active} active, ${s.workers} worker(s), ${s.answered} answered here, ${s.perSecond.toFixed(2)} jobs/s`;
  if (s.active === 0 || quietS < 20) return line;
  return `${line}; no answer for ${Math.round(quietS)} s: a job whose worker died returns to the queue when its lock expires (the worker's --lock-seconds, default 60 s)`;
}

/** Logs queue progress every `everyMs` until stopped. */
export function reportQueueProgress(client: QueueScoring, log: (line: string) => void, everyMs = 10_000): () => void {
  let last = { answered: -1, at: Date.now() };
  const timer = setInterval(() => {
    client.stats().then((s) => {
      if (s.answered !== last.answered) last = { answered: s.answered, at: Date.now() };
      log(queueStatsLine(s, (Date.now() - last.at) / 1000));
    }, () => {});
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * `zeronas worker`: checks the queue, prints what it serves with (code and data hashes), then takes jobs until
 * SIGINT/SIGTERM, finishing the job in hand first. With --concurrency n > 1 it runs n worker processes.
 */
import { hostname } from 'node:os';
import { ZeronasError } from '../../shared/errors.js';
import { checkQueueReachable, parseQueueEndpoint } from '../queue/queueEndpoint.js';
import { printJson } from './output.js';
import type { WorkerArgs } from './commands/worker.js';

export async function runWorker(args: WorkerArgs): Promise<number> {
  for (const [flag, v] of [['--concurrency', args.concurrency], ['--lock-seconds', args.lockSeconds], ['--stalled-check-seconds', args.stalledCheckSeconds]] as const) {
    if (!Number.isFinite(v) || v <= 0 || (flag === '--concurrency' && !Number.isInteger(v))) throw new ZeronasError('ZN_BAD_ARGUMENT', `${flag} must be a positive ${flag === '--concurrency' ? 'integer' : 'number'}, got ${v}`);
  }
  const endpoint = parseQueueEndpoint(args.queue, { passwordFile: args.queuePasswordFile, queueName: args.queueName });
  const log = (line: string): void => {
    if (args.json) printJson({ at: new Date().toISOString(), event: line });
    else if (!args.quiet) process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  };
  const name = args.name ?? `${hostname()}:${process.pid}`;
  const { redisVersion } = await checkQueueReachable(endpoint);
  if (args.concurrency > 1) {
    const { runWorkerPool } = await import('../queue/workerPool.js');
    const passOn = ['--queue', args.queue, ...(args.queueName ? ['--queue-name', args.queueName] : []), ...(args.queuePasswordFile ? ['--queue-password-file', args.queuePasswordFile] : []), ...(args.data ? ['--data', args.data] : []), '--lock-seconds', String(args.lockSeconds), '--stalled-check-seconds', String(args.stalledCheckSeconds), ...(args.json ? ['--json'] : []), ...(args.quiet ? ['--quiet'] : [])];
    log(`${args.concurrency} worker processes on ${endpoint.url} (queue ${endpoint.queueName}, Redis ${redisVersion})`);
    return runWorkerPool({ concurrency: args.concurrency, args: passOn, name, log });
  }
  const { startScoringWorker } = await import('../queue/scoringWorker.js');
  const worker = await startScoringWorker({
    endpoint,
    dataPath: args.data,
    name,
    lockMs: args.lockSeconds * 1000,
    stalledCheckMs: args.stalledCheckSeconds * 1000,
    log,
  });
  log(`worker ${worker.name} (pid ${process.pid}) serving ${endpoint.queueName} at ${endpoint.url} (Redis ${redisVersion}): scoring code ${worker.codeHash.slice(0, 12)}, data ${worker.dataHash.slice(0, 12)} (${args.data ?? 'bundled CIFAR-10 sample'})`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log('stopping after the job in hand (signal again to stop now: the job goes back to the queue for another worker)');
  // A second signal abandons the job in hand: its lock lapses and another worker's stalled check retakes it.
  const force = (): void => void worker.close(true).then(() => process.exit(130));
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  await worker.close();
  log(`stopped: ${JSON.stringify(worker.counts())}`);
  return 0;
}

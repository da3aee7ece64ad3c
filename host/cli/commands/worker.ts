import type { CommandModule } from 'yargs';
import type { OutputOptions } from '../output.js';
import { PASSWORD_ENV } from '../../queue/queueEndpoint.js';

export interface WorkerArgs extends OutputOptions {
  queue: string;
  queueName?: string;
  queuePasswordFile?: string;
  data?: string;
  concurrency: number;
  name?: string;
  lockSeconds: number;
  stalledCheckSeconds: number;
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: 'Score architectures for hosts on other machines: take scoring jobs from a Redis queue (score/search/bench proxies/orchestrate --queue)',
  builder: (y) =>
    y
      .option('queue', { type: 'string', demandOption: true, describe: `The queue's Redis: redis://<host>:<port>[/<db>] or rediss:// (TLS); password from ${PASSWORD_ENV} or --queue-password-file, never the URL` })
      .option('queue-name', { type: 'string', describe: 'Queue to take jobs from (default zeronas-scoring); the hosts must use the same' })
      .option('queue-password-file', { type: 'string', describe: `A file holding the Redis password (default: ${PASSWORD_ENV})` })
      .option('data', { type: 'string', describe: "This machine's copy of the proxies' data (default: the bundled CIFAR-10 sample); jobs for other data (by sha256) are refused" })
      .option('concurrency', { type: 'number', default: 1, describe: 'Jobs at once, each in its own process with cores/n threads' })
      .option('name', { type: 'string', describe: 'Worker name in results and queue listings (default <hostname>:<pid>)' })
      .option('lock-seconds', { type: 'number', default: 60, describe: 'A job whose worker stops renewing its lock this long (killed, lost) is given to another worker' })
      .option('stalled-check-seconds', { type: 'number', default: 30, describe: 'How often this worker looks for such jobs' })
      .example('ZERONAS_REDIS_PASSWORD=<pw> $0 worker --queue redis://10.0.0.5:6379 --concurrency 2', 'Serve a queue with two processes')
      .example('$0 score --sample 1000 --proxies zico --out scores.csv --queue redis://10.0.0.5:6379', 'On the host: score through the queue') as never,
  handler: async (args) => {
    const { runWorker } = await import('../runWorker.js');
    process.exitCode = await runWorker(args);
  },
};

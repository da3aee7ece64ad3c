import type { CommandModule } from 'yargs';
import { parseQueueEndpoint, PASSWORD_ENV } from '../../queue/queueEndpoint.js';
import { printJson, table, type OutputOptions } from '../output.js';

type Args = OutputOptions & { action: string; queue: string; queueName?: string; queuePasswordFile?: string };

export const queueCommand: CommandModule<object, Args> = {
  command: 'queue <action>',
  describe: 'Look at a scoring queue (status: jobs and connected workers) or empty it (drain: remove the jobs not started)',
  builder: (y) =>
    y
      .positional('action', { type: 'string', choices: ['status', 'drain'], describe: 'status, or drain (running jobs finish; the waiting ones are removed)' })
      .option('queue', { type: 'string', demandOption: true, describe: `The queue's Redis: redis://<host>:<port>[/<db>] or rediss://; password from ${PASSWORD_ENV} or --queue-password-file` })
      .option('queue-name', { type: 'string', describe: 'Queue (default zeronas-scoring)' })
      .option('queue-password-file', { type: 'string', describe: `A file holding the Redis password (default: ${PASSWORD_ENV})` })
      .example('$0 queue status --queue redis://10.0.0.5:6379', 'Jobs waiting, running, done, failed; the workers connected')
      .example('$0 queue drain --queue redis://10.0.0.5:6379', 'Remove the jobs not started (after stopping a run you will not resume)') as never,
  handler: async (args) => {
    const endpoint = parseQueueEndpoint(args.queue, { passwordFile: args.queuePasswordFile, queueName: args.queueName });
    const { drainQueue, queueStatus } = await import('../../queue/queueAdmin.js');
    if (args.action === 'drain') {
      const r = await drainQueue(endpoint);
      if (args.json) printJson({ url: endpoint.url, queueName: endpoint.queueName, ...r });
      else process.stdout.write(`removed ${r.removed} job(s) not started from ${endpoint.queueName} at ${endpoint.url}; running ones finish\n`);
      return;
    }
    const s = await queueStatus(endpoint);
    if (args.json) return printJson(s);
    const c = s.counts;
    process.stdout.write(`${s.queueName} at ${s.url} (Redis ${s.redisVersion}): ${c.waiting} waiting, ${c.delayed} delayed (retries), ${c.active} running, ${c.completed} done, ${c.failed} failed; ${s.workers.length} worker(s)\n`);
    // Redis' idle time of the worker's connection: a worker busy scoring one long job is quiet, not idle.
    if (s.workers.length) process.stdout.write(`${table([['worker', 'address', 'connection quiet for (s)'], ...s.workers.map((w) => [w.name, w.address, w.idleSeconds])])}\n(a worker scoring a long job is quiet on its connection; ${c.active} job(s) are running)\n`);
  },
};

/**
 * Looking at and emptying a scoring queue (`zeronas queue status|drain`): what is waiting, running, done and failed,
 * which workers are connected (on this queue's Redis database), and removing what has not started (jobs sent by a
 * run that was stopped keep being scored otherwise).
 */
import { Queue } from 'bullmq';
import { checkQueueReachable, queueError, type QueueEndpoint } from './queueEndpoint.js';

export interface QueueStatus {
  url: string;
  queueName: string;
  redisVersion: string;
  counts: { waiting: number; active: number; completed: number; failed: number; delayed: number };
  workers: { name: string; address: string; idleSeconds: number }[];
}

/**
 * The workers connected to this queue on the endpoint's database. BullMQ lists them from CLIENT LIST, which spans
 * every database of the server, so the others are filtered out here.
 */
export async function queueWorkers(queue: Queue, endpoint: QueueEndpoint): Promise<{ name: string; address: string; idleSeconds: number }[]> {
  const db = String(endpoint.connection.db ?? 0);
  const clients = (await queue.getWorkers()) as { rawname?: string; addr?: string; idle?: string; db?: string }[];
  return (
    clients
      .filter((w) => w.db === undefined || w.db === db)
      // BullMQ names a worker's connection <prefix>:<queue>:w:<worker name>.
      .map((w) => ({ name: (w.rawname ?? '').split(':w:')[1] ?? w.rawname ?? '?', address: w.addr ?? '?', idleSeconds: Number(w.idle ?? 0) }))
  );
}

async function withQueue<T>(endpoint: QueueEndpoint, fn: (q: Queue, redisVersion: string) => Promise<T>): Promise<T> {
  const { redisVersion } = await checkQueueReachable(endpoint);
  const queue = new Queue(endpoint.queueName, { connection: endpoint.connection });
  queue.on('error', () => {}); // the awaited calls report
  try {
    return await fn(queue, redisVersion);
  } catch (err) {
    throw queueError(endpoint, err);
  } finally {
    await queue.close();
  }
}

export async function queueStatus(endpoint: QueueEndpoint): Promise<QueueStatus> {
  return withQueue(endpoint, async (q, redisVersion) => {
    const c = await q.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized');
    return {
      url: endpoint.url,
      queueName: endpoint.queueName,
      redisVersion,
      counts: { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, completed: c.completed ?? 0, failed: c.failed ?? 0, delayed: c.delayed ?? 0 },
      workers: await queueWorkers(q, endpoint),
    };
  });
}

/** Removes the jobs that have not started (waiting and delayed); running ones finish. Returns how many went. */
export async function drainQueue(endpoint: QueueEndpoint): Promise<{ removed: number }> {
  return withQueue(endpoint, async (q) => {
    const c = await q.getJobCounts('waiting', 'delayed', 'prioritized');
    const before = (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0);
    await q.drain(true);
    const a = await q.getJobCounts('waiting', 'delayed', 'prioritized');
    return { removed: before - ((a.waiting ?? 0) + (a.delayed ?? 0) + (a.prioritized ?? 0)) };
  });
}

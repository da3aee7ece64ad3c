/**
 * `zeronas worker --concurrency n` (n > 1): n worker processes, each scoring one job at a time with cores/n
 * onnxruntime threads. Processes rather than jobs in one process, as BullMQ's sandboxed processors: a job that
 * crashes its process (a native fault, the OOM killer) takes one slot down, its job is recovered as stalled, and
 * the slot is started again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface WorkerPoolOptions {
  concurrency: number;
  /** The `zeronas worker` arguments every process gets (without --concurrency and --name). */
  args: string[];
  name: string;
  log: (line: string) => void;
}

export async function runWorkerPool(o: WorkerPoolOptions): Promise<number> {
  const bin = fileURLToPath(new URL('../../bin/zeronas.js', import.meta.url));
  const threads = Math.max(1, Math.floor(availableParallelism() / o.concurrency));
  let stopping = false;
  const children = new Map<number, ChildProcess>();
  const start = (slot: number): void => {
    const child = spawn(process.execPath, [bin, 'worker', ...o.args, '--concurrency', '1', '--name', `${o.name}-${slot}`], {
      env: { ...process.env, ZERONAS_THREADS: process.env.ZERONAS_THREADS ?? String(threads) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(slot, child);
    child.on('exit', (code, signal) => {
      children.delete(slot);
      if (stopping) return;
      o.log(`worker ${o.name}-${slot} exited (${signal ?? `code ${code}`}); starting it again in 2 s`);
      setTimeout(() => !stopping && start(slot), 2_000);
    });
  };
  for (let slot = 0; slot < o.concurrency; slot++) start(slot);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      o.log(`stopping ${children.size} worker(s) after their current job`);
      for (const c of children.values()) c.kill('SIGTERM');
      const wait = setInterval(() => {
        if (children.size === 0) {
          clearInterval(wait);
          resolve();
        }
      }, 100);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

/**
 * Scoring throughput through the queue (issue 24), in one run on this machine: local scoring (`zeronas score`),
 * then the same cells through a Redis queue served by 1 worker and by 2 workers (each phase on a fresh queue, so
 * nothing is answered from an earlier phase), and the queue's overhead per job: the time from submitting a job to
 * its answer minus the worker's computing time, jobs sent one at a time to one idle worker.
 *
 *   npx tsx scripts/bench/queueThroughput.ts [--cells 24] [--proxy zico] [--overhead-jobs 20] [--json out.json]
 *
 * Every phase runs the real CLI processes (host and workers), with the same total number of onnxruntime threads
 * (the machine's cores): local and 1 worker get all of them, each of 2 workers half. Worker start-up is not timed
 * (workers are serving before the host starts); the host's own start-up is in every phase alike.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseQueueEndpoint } from '../../host/queue/queueEndpoint.js';
import { QueueScoring } from '../../host/queue/queueScoring.js';
import { median } from '../../host/cost/regression.js';
import { sampleNb201 } from '../../host/cli/archSelection.js';
import { readCsv } from '../../host/util/csv.js';
import { startProcess, type Proc } from '../../test/helpers/processes.js';
import { startRedis } from '../../test/helpers/redisServer.js';
import { option } from '../scriptArgs.js';

const cells = Number(option('cells', '24'));
const proxy = option('proxy', 'zico');
const overheadJobs = Number(option('overhead-jobs', '20'));
const jsonOut = option('json', '');
const cores = availableParallelism();
const BIN = fileURLToPath(new URL('../../bin/zeronas.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'zeronas-queue-bench-'));
const redis = await startRedis();

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve((performance.now() - t0) / 1000) : reject(new Error(`zeronas ${args.join(' ')} exited ${code}`))));
  });
}

async function workers(n: number, queueName: string): Promise<Proc[]> {
  const ws = Array.from({ length: n }, (_, i) =>
    startProcess('zeronas.js', ['worker', '--queue', redis.url, '--queue-name', queueName, '--name', `bench-${queueName}-${i}`, '--quiet'], { ZERONAS_THREADS: String(Math.max(1, Math.floor(cores / n))) }),
  );
  // --quiet hides the serving line: wait until Redis lists every worker instead.
  const { Queue } = await import('bullmq');
  const q = new Queue(queueName, { connection: parseQueueEndpoint(redis.url, { queueName }).connection });
  for (let i = 0; (await q.getWorkersCount()) < n; i++) {
    if (i > 600) throw new Error(`only ${await q.getWorkersCount()} of ${n} workers came up`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await q.close();
  return ws;
}

async function stop(ws: Proc[]): Promise<void> {
  for (const w of ws) w.kill('SIGTERM');
  await Promise.all(ws.map((w) => w.exited));
}

const archsFile = join(dir, 'archs.txt');
writeFileSync(archsFile, `${sampleNb201(cells, 11).join('\n')}\n`);
const scoreArgs = (out: string): string[] => ['score', '--archs', archsFile, '--proxies', proxy, '--out', out, '--quiet'];
const computeSeconds = (out: string): number => readCsv(readFileSync(out, 'utf8')).reduce((s, r) => s + Number(r[`${proxy}_seconds`]), 0);

console.log(`queue throughput: ${cells} NAS-Bench-201 cells, proxy ${proxy}, ${cores} cores, Redis from redis-server (local loopback)`);
const localOut = join(dir, 'local.csv');
const localWall = await run(scoreArgs(localOut), { ZERONAS_THREADS: String(cores) });
const rows: { phase: string; wallSeconds: number; archsPerSecond: number; computeSeconds: number }[] = [];
rows.push({ phase: 'local', wallSeconds: localWall, archsPerSecond: cells / localWall, computeSeconds: computeSeconds(localOut) });
for (const n of [1, 2]) {
  const queueName = `bench-${n}-${Date.now()}`;
  const ws = await workers(n, queueName);
  const out = join(dir, `queue${n}.csv`);
  const wall = await run([...scoreArgs(out), '--queue', redis.url, '--queue-name', queueName], {});
  await stop(ws);
  rows.push({ phase: `queue, ${n} worker${n > 1 ? 's' : ''}`, wallSeconds: wall, archsPerSecond: cells / wall, computeSeconds: computeSeconds(out) });
}

// Overhead per job: one idle worker, one job at a time, a cheap proxy so the overhead is not lost in the noise.
const queueName = `bench-overhead-${Date.now()}`;
const [w] = await workers(1, queueName);
const client = await QueueScoring.open({ endpoint: parseQueueEndpoint(redis.url, { queueName }), dataPath: undefined });
const overheadMs: number[] = [];
const archs = sampleNb201(overheadJobs + 1, 12);
for (const [i, arch] of archs.entries()) {
  const t0 = performance.now();
  const r = await client.score({ space: 'nb201', arch, proxy: 'swap', settings: { batchSize: 64, batches: 2, seed: 0 } });
  const total = performance.now() - t0;
  if (i > 0) overheadMs.push(total - (r.seconds ?? 0) * 1000); // the first job also prepares the worker's data
}
await client.close();
await stop([w!]);
await redis.stop();

const base = rows[0]!.archsPerSecond;
console.log('phase                 wall s   archs/s   vs local   compute s (sum over cells)');
for (const r of rows) console.log(`${r.phase.padEnd(20)} ${r.wallSeconds.toFixed(1).padStart(7)} ${r.archsPerSecond.toFixed(3).padStart(9)} ${`${(r.archsPerSecond / base).toFixed(2)}x`.padStart(10)}   ${r.computeSeconds.toFixed(1)}`);
const sorted = [...overheadMs].sort((a, b) => a - b);
console.log(`queue overhead per job (submit to answer minus the worker's compute, ${overheadMs.length} jobs, swap): median ${median(overheadMs).toFixed(1)} ms, p90 ${sorted[Math.floor(0.9 * (sorted.length - 1))]!.toFixed(1)} ms`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ cells, proxy, cores, phases: rows, overheadMs }, null, 2));

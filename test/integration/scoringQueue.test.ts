/**
 * The scoring queue (issue 24) with real parts: Debian's redis-server (password set, append-only file fsynced on
 * every write), `zeronas worker` processes, and `zeronas score --queue` as the host. Scores must equal local
 * scoring's; a worker SIGKILLed mid-job and a Redis crash must lose and duplicate nothing; a job that cannot be
 * built fails once; a worker with other data refuses with the fix; a peer without the password gets nothing.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueEndpoint } from '../../host/queue/queueEndpoint.js';
import { QueueScoring } from '../../host/queue/queueScoring.js';
import { dataHash, scoringCodeHash } from '../../host/queue/scoringIdentity.js';
import { DEFAULT_DATASET_PATH } from '../../host/data/openDataset.js';
import { readCsv } from '../../host/util/csv.js';
import { startProcess, type Proc } from '../helpers/processes.js';
import { runCli } from '../helpers/runCli.js';
import { startRedis, type RedisServer } from '../helpers/redisServer.js';

const PASSWORD = 'queue-test-secret';
const ENV = { ZERONAS_REDIS_PASSWORD: PASSWORD, ZERONAS_THREADS: '1' };
// Short locks, so a killed worker's job comes back within seconds (the defaults are 60 s and 30 s).
const FAST_RECOVERY = ['--lock-seconds', '4', '--stalled-check-seconds', '1'];
const SAMPLE = ['--sample', '6', '--seed', '3', '--proxies', 'zico,swap', '--batch-size', '16', '--batches', '2'];

let redis: RedisServer;
let local: Map<string, Record<string, number | null>>;
const procs: Proc[] = [];
const dir = mkdtempSync(join(tmpdir(), 'zeronas-queue-'));

function startWorker(args: string[] = [], env: NodeJS.ProcessEnv = ENV): Proc {
  const p = startProcess('zeronas.js', ['worker', '--queue', redis.url, ...FAST_RECOVERY, ...args], env);
  procs.push(p);
  return p;
}

async function serving(p: Proc): Promise<number> {
  const m = await p.waitFor(/worker \S+ \(pid (\d+)\) serving/, 120_000);
  return Number(m[1]);
}

async function stopAll(): Promise<void> {
  for (const p of procs.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
}

function scoresOf(stdout: string): Map<string, Record<string, number | null>> {
  const rows = JSON.parse(stdout) as { arch: string; scores: Record<string, number | null> }[];
  return new Map(rows.map((r) => [r.arch, r.scores]));
}

/** The --out CSV holds every cell of the sample exactly once, with the scores local scoring gave. */
function expectEveryCellOnceAsLocal(path: string): void {
  const rows = readCsv(readFileSync(path, 'utf8')) as { arch: string; zico: string; swap: string }[];
  expect(rows.map((x) => x.arch).sort()).toEqual([...local.keys()].sort());
  for (const row of rows) {
    expect(Number(row.zico)).toBe(local.get(row.arch)!.zico);
    expect(Number(row.swap)).toBe(local.get(row.arch)!.swap);
  }
}

beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD });
  const r = await runCli(['score', ...SAMPLE, '--json'], { env: { ZERONAS_THREADS: '1' }, timeoutMs: 300_000 });
  expect(r.code, r.stderr).toBe(0);
  local = scoresOf(r.stdout);
  expect(local.size).toBe(6);
}, 400_000);

afterAll(async () => {
  await stopAll();
  await redis?.stop();
});

describe('scoring through a Redis queue', () => {
  it('two workers give exactly the scores local scoring gives', async () => {
    const [a, b] = [startWorker(['--name', 'wa']), startWorker(['--name', 'wb'])];
    await Promise.all([serving(a), serving(b)]);
    const r = await runCli(['score', ...SAMPLE, '--json', '--queue', redis.url], { env: ENV, timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/scoring through the queue zeronas-scoring at redis:\/\/127\.0\.0\.1:\d+: 2 worker\(s\) connected/);
    expect(scoresOf(r.stdout)).toEqual(local);
    // Both workers took jobs (12 jobs of a few hundred ms each, fetched competitively).
    expect(a.output()).toMatch(/scored (zico|swap) = /);
    expect(b.output()).toMatch(/scored (zico|swap) = /);
    // Asked again (a second host, a rerun): answered from the kept jobs, no worker scores anything.
    const before = a.output().length + b.output().length;
    const again = await runCli(['score', ...SAMPLE, '--json', '--queue', redis.url], { env: ENV, timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(scoresOf(again.stdout)).toEqual(local);
    expect((a.output() + b.output()).slice(before).match(/scoring (zico|swap) \(job/g) ?? []).toEqual([]);
    await stopAll();
  }, 400_000);

  it('a worker SIGKILLed mid-job: its job is scored by another worker, nothing lost or duplicated', async () => {
    const queueName = 'kill-test';
    const first = startWorker(['--queue-name', queueName, '--name', 'doomed']);
    const pid = await serving(first);
    const out = join(dir, 'killed.csv');
    const host = runCli(['score', ...SAMPLE, '--out', out, '--queue', redis.url, '--queue-name', queueName], { env: ENV, timeoutMs: 400_000 });
    const m = await first.waitFor(/scoring (\w+) \(job (score-[0-9a-f]+), attempt 1\): (\S+)/, 120_000);
    process.kill(pid, 'SIGKILL');
    await first.exited;
    expect(first.output()).not.toContain(`scored ${m[1]} = `);
    const second = startWorker(['--queue-name', queueName, '--name', 'rescuer']);
    const r = await host;
    expect(r.code, r.stderr).toBe(0);
    // The killed job was taken again (second attempt) by the other worker.
    expect(second.output()).toContain(`(job ${m[2]}, attempt`);
    expectEveryCellOnceAsLocal(out);
    await stopAll();
  }, 600_000);

  it('Redis crashing mid-run (SIGKILL, restarted on its data) loses and duplicates nothing', async () => {
    const queueName = 'crash-test';
    const w = startWorker(['--queue-name', queueName, '--name', 'survivor']);
    await serving(w);
    const out = join(dir, 'crash.csv');
    const host = runCli(['score', ...SAMPLE, '--out', out, '--queue', redis.url, '--queue-name', queueName], { env: ENV, timeoutMs: 400_000 });
    await w.waitFor(/scored (zico|swap) = /, 120_000);
    await redis.crash();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await redis.start();
    const r = await host;
    expect(r.code, r.stderr).toBe(0);
    expectEveryCellOnceAsLocal(out);
    // Each of the 12 jobs finished once: the queue holds 12 completed jobs and no failed one.
    const endpoint = parseQueueEndpoint(redis.url, { queueName, env: ENV });
    const queue = new Queue(queueName, { connection: endpoint.connection });
    expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: 12, failed: 0 });
    await queue.close();
    await stopAll();
  }, 600_000);

  it('a job that cannot be built fails once with its reason; a hostile job is refused; other data is refused with the fix', async () => {
    const queueName = 'poison-test';
    const w = startWorker(['--queue-name', queueName, '--name', 'judge']);
    await serving(w);
    const endpoint = parseQueueEndpoint(redis.url, { queueName, env: ENV });
    const client = await QueueScoring.open({ endpoint, dataPath: undefined });
    const bad = await client.score({ space: 'nb201', arch: '|conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|', proxy: 'swap', settings: { batchSize: 16, batches: 2, seed: 0 } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/conv_9x9/);
    await client.close();
    const queue = new Queue(queueName, { connection: endpoint.connection });
    const failed = await queue.getFailed();
    expect(failed).toHaveLength(1);
    expect(failed[0]!.attemptsMade).toBe(1);
    // A hostile writer to Redis: a job with a file path the worker is meant to read, and one from other code.
    const job = { v: 1, space: 'nb201', spaceOptions: {}, arch: [...local.keys()][0]!, proxy: 'swap', settings: { batchSize: 16, batches: 2, seed: 0 }, data: { sha256: dataHash(undefined), label: 'x' }, code: scoringCodeHash() };
    const hostile = await queue.add('swap', { ...job, dataPath: '/etc/shadow' }, { attempts: 3 });
    const stale = await queue.add('swap', { ...job, code: 'f'.repeat(64) }, { attempts: 3 });
    await w.waitFor(/refused job/, 60_000);
    await expect.poll(async () => (await queue.getFailed()).length, { timeout: 60_000 }).toBe(3);
    const reasons = new Map((await queue.getFailed()).map((j) => [j.id, j]));
    expect(reasons.get(hostile.id!)!.failedReason).toMatch(/^poisoned: invalid scoring job .*dataPath/);
    expect(reasons.get(hostile.id!)!.attemptsMade).toBe(1);
    expect(reasons.get(stale.id!)!.failedReason).toMatch(/^mismatch: worker judge runs scoring code [0-9a-f]{12}, the job was made by code ffffffffffff/);
    await queue.close();
    await stopAll();

    // A worker with another data file: the host stops with ZN_QUEUE_MISMATCH and the fix.
    const otherData = join(dir, 'other.bin');
    writeFileSync(otherData, readFileSync(DEFAULT_DATASET_PATH).subarray(0, 3073 * 64));
    const odd = startWorker(['--queue-name', 'data-test', '--data', otherData, '--name', 'odd']);
    await serving(odd);
    const r = await runCli(['score', '--sample', '1', '--seed', '9', '--proxies', 'swap', '--queue', redis.url, '--queue-name', 'data-test'], { env: ENV, timeoutMs: 200_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ZN_QUEUE_MISMATCH: worker odd has data [0-9a-f]{12} \(.*other\.bin\), the job needs [0-9a-f]{12} \(bundled CIFAR-10 sample\): start the worker without --data/);
    await stopAll();
  }, 400_000);

  it('search and orchestrate score through the queue: the same picks as locally, scores in the run store', async () => {
    const queueName = 'search-test';
    const w = startWorker(['--queue-name', queueName, '--name', 'searcher']);
    await serving(w);
    const search = ['search', '--space', 'nb201', '--algo', 'sample', '--max-scored', '6', '--proxy', 'swap', '--seed', '4', '--batch-size', '16', '--json'];
    const [here, there] = await Promise.all([
      runCli(search, { env: { ZERONAS_THREADS: '1' }, timeoutMs: 300_000 }),
      runCli([...search, '--queue', redis.url, '--queue-name', queueName], { env: ENV, timeoutMs: 300_000 }),
    ]);
    expect(here.code, here.stderr).toBe(0);
    expect(there.code, there.stderr).toBe(0);
    const pick = (stdout: string): unknown => {
      const r = JSON.parse(stdout) as { best: { arch: string; score: number }; topScored: unknown[]; scored: number };
      return { best: r.best.arch, score: r.best.score, top: r.topScored, scored: r.scored };
    };
    expect(pick(there.stdout)).toEqual(pick(here.stdout));
    expect(w.output().match(/scored swap = /g)).toHaveLength(6);
    // NSGA-II sends a generation's candidates at once; its front is the one-at-a-time search's.
    const nsga2 = ['search', '--space', 'nb201', '--algo', 'nsga2', '--iterations', '2', '--population', '6', '--proxy', 'swap', '--seed', '4', '--batch-size', '16', '--json'];
    const [nHere, nThere] = await Promise.all([
      runCli(nsga2, { env: { ZERONAS_THREADS: '1' }, timeoutMs: 300_000 }),
      runCli([...nsga2, '--queue', redis.url, '--queue-name', queueName], { env: ENV, timeoutMs: 300_000 }),
    ]);
    expect(nHere.code, nHere.stderr).toBe(0);
    expect(nThere.code, nThere.stderr).toBe(0);
    const front = (stdout: string): unknown => (JSON.parse(stdout) as { front: { arch: string; score: number }[]; scored: number }).front.map((f) => [f.arch, f.score]);
    expect(front(nThere.stdout)).toEqual(front(nHere.stdout));
    expect((JSON.parse(nThere.stdout) as { scored: number }).scored).toBe((JSON.parse(nHere.stdout) as { scored: number }).scored);
    expect(w.output().match(/scored swap = /g)!.length).toBeGreaterThan(6); // the worker scored NSGA-II's cells

    const runDir = join(dir, 'orchestrated');
    const configDir = join(dir, 'orchestrate-config');
    const o = startProcess(
      'zeronas.js',
      ['orchestrate', '--targets', 'local', '--algo', 'sample', '--max-scored', '5', '--measure', '2', '--rounds', '1', '--verify-rounds', '1', '--min-runs', '3', '--min-time-ms', '50', '--proxy', 'swap', '--batch-size', '16', '--seed', '5', '--queue', redis.url, '--queue-name', queueName, '--out', runDir, '--port', '0', '--listen', '127.0.0.1', '--json'],
      { ...ENV, ZERONAS_CONFIG_DIR: configDir },
    );
    procs.push(o);
    // The dashboard shows the queue: its depth, workers and throughput.
    const [, base] = (await o.waitFor(/dashboard: (http:\/\/127\.0\.0\.1:\d+)\/\?token=/, 200_000)) as unknown as [string, string];
    const token = readFileSync(join(configDir, 'token'), 'utf8').trim();
    const login = await fetch(`${base}/?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    await expect
      .poll(async () => ((await (await fetch(`${base}/dashboard/state`, { headers: { cookie } })).json()) as { scoringQueue: { workers: number; url: string } | null }).scoringQueue, { timeout: 60_000, interval: 500 })
      .toMatchObject({ workers: 1, url: redis.url });
    expect(await o.exited, o.output().slice(-3000)).toBe(0);
    const { Store } = await import('../../host/orchestrator/store.js');
    const store = new Store(join(runDir, 'store.sqlite'));
    const rows = (store as unknown as { db: { prepare(q: string): { all(): { arch: string; value: number }[] } } }).db.prepare("SELECT arch, value FROM proxy_scores WHERE proxy = 'swap'").all();
    store.close();
    expect(rows.length).toBeGreaterThanOrEqual(5);
    // Every score in the store came from the worker (its log names each value it returned).
    for (const r of rows) expect(w.output()).toContain(`scored swap = ${r.value} `);
    await stopAll();
  }, 600_000);

  it('--concurrency 2 runs two worker processes (queue status lists them), starts a killed one again, stops on SIGTERM; queue drain empties', async () => {
    const pool = startWorker(['--queue-name', 'pool-test', '--concurrency', '2', '--name', 'pool']);
    const first = Number((await pool.waitFor(/worker pool-0 \(pid (\d+)\) serving/, 120_000))[1]);
    await pool.waitFor(/worker pool-1 \(pid \d+\) serving/, 120_000);
    const status = await runCli(['queue', 'status', '--queue', redis.url, '--queue-name', 'pool-test', '--json'], { env: ENV, timeoutMs: 60_000 });
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { workers: { name: string }[] }).workers.map((w) => w.name).sort()).toEqual(['pool-0', 'pool-1']);
    process.kill(first, 'SIGKILL');
    await pool.waitFor(/worker pool-0 exited \(SIGKILL\); starting it again/, 60_000);
    await pool.waitFor(new RegExp(`worker pool-0 \\(pid (?!${first}\\))\\d+\\) serving`), 120_000);
    pool.kill('SIGTERM');
    expect(await pool.exited).toBe(0);
    // Jobs nobody will take (their run was stopped): drain removes them.
    const queue = new Queue('pool-test', { connection: parseQueueEndpoint(redis.url, { queueName: 'pool-test', env: ENV }).connection });
    await queue.addBulk([1, 2, 3].map((i) => ({ name: 'swap', data: { stale: i } })));
    await queue.close();
    const drained = await runCli(['queue', 'drain', '--queue', redis.url, '--queue-name', 'pool-test'], { env: ENV, timeoutMs: 60_000 });
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout).toMatch(/^removed 3 job\(s\) not started from pool-test at redis:\/\/127\.0\.0\.1:\d+; running ones finish/);
  }, 300_000);

  it('without the password nothing is served or scored; a password in the URL is refused; TLS needs a trusted certificate', async () => {
    const noPassword = { ZERONAS_THREADS: '1' };
    const w = await runCli(['worker', '--queue', redis.url], { env: noPassword, timeoutMs: 60_000 });
    expect(w.code).toBe(1);
    expect(w.stderr).toContain(`ZN_AUTH: the scoring queue at ${redis.url} needs a password: set ZERONAS_REDIS_PASSWORD or give --queue-password-file <file>`);
    const wrong = await runCli(['score', '--sample', '1', '--proxies', 'swap', '--queue', redis.url], { env: { ZERONAS_REDIS_PASSWORD: 'guess' }, timeoutMs: 60_000 });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/ZN_AUTH: .* refused the password/);
    const inUrl = await runCli(['worker', '--queue', `redis://:${PASSWORD}@127.0.0.1:${redis.port}`], { env: noPassword, timeoutMs: 60_000 });
    expect(inUrl.code).toBe(1);
    expect(inUrl.stderr).toMatch(/--queue must not carry a password/);
    expect(inUrl.stderr).not.toContain(PASSWORD);
    // TLS (rediss://): served when the CA is given, refused with the fix when it is not.
    const now = new Date();
    const pems = await generate([{ name: 'commonName', value: 'zeronas queue test' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: now,
      notAfterDate: new Date(now.getTime() + 24 * 3600 * 1000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
      ],
    });
    const [certFile, keyFile] = [join(dir, 'redis-cert.pem'), join(dir, 'redis-key.pem')];
    writeFileSync(certFile, pems.cert);
    writeFileSync(keyFile, pems.private, { mode: 0o600 });
    const tlsRedis = await startRedis({ password: PASSWORD, tls: { certFile, keyFile } });
    try {
      expect(tlsRedis.url).toMatch(/^rediss:\/\/localhost:\d+$/);
      const untrusted = await runCli(['worker', '--queue', tlsRedis.url], { env: ENV, timeoutMs: 60_000 });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/ZN_QUEUE_UNAVAILABLE: the scoring queue at rediss:\/\/localhost:\d+ presented a TLS certificate this machine does not trust .*ZERONAS_REDIS_CA=<pem file>/);
      const plainToTls = await runCli(['worker', '--queue', `redis://127.0.0.1:${tlsRedis.port}`], { env: ENV, timeoutMs: 60_000 });
      expect(plainToTls.code).toBe(1);
      expect(plainToTls.stderr).toContain('(a Redis that only speaks TLS wants rediss://)');
      const w = startProcess('zeronas.js', ['worker', '--queue', tlsRedis.url, '--name', 'tls-worker'], { ...ENV, ZERONAS_REDIS_CA: certFile });
      procs.push(w);
      await serving(w);
      const [arch, expected] = [...local][0]!;
      const r = await runCli(['score', '--arch', arch, '--seed', '3', '--proxies', 'swap', '--batch-size', '16', '--batches', '2', '--json', '--queue', tlsRedis.url], { env: { ...ENV, ZERONAS_REDIS_CA: certFile }, timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(scoresOf(r.stdout).get(arch)!.swap).toBe(expected.swap);
      expect(w.output()).toContain(`scored swap = ${expected.swap} `);
      await stopAll();
    } finally {
      await tlsRedis.stop();
    }
    const down = await runCli(['score', '--sample', '1', '--proxies', 'swap', '--queue', 'redis://127.0.0.1:1'], { env: ENV, timeoutMs: 60_000 });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/ZN_QUEUE_UNAVAILABLE: cannot reach the scoring queue at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
  }, 300_000);
});

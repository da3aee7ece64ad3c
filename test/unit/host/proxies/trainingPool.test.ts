/**
 * TrainingPool runs a training model's batches in worker processes; the steps must be those of one in-process
 * session, in the caller's order, and a worker that dies or a model that fails must give a clear error without
 * breaking the next call.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDataset, selectBatches } from '../../../../host/data/index.js';
import { initWeights } from '../../../../host/ir/init.js';
import { exportTraining, type TrainingModel } from '../../../../host/onnx/exportTraining.js';
import { nchwcBlockSize } from '../../../../host/proxies/nchwcSupport.js';
import { TrainingPool } from '../../../../host/proxies/trainingPool.js';
import { TrainingSession, type TrainingFeeds, type TrainingStep } from '../../../../host/proxies/trainingSession.js';
import { zicoProxy } from '../../../../host/proxies/zicoProxy.js';
import { buildNb201Network } from '../../../../host/spaces/nb201.js';
import { MALLOC_TUNABLES } from '../../../../host/util/mallocTuning.js';

const ARCH = '|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|nor_conv_3x3~2|';
const config = { channels: 16, cellsPerStage: 1, inputSize: 32 };
const batches = selectBatches(openDataset(), { batchSize: 8, batches: 3, seed: 'first' });
const feeds: TrainingFeeds[] = batches.map((b) => ({ input: b.images, labels: b.labels }));

async function model(): Promise<TrainingModel> {
  const graph = buildNb201Network(ARCH, config);
  return exportTraining(graph, initWeights(graph, 3), { batch: 8, paramGrads: 'weights', bnStats: true, nchwcBlock: await nchwcBlockSize() });
}

async function inProcess(m: TrainingModel): Promise<TrainingStep[]> {
  const session = await TrainingSession.create(m, { intraOpNumThreads: 1 });
  try {
    const steps: TrainingStep[] = [];
    for (const f of feeds) steps.push(await session.run(f));
    return steps;
  } finally {
    await session.dispose();
  }
}

const pool = new TrainingPool();
afterAll(() => pool.close());

describe('TrainingPool', () => {
  it('gives the steps of one in-process session, in order, with batches spread over the workers (3 over 2)', async () => {
    const m = await model();
    const [want, got] = [await inProcess(m), await pool.runBatches(m, feeds, 2, 1)];
    expect(got).toHaveLength(3);
    for (let b = 0; b < 3; b++) {
      expect(got[b]!.loss).toBe(want[b]!.loss);
      expect(got[b]!.logits).toEqual(want[b]!.logits);
      expect([...got[b]!.grads.keys()]).toEqual([...want[b]!.grads.keys()]);
      for (const [name, g] of want[b]!.grads) expect(got[b]!.grads.get(name), name).toEqual(g);
      expect(got[b]!.bnStats.size).toBe(want[b]!.bnStats.size);
    }
    // The batches differ, so a mix-up of their order would show.
    expect(got[0]!.loss).not.toBe(got[1]!.loss);
    expect(pool.processIds()).toHaveLength(2);
  });

  it('reports a worker that dies mid-call, and starts a new one for the next call', async () => {
    const m = await model();
    const call = pool.runBatches(m, feeds.slice(0, 2), 2, 1);
    const killed = pool.processIds();
    for (const pid of killed) process.kill(pid, 'SIGKILL');
    await expect(call).rejects.toThrow(/training worker process exited/);
    // Both exits are seen (the second may lag the first), then the next call starts fresh workers.
    await expect.poll(() => pool.processIds().filter((pid) => killed.includes(pid))).toEqual([]);
    const steps = await pool.runBatches(m, feeds.slice(0, 2), 2, 1);
    expect(steps[1]!.loss).toBe((await inProcess(m))[1]!.loss);
  });

  it('passes on a model the worker cannot open, naming the training worker, and keeps working', async () => {
    const m = await model();
    const broken = { ...m, bytes: m.bytes.slice(0, 1000) };
    await expect(pool.runBatches(broken, feeds.slice(0, 2), 2, 1)).rejects.toThrow(/training worker: /);
    const steps = await pool.runBatches(m, feeds.slice(0, 2), 2, 1);
    expect(steps).toHaveLength(2);
  });

  it('ZiCo through the pool equals ZiCo in one process, exactly', async () => {
    const graph = buildNb201Network(ARCH, config);
    const two = batches.slice(0, 2);
    const pooled = await zicoProxy.score({ graph, batches: two, seed: 5 });
    process.env.ZERONAS_BATCH_WORKERS = '0';
    try {
      const single = await zicoProxy.score({ graph, batches: two, seed: 5 });
      expect(pooled).toEqual(single);
      expect(pooled.ok).toBe(true);
    } finally {
      delete process.env.ZERONAS_BATCH_WORKERS;
    }
  });

  it.runIf(process.platform === 'linux')('starts workers with the allocator settings unless they are opted out of', async () => {
    // glibc splits GLIBC_TUNABLES in place at its ':'s when it reads it, so the process's environ shows NULs there.
    const tuned = (pid: number): boolean => readFileSync(`/proc/${pid}/environ`, 'utf8').replaceAll('\0', ':').includes(`GLIBC_TUNABLES=${MALLOC_TUNABLES}`);
    const saved = { tunables: process.env.GLIBC_TUNABLES, optOut: process.env.ZERONAS_MALLOC_TUNING };
    const restore = (key: string, v: string | undefined): void => {
      if (v === undefined) delete process.env[key];
      else process.env[key] = v;
    };
    try {
      for (const optOut of [undefined, '0']) {
        delete process.env.GLIBC_TUNABLES;
        restore('ZERONAS_MALLOC_TUNING', optOut);
        const p = new TrainingPool();
        try {
          await p.runBatches(await model(), feeds.slice(0, 2), 2, 1);
          expect(p.processIds()).toHaveLength(2);
          for (const pid of p.processIds()) expect(tuned(pid)).toBe(optOut === undefined);
        } finally {
          p.close();
        }
      }
    } finally {
      restore('GLIBC_TUNABLES', saved.tunables);
      restore('ZERONAS_MALLOC_TUNING', saved.optOut);
    }
  });

  it('leaves no files behind when its process is SIGKILLed: the workers remove them and exit', async () => {
    const probe = fileURLToPath(new URL('../../../fixtures/trainingPoolProbe.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', probe], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`probe exited with ${code} before reporting`)));
    });
    const { dir, workers } = JSON.parse(line) as { dir: string; workers: number[] };
    expect(existsSync(dir)).toBe(true);
    expect(workers).toHaveLength(2);
    child.kill('SIGKILL');
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await expect.poll(() => existsSync(dir), { timeout: 15_000 }).toBe(false);
    await expect.poll(() => workers.filter(alive), { timeout: 15_000 }).toEqual([]);
  });

  it('removes its files when closed', async () => {
    const other = new TrainingPool();
    await other.runBatches(await model(), feeds.slice(0, 2), 2, 1);
    const dir = (other as unknown as { dir: string }).dir;
    expect(existsSync(dir)).toBe(true);
    other.close();
    expect(existsSync(dir)).toBe(false);
  });
});

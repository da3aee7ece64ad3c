/**
 * When the batch workers fail (here: killed while a call is in flight), runTrainingBatches runs the batches in its
 * own process instead, with one warning, and the steps are what that process alone gives. Its own file: a worker
 * that dies while starting switches the workers off for the rest of the process.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openDataset, selectBatches } from '../../../../host/data/index.js';
import { initWeights } from '../../../../host/ir/init.js';
import { runTrainingBatches } from '../../../../host/proxies/proxyRun.js';
import { sharedTrainingPool } from '../../../../host/proxies/trainingPool.js';
import { buildNb201Network } from '../../../../host/spaces/nb201.js';

const graph = buildNb201Network('|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|nor_conv_3x3~2|', { channels: 16, cellsPerStage: 1 });
const weights = initWeights(graph, 1);
const feeds = selectBatches(openDataset(), { batchSize: 8, batches: 2, seed: 'first' }).map((b) => ({ input: b.images, labels: b.labels }));
const options = { batch: 8, objective: 'crossEntropy', paramGrads: 'weights', bnStats: false } as const;

afterAll(() => sharedTrainingPool().close());

describe('runTrainingBatches when the workers fail', () => {
  it('falls back to this process with one warning, and gives the same steps', async () => {
    process.env.ZERONAS_BATCH_WORKERS = '0';
    const want = await runTrainingBatches(graph, weights, options, feeds);
    delete process.env.ZERONAS_BATCH_WORKERS;

    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const call = runTrainingBatches(graph, weights, options, feeds);
      const pool = sharedTrainingPool();
      await vi.waitFor(() => expect(pool.processIds()).toHaveLength(2), { timeout: 20_000, interval: 5 });
      for (const pid of pool.processIds()) process.kill(pid, 'SIGKILL');
      const got = await call;
      expect(got.map((s) => s.loss)).toEqual(want.map((s) => s.loss));
      for (const [name, g] of want[1]!.grads) expect(got[1]!.grads.get(name), name).toEqual(g);
      const warnings = warn.mock.calls.map((c) => String(c[0])).filter((t) => t.startsWith('warning: training worker'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/running the batches in this process instead/);
    } finally {
      warn.mockRestore();
    }
  });
});

import { listParams } from '../ir/params.js';
import { inferShapes } from '../ir/shapeInference.js';
import { GramAccumulator, ntkScore } from './math/ntk.js';
import { firstBatch, freshWeights, result, withTrainingSession } from './proxyRun.js';
import type { ZeroCostProxy } from './zeroCostProxy.js';

/** Samples in the NTK: each needs its own backward pass, so the NTK uses the first 16 images of the batch. */
export const NTK_SAMPLES = 16;

/**
 * TE-NAS NTK condition number (ALGORITHMS.md §A.12), scored as -cond. For each sample i: backpropagate ones on
 * logits[i] (a dlogits seed with row i set), take the gradients of every parameter named `weight` (conv, linear
 * and BN gamma), and accumulate the Gram matrix G·Gᵀ. BN uses the statistics of the whole batch, as in the
 * reference's train-mode forward. Deviation: 16 samples (the reference uses the search batch size) to bound the
 * cost at 16 backward passes per architecture. Higher is better.
 */
export const ntkProxy: ZeroCostProxy = {
  id: 'te_nas_ntk',
  higherIsBetter: true,
  spec: 'ALGORITHMS.md §A.12',
  needs: { data: true, labels: false, gradients: true, batches: 1 },
  init: 'pytorch-default',
  async score({ graph, batches, seed }) {
    const batch = firstBatch(batches, 'ntk');
    const n = Math.min(NTK_SAMPLES, batch.shape[0]);
    const perSample = batch.images.length / batch.shape[0];
    const input = batch.images.subarray(0, n * perSample);
    const k = inferShapes(graph.nodes).get(graph.output)![0]!;
    const names = listParams(graph).filter((p) => p.trainable && p.name.endsWith('.weight')).map((p) => p.name);
    const rows: Map<string, Float32Array>[] = [];
    await withTrainingSession(graph, freshWeights(graph, seed, 'pytorch-default'), { batch: n, objective: 'seed', paramGrads: names, bnStats: false }, async (s) => {
      for (let i = 0; i < n; i++) {
        const seedRows = new Float32Array(n * k);
        seedRows.fill(1, i * k, (i + 1) * k);
        rows.push((await s.run({ input, dlogits: seedRows })).grads);
      }
    });
    const gram = new GramAccumulator(n);
    for (const name of names) gram.add(rows.map((r) => r.get(name)!), name);
    if (gram.nonFinite) return { ok: false, reason: gram.nonFinite };
    return result(ntkScore(gram.gram, n));
  },
};

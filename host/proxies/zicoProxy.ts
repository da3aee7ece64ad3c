import { zico } from './math/zico.js';
import { freshWeights, layerWeights, result, runTrainingBatches } from './proxyRun.js';
import type { ZeroCostProxy } from './zeroCostProxy.js';

/**
 * ZiCo (ALGORITHMS.md §A.1): one training graph per architecture, run on the N batches (side by side in worker
 * processes when there are cores for it: proxyRun.ts runTrainingBatches); each batch's conv/linear weight gradients
 * are independent copies, aggregated by math/zico.ts. PyTorch-default init, BN with batch statistics, mean
 * cross-entropy on real labels. Higher is better.
 */
export const zicoProxy: ZeroCostProxy = {
  id: 'zico',
  higherIsBetter: true,
  spec: 'ALGORITHMS.md §A.1',
  needs: { data: true, labels: true, gradients: true, batches: 2 },
  init: 'pytorch-default',
  async score({ graph, batches, seed }) {
    if (batches.length < 2) return { ok: false, reason: `zico needs at least 2 batches, got ${batches.length}` };
    const layers = layerWeights(graph);
    const steps = await runTrainingBatches(
      graph,
      freshWeights(graph, seed, 'pytorch-default'),
      { batch: batches[0]!.shape[0], objective: 'crossEntropy', paramGrads: 'weights', bnStats: false },
      batches.map((b) => ({ input: b.images, labels: b.labels })),
    );
    return result(zico(layers.map((l) => ({ name: l.name, batches: steps.map((s) => s.grads.get(l.name)!) }))));
  },
};

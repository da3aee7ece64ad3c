import { zico } from './math/zico.js';
import { freshWeights, layerWeights, result, withTrainingSession } from './proxyRun.js';
import type { ZeroCostProxy } from './zeroCostProxy.js';

/**
 * ZiCo (ALGORITHMS.md §A.1): one training-graph session per architecture, reused for the N batches; each batch's
 * conv/linear weight gradients are kept as independent copies (the session returns copies), then aggregated by
 * math/zico.ts. PyTorch-default init, BN with batch statistics, mean cross-entropy on real labels. Higher is better.
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
    const perLayer = new Map(layers.map((l) => [l.name, [] as Float32Array[]]));
    await withTrainingSession(
      graph,
      freshWeights(graph, seed, 'pytorch-default'),
      { batch: batches[0]!.shape[0], objective: 'crossEntropy', paramGrads: 'weights', bnStats: false },
      async (session) => {
        for (const b of batches) {
          const step = await session.run({ input: b.images, labels: b.labels });
          for (const l of layers) perLayer.get(l.name)!.push(step.grads.get(l.name)!);
        }
      },
    );
    return result(zico(layers.map((l) => ({ name: l.name, batches: perLayer.get(l.name)! }))));
  },
};

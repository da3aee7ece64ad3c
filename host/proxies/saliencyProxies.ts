/**
 * The survey's one-batch gradient-saliency proxies (ALGORITHMS.md §A.4-§A.6, §A.13): one real batch with real
 * labels, mean cross-entropy, PyTorch-default init, BN with batch statistics, conv/linear weights only.
 * Each is a fresh network (the survey's SNIP patches modules in place; we never share state between proxies).
 */
import { gradNormSum, graspScore, l2NormScore, plainScore, snipScore } from './math/saliency.js';
import { firstBatch, freshWeights, layerWeights, result, withTrainingSession } from './proxyRun.js';
import type { ProxyContext, ProxyResult, ZeroCostProxy } from './zeroCostProxy.js';
import type { Graph } from '../ir/graph.js';
import type { WeightMap } from '../ir/init.js';
import type { DataBatch } from '../data/dataset.js';

async function weightGradients(graph: Graph, weights: WeightMap, batch: DataBatch): Promise<Map<string, Float32Array>> {
  return withTrainingSession(graph, weights, { batch: batch.shape[0], objective: 'crossEntropy', paramGrads: 'weights', bnStats: false }, async (s) => {
    return (await s.run({ input: batch.images, labels: batch.labels })).grads;
  });
}

function saliency(
  id: 'grad_norm' | 'snip' | 'plain',
  spec: `ALGORITHMS.md §${string}`,
  aggregate: (layers: { name: string; weight: Float32Array; grad: Float32Array }[]) => ProxyResult,
): ZeroCostProxy {
  return {
    id,
    higherIsBetter: true,
    spec,
    needs: { data: true, labels: true, gradients: true, batches: 1 },
    init: 'pytorch-default',
    async score({ graph, batches, seed }: ProxyContext) {
      const weights = freshWeights(graph, seed, 'pytorch-default');
      const grads = await weightGradients(graph, weights, firstBatch(batches, id));
      return aggregate(layerWeights(graph).map((l) => ({ name: l.name, weight: weights.get(l.name)!, grad: grads.get(l.name)! })));
    },
  };
}

/** GradNorm, survey version: Σ_l ‖∂L/∂W_l‖₂. Higher is better. */
export const gradNormProxy = saliency('grad_norm', 'ALGORITHMS.md §A.4', (ls) => result(gradNormSum(ls.map((l) => ({ name: l.name, values: l.grad })))));
/** SNIP: Σ |W ⊙ ∂L/∂W| (abs per element). Higher is better. */
export const snipProxy = saliency('snip', 'ALGORITHMS.md §A.5', (ls) => result(snipScore(ls.map((l) => ({ name: l.name, weight: l.weight, other: l.grad })))));
/** plain: Σ W ⊙ ∂L/∂W (signed). Reported as the survey reports it. */
export const plainProxy = saliency('plain', 'ALGORITHMS.md §A.13', (ls) => result(plainScore(ls.map((l) => ({ name: l.name, weight: l.weight, other: l.grad })))));

/** l2_norm: Σ_l ‖W_l‖_F of the initial weights (no data). */
export const l2NormProxy: ZeroCostProxy = {
  id: 'l2_norm',
  higherIsBetter: true,
  spec: 'ALGORITHMS.md §A.13',
  needs: { data: false, labels: false, gradients: false, batches: 0 },
  init: 'pytorch-default',
  async score({ graph, seed }) {
    const weights = freshWeights(graph, seed, 'pytorch-default');
    return result(l2NormScore(layerWeights(graph).map((l) => ({ name: l.name, values: weights.get(l.name)! }))));
  },
};

/**
 * GraSP: score = Σ -W ⊙ (H g) with g = ∂L/∂W (conv/linear weights) on one batch. Our graphs are first order, so
 * the Hessian-vector product is a central difference of gradients along g (ALGORITHMS.md §A.6 allows this):
 * H g ≈ (∇L(W + εg) - ∇L(W - εg)) / 2ε with ε = 1e-4 · ‖W‖ / ‖g‖ (a step relative to the weights, large enough
 * for float32 gradients to differ, small against the curvature scale). Three sessions per architecture.
 */
export const graspProxy: ZeroCostProxy = {
  id: 'grasp',
  higherIsBetter: true,
  spec: 'ALGORITHMS.md §A.6',
  needs: { data: true, labels: true, gradients: true, batches: 1 },
  init: 'pytorch-default',
  async score({ graph, batches, seed }) {
    const batch = firstBatch(batches, 'grasp');
    const weights = freshWeights(graph, seed, 'pytorch-default');
    const layers = layerWeights(graph);
    const g = await weightGradients(graph, weights, batch);
    let wNorm = 0;
    let gNorm = 0;
    for (const l of layers) {
      for (const v of weights.get(l.name)!) wNorm += v * v;
      for (const v of g.get(l.name)!) gNorm += v * v;
    }
    if (!(gNorm > 0) || !Number.isFinite(gNorm)) return { ok: false, reason: `grasp: the gradient norm is ${Math.sqrt(gNorm)}` };
    const eps = (1e-4 * Math.sqrt(wNorm)) / Math.sqrt(gNorm);
    const shifted = (sign: number): WeightMap => {
      const w = new Map(weights);
      for (const l of layers) {
        const base = weights.get(l.name)!;
        const d = g.get(l.name)!;
        w.set(l.name, base.map((v, i) => v + sign * eps * d[i]!));
      }
      return w;
    };
    const gPlus = await weightGradients(graph, shifted(1), batch);
    const gMinus = await weightGradients(graph, shifted(-1), batch);
    return result(
      graspScore(
        layers.map((l) => {
          const p = gPlus.get(l.name)!;
          const m = gMinus.get(l.name)!;
          return { name: l.name, weight: weights.get(l.name)!, other: p.map((v, i) => (v - m[i]!) / (2 * eps)) };
        }),
      ),
    );
  },
};

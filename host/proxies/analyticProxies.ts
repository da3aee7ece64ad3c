/** Proxies computed from the IR alone (ALGORITHMS.md §A.2, §A.3, §D.1). Higher is better for each. */
import { analyticMetrics } from '../metrics/analytic.js';
import type { ZeroCostProxy } from './zeroCostProxy.js';

const analytic = (id: 'params' | 'flops' | 'nn_degree', spec: `ALGORITHMS.md §${string}`, pick: (m: ReturnType<typeof analyticMetrics>) => number): ZeroCostProxy => ({
  id,
  higherIsBetter: true,
  spec,
  needs: { data: false, labels: false, gradients: false, batches: 0 },
  init: 'pytorch-default',
  score: async ({ graph }) => ({ ok: true, value: pick(analyticMetrics(graph)) }),
});

/** #Params: trainable parameter count (BN gamma and beta, biases included; running statistics not). */
export const paramsProxy = analytic('params', 'ALGORITHMS.md §A.2', (m) => m.params);
/** FLOPs: MACs in NAS-Bench-201's convention (host/metrics/analytic.ts). */
export const flopsProxy = analytic('flops', 'ALGORITHMS.md §A.3', (m) => m.macs);
/** NN-Degree: average in-degree of the channel-level graph (host/metrics/nnDegree.ts). */
export const nnDegreeProxy = analytic('nn_degree', 'ALGORITHMS.md §D.1', (m) => m.nnDegree);

import type { Graph } from './graph.js';
import { listParams, elementCount, type ParamSpec } from './params.js';
import { fillUniformSymmetric, hash32, mulberry32 } from '../../shared/random.js';

export { mulberry32 };

/** Parameter values by name (float32, as the runtimes use them). */
export type WeightMap = Map<string, Float32Array>;

export type InitScheme = 'pytorch-default' | 'gaussian' | 'kaiming-fanin';

/** Standard normal draws by Box-Muller from a uniform generator. */
export function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/**
 * Initial value of one parameter (ALGORITHMS.md §0.2).
 * pytorch-default: conv/linear weight and bias ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)) (kaiming_uniform_ with a=sqrt(5));
 * BN gamma 1, beta 0, running mean 0, running var 1.
 * gaussian: conv/linear weight ~ N(0,1), bias 0; BN as above.
 * kaiming-fanin: conv/linear weight ~ N(0, 2/fanIn) (kaiming_normal_, fan_in, ReLU gain; AZ-NAS's init), bias 0;
 * BN as above. The draws are the gaussian scheme's, scaled, so the two schemes differ only by that factor.
 * Each parameter draws from its own stream seeded by (seed, name), so adding a layer never changes the others.
 */
export function initParam(spec: ParamSpec, seed: number, scheme: InitScheme = 'pytorch-default'): Float32Array {
  const n = elementCount(spec.shape);
  const values = new Float32Array(n);
  switch (spec.kind) {
    case 'bnWeight':
    case 'bnRunningVar':
      values.fill(1);
      return values;
    case 'bnBias':
    case 'bnRunningMean':
      return values;
    default: {
      const streamSeed = hash32(`${seed}:${spec.name}`);
      const isBias = spec.kind === 'convBias' || spec.kind === 'linearBias';
      if (scheme === 'gaussian' || scheme === 'kaiming-fanin') {
        if (isBias) return values;
        const normal = gaussian(mulberry32(streamSeed));
        const std = scheme === 'gaussian' ? 1 : Math.sqrt(2 / spec.fanIn);
        for (let i = 0; i < n; i++) values[i] = normal() * std;
        return values;
      }
      fillUniformSymmetric(values, streamSeed, 1 / Math.sqrt(spec.fanIn));
      return values;
    }
  }
}

export function initWeights(graph: Graph, seed = 0, scheme: InitScheme = 'pytorch-default'): WeightMap {
  const weights: WeightMap = new Map();
  for (const spec of listParams(graph)) weights.set(spec.name, initParam(spec, seed, scheme));
  return weights;
}

/**
 * Named numeric features of an architecture for cost models, computed from the IR under one execution hypothesis
 * (execution.ts), cached per graph. Families (prefixes):
 *  - `k:<kind>|<attrs>`  executed kernels per kernel class (shapes collapsed; an n-ary add counts n−1 binary adds);
 *  - `s:<out shape>:<kind>|<attrs>`  the same per stage (output shape);
 *  - `a:<name>`  analytic totals over the executed kernels: macs (NAS-Bench-201 convention), params, memory
 *    traffic (bytes read + written, float32), weighted layers, kernels, plus the whole graph's NN-Degree;
 *  - `e:<edge>:<op>` (nb201 only) the op on each cell edge, and `r:<edge>:<op>` whether it runs: the positional
 *    encoding a tree model can use where position matters (TensorRT on the Jetson).
 * `isFolded` marks a graph that runs no kernel at all (the whole model folded to a constant); `isConstantOutput` one
 * whose output does not depend on its input (cost models treat these as a group of their own).
 */
import type { Graph } from '../ir/graph.js';
import { validateGraph } from '../ir/graph.js';
import { elementCount, nodeParams } from '../ir/params.js';
import { benchmarkMacs } from '../metrics/analytic.js';
import { nnDegree } from '../metrics/nnDegree.js';
import { NB201_OPS, parseNb201 } from '../spaces/nb201.js';
import { executionPlan, type ExecutionHypothesis } from './execution.js';
import { kernelsOf } from './kernelKeys.js';

export interface CostFeatures {
  execution: ExecutionHypothesis;
  values: Map<string, number>;
  /** No kernel runs: the runtime folds the whole model (only under `live`/`folded`). */
  isFolded: boolean;
  /** The output does not depend on the input (nb201: a disconnected cell), whatever the hypothesis. */
  isConstantOutput: boolean;
}

function cacheKey(graph: Graph, execution: ExecutionHypothesis): string {
  return `${execution}|${graph.name}|${JSON.stringify(graph.meta ?? {})}`;
}

/** Computes and caches features; one extractor per data set keeps memory bounded by the architectures seen. */
export class CostFeatureExtractor {
  private readonly cache = new Map<string, CostFeatures>();
  /** NN-Degree does not depend on the hypothesis: computed once per graph. */
  private readonly degrees = new Map<string, number>();

  features(graph: Graph, execution: ExecutionHypothesis): CostFeatures {
    const key = cacheKey(graph, execution);
    let f = this.cache.get(key);
    if (!f) {
      const graphKey = key.slice(key.indexOf('|') + 1);
      f = computeCostFeatures(graph, execution, this.degrees.get(graphKey));
      this.degrees.set(graphKey, f.values.get('a:nnDegree')!);
      this.cache.set(key, f);
    }
    return f;
  }
}

export function computeCostFeatures(graph: Graph, execution: ExecutionHypothesis, knownNnDegree?: number): CostFeatures {
  const { shapes, byName } = validateGraph(graph);
  const values = new Map<string, number>();
  const bump = (name: string, by: number): void => {
    values.set(name, (values.get(name) ?? 0) + by);
  };
  const kernels = kernelsOf(graph, { execution });
  const plan = executionPlan(graph, execution);
  let macs = 0;
  let params = 0;
  let trafficBytes = 0;
  let layers = 0;
  let count = 0;
  for (const k of kernels) {
    const weight = k.kind === 'add' ? Number(k.attrs.slice(1)) - 1 : 1;
    bump(`k:${k.kind}|${k.attrs}`, k.count * weight);
    bump(`s:${k.outputShape.join('x')}:${k.kind}|${k.attrs}`, k.count * weight);
    count += k.count;
    for (const group of k.nodes) {
      for (const name of group) {
        const node = byName.get(name)!;
        macs += benchmarkMacs(node, shapes);
        for (const p of nodeParams(node, shapes)) if (p.trainable) params += elementCount(p.shape);
        if (node.op === 'conv2d' || node.op === 'linear') layers++;
      }
      const arity = k.kind === 'add' ? Number(k.attrs.slice(1)) : 1;
      trafficBytes += 4 * (arity * elementCount(k.inputShape) + elementCount(k.outputShape));
    }
  }
  values.set('a:macs', macs);
  values.set('a:params', params);
  values.set('a:trafficBytes', trafficBytes);
  values.set('a:layers', layers);
  values.set('a:kernels', count);
  values.set('a:nnDegree', knownNnDegree ?? nnDegree(graph, shapes));
  if (graph.meta?.space === 'nb201' && typeof graph.meta.arch === 'string') {
    const cell = parseNb201(graph.meta.arch);
    const firstCell = graph.nodes.filter((n) => n.name.startsWith('cells.0.layers.'));
    cell.forEach((op, edge) => {
      for (const o of NB201_OPS) if (o !== 'none') values.set(`e:${edge}:${o}`, op === o ? 1 : 0);
      const runs = firstCell.some((n) => n.name.startsWith(`cells.0.layers.${edge}.`) || n.name === `cells.0.layers.${edge}`)
        ? firstCell.some((n) => (n.name.startsWith(`cells.0.layers.${edge}.`) || n.name === `cells.0.layers.${edge}`) && plan.executed.has(n.name))
        : false;
      for (const o of NB201_OPS) if (o !== 'none' && o !== 'skip_connect') values.set(`r:${edge}:${o}`, runs && op === o ? 1 : 0);
    });
  }
  return { execution, values, isFolded: count === 0, isConstantOutput: plan.isConstantOutput };
}

/** The union of feature names over `features`, sorted, restricted to names matching `include`. */
export function featureNames(features: readonly CostFeatures[], include: (name: string) => boolean): string[] {
  const names = new Set<string>();
  for (const f of features) for (const name of f.values.keys()) if (include(name)) names.add(name);
  return [...names].sort();
}

export function featureRow(f: CostFeatures, names: readonly string[]): number[] {
  return names.map((n) => f.values.get(n) ?? 0);
}

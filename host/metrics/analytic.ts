/**
 * Analytic metrics computed from the IR alone (no data, no runtime). All counts are per sample (batch 1).
 */
import type { Graph } from '../ir/graph.js';
import { validateGraph } from '../ir/graph.js';
import type { IrNode, Shape } from '../ir/ops.js';
import { isWeightedLayer } from '../ir/ops.js';
import { elementCount, listParams } from '../ir/params.js';
import { nnDegree } from './nnDegree.js';

export interface AnalyticMetrics {
  /** Trainable parameters: conv/linear weights and biases, BN gamma and beta (not running statistics). */
  params: number;
  /** Multiply-accumulates of conv and linear layers (+1 per output element for a bias): the textbook count. */
  macsTextbook: number;
  /**
   * MACs in NAS-Bench-201's convention (the benchmark's `flops` column, see `benchmarkMacs`). This is the number
   * `zeronas info` reports as `macs`, so it joins with NAS-Bench-201 / NASLib data.
   */
  macs: number;
  /** Bytes of all intermediate activations (float32), summed over nodes. */
  activationBytes: number;
  /** Largest float32 bytes alive at once when running the nodes in order and freeing tensors after last use. */
  peakActivationBytes: number;
  /** Conv and linear layers (ALGORITHMS.md §0.1). */
  weightedLayers: number;
  /** Average in-degree of the channel-level graph (see nnDegree.ts). */
  nnDegree: number;
}

/** Multiply-accumulates of one node in the textbook convention: conv and linear only. */
export function textbookMacs(node: IrNode, shapes: Map<string, Shape>): number {
  const out = shapes.get(node.name)!;
  if (node.op === 'conv2d') {
    const a = node.attrs;
    const cin = shapes.get(node.inputs[0]!)![0]!;
    const positions = out[1]! * out[2]!;
    return a.kernel * a.kernel * (cin / a.groups) * a.outChannels * positions + (a.bias ? a.outChannels * positions : 0);
  }
  if (node.op === 'linear') {
    const fin = shapes.get(node.inputs[0]!)![0]!;
    return fin * node.attrs.outFeatures + (node.attrs.bias ? node.attrs.outFeatures : 0);
  }
  return 0;
}

/**
 * One node's operation count in the convention of NAS-Bench-201's published `flops` (in NASLib's
 * NAS-Bench-Suite-Zero files). Reverse-engineered from the data and checked on all 9,445 listed cells:
 * conv/linear as `textbookMacs`; average/max pooling k^2 per output element (xautodl's pool counter);
 * batch-norm 2 per element (scale and shift); ReLU-type activations 1 per element; global average pooling
 * 1 per input element; add, concat, identity, zero and flatten 0. What is left over is a constant
 * 1,078 operations per CIFAR network (456 for ImageNet16-120), under 0.02% of the smallest network.
 */
export function benchmarkMacs(node: IrNode, shapes: Map<string, Shape>): number {
  const outElements = elementCount(shapes.get(node.name)!);
  switch (node.op) {
    case 'conv2d':
    case 'linear':
      return textbookMacs(node, shapes);
    case 'avgPool':
    case 'maxPool':
      return node.attrs.kernel * node.attrs.kernel * outElements;
    case 'batchNorm':
      return 2 * outElements;
    case 'relu':
    case 'relu6':
    case 'hardSwish':
      return outElements;
    case 'globalAvgPool':
      return elementCount(shapes.get(node.inputs[0]!)!);
    default:
      return 0;
  }
}

export function analyticMetrics(graph: Graph): AnalyticMetrics {
  const { shapes } = validateGraph(graph);
  let macsTextbook = 0;
  let macs = 0;
  let activationElements = 0;
  let weightedLayers = 0;
  for (const node of graph.nodes) {
    macsTextbook += textbookMacs(node, shapes);
    macs += benchmarkMacs(node, shapes);
    if (node.op !== 'input') activationElements += elementCount(shapes.get(node.name)!);
    if (isWeightedLayer(node)) weightedLayers++;
  }
  const params = listParams(graph, shapes)
    .filter((p) => p.trainable)
    .reduce((sum, p) => sum + elementCount(p.shape), 0);
  return {
    params,
    macsTextbook,
    macs,
    activationBytes: activationElements * 4,
    peakActivationBytes: peakLiveElements(graph, shapes) * 4,
    weightedLayers,
    nnDegree: nnDegree(graph, shapes),
  };
}

/** Peak of the sum of live tensor sizes when nodes run in order and each tensor dies after its last reader. */
function peakLiveElements(graph: Graph, shapes: Map<string, Shape>): number {
  const lastUse = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((inp) => lastUse.set(inp, i)));
  lastUse.set(graph.output, graph.nodes.length);
  let live = 0;
  let peak = 0;
  const dying = new Map<number, string[]>();
  for (const [name, i] of lastUse) dying.set(i, [...(dying.get(i) ?? []), name]);
  graph.nodes.forEach((node, i) => {
    live += elementCount(shapes.get(node.name)!);
    peak = Math.max(peak, live);
    for (const name of dying.get(i) ?? []) live -= elementCount(shapes.get(name)!);
    if (!lastUse.has(node.name)) live -= elementCount(shapes.get(node.name)!);
  });
  return peak;
}

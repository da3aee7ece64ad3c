/**
 * NN-Degree (FLASH, ALGORITHMS.md §D.1), defined for any IR graph.
 *
 * Definition used by zeronas. The neuron-level graph has one vertex per channel of the network input and per
 * output channel (neuron) of every conv/linear layer. A directed edge s -> n joins source channel s to neuron n
 * when the value of s reaches an input channel that n's weights read, through parameter-free ops only
 * (batch-norm, activations, pooling, identity, add, concat, flatten); `zero` ops cut every link. Each distinct
 * (s, n) pair counts once. NN-Degree is the average in-degree over neurons: |E| / (number of neurons).
 *
 * Skip links therefore count: a conv reading `add(a, skip)` is linked to the channels of both a and skip's
 * source, as FLASH's DenseNet cells link a layer to its predecessor plus t skip channels. For FLASH's
 * DenseNet-type cell (layer j reads w channels from its predecessor plus t_j skip channels), this gives per cell
 * (1/d) * sum_j (w + t_j) = w + (sum_j t_j)/d, FLASH's g_c; FLASH sums g_c over cells, which zeronas reports
 * separately for that space (per-cell values are the same definition restricted to one cell).
 *
 * Exact count: every tensor carries, per channel, the set of source channels feeding it; a conv's output
 * channel o has in-degree |union of the sets of the input channels in o's group|.
 */
import type { Graph } from '../ir/graph.js';
import type { Shape } from '../ir/ops.js';

type ChannelSources = Set<number>[];

export interface NnDegreeCount {
  edges: number;
  neurons: number;
  nnDegree: number;
}

export function nnDegreeCount(graph: Graph, shapes: Map<string, Shape>): NnDegreeCount {
  const sources = new Map<string, ChannelSources>();
  let nextId = 0;
  let edges = 0;
  let neurons = 0;
  const fresh = (channels: number): ChannelSources => Array.from({ length: channels }, () => new Set([nextId++]));

  for (const node of graph.nodes) {
    const inputs = node.inputs.map((name) => sources.get(name)!);
    const outShape = shapes.get(node.name)!;
    switch (node.op) {
      case 'input':
        sources.set(node.name, fresh(outShape[0]!));
        break;
      case 'conv2d':
      case 'linear': {
        const x = inputs[0]!;
        const outChannels = outShape[0]!;
        const groups = node.op === 'conv2d' ? node.attrs.groups : 1;
        const inPerGroup = x.length / groups;
        const outPerGroup = outChannels / groups;
        for (let g = 0; g < groups; g++) {
          const union = new Set<number>();
          for (let i = g * inPerGroup; i < (g + 1) * inPerGroup; i++) for (const s of x[i]!) union.add(s);
          edges += union.size * outPerGroup;
        }
        neurons += outChannels;
        sources.set(node.name, fresh(outChannels));
        break;
      }
      case 'add': {
        const out = inputs[0]!.map((_, c) => {
          const u = new Set<number>();
          for (const x of inputs) for (const s of x[c]!) u.add(s);
          return u;
        });
        sources.set(node.name, out);
        break;
      }
      case 'concat':
        sources.set(node.name, inputs.flat());
        break;
      case 'zero':
        sources.set(node.name, inputs[0]!.map(() => new Set<number>()));
        break;
      case 'flatten': {
        const inShape = shapes.get(node.inputs[0]!)!;
        const perChannel = inShape.slice(1).reduce((a, b) => a * b, 1);
        const x = inputs[0]!;
        sources.set(node.name, Array.from({ length: outShape[0]! }, (_, f) => x[Math.floor(f / perChannel)]!));
        break;
      }
      default:
        // batch-norm, activations, pooling, identity, global pooling: channel c maps to channel c.
        sources.set(node.name, inputs[0]!);
    }
  }
  return { edges, neurons, nnDegree: neurons === 0 ? 0 : edges / neurons };
}

export function nnDegree(graph: Graph, shapes: Map<string, Shape>): number {
  return nnDegreeCount(graph, shapes).nnDegree;
}

import type { Graph } from './graph.js';
import type { IrNode, Shape } from './ops.js';
import { inferShapes } from './shapeInference.js';

export type ParamKind = 'convWeight' | 'convBias' | 'linearWeight' | 'linearBias' | 'bnWeight' | 'bnBias';
export type BufferKind = 'bnRunningMean' | 'bnRunningVar';

/** One tensor owned by a node. Names follow PyTorch's state-dict convention: `<node>.weight`, `<node>.bias`. */
export interface ParamSpec {
  name: string;
  node: string;
  kind: ParamKind | BufferKind;
  shape: number[];
  trainable: boolean;
  /** Fan-in used by PyTorch's default init (conv: Ci/groups*k*k; linear: in features). */
  fanIn: number;
}

/** Every parameter and buffer of the graph, in node order (the reference model's registration order). */
export function listParams(graph: Graph, shapes: Map<string, Shape> = inferShapes(graph.nodes)): ParamSpec[] {
  const out: ParamSpec[] = [];
  for (const node of graph.nodes) out.push(...nodeParams(node, shapes));
  return out;
}

export function nodeParams(node: IrNode, shapes: Map<string, Shape>): ParamSpec[] {
  const inShape = node.inputs.length ? shapes.get(node.inputs[0]!)! : [];
  switch (node.op) {
    case 'conv2d': {
      const a = node.attrs;
      const ciPerGroup = inShape[0]! / a.groups;
      const fanIn = ciPerGroup * a.kernel * a.kernel;
      const params: ParamSpec[] = [
        {
          name: `${node.name}.weight`,
          node: node.name,
          kind: 'convWeight',
          shape: [a.outChannels, ciPerGroup, a.kernel, a.kernel],
          trainable: true,
          fanIn,
        },
      ];
      if (a.bias) {
        params.push({ name: `${node.name}.bias`, node: node.name, kind: 'convBias', shape: [a.outChannels], trainable: true, fanIn });
      }
      return params;
    }
    case 'linear': {
      const fanIn = inShape[0]!;
      const a = node.attrs;
      const params: ParamSpec[] = [
        { name: `${node.name}.weight`, node: node.name, kind: 'linearWeight', shape: [a.outFeatures, fanIn], trainable: true, fanIn },
      ];
      if (a.bias) {
        params.push({ name: `${node.name}.bias`, node: node.name, kind: 'linearBias', shape: [a.outFeatures], trainable: true, fanIn });
      }
      return params;
    }
    case 'batchNorm': {
      const c = inShape[0]!;
      const mk = (suffix: string, kind: ParamSpec['kind'], trainable: boolean): ParamSpec => ({
        name: `${node.name}.${suffix}`,
        node: node.name,
        kind,
        shape: [c],
        trainable,
        fanIn: 0,
      });
      return [
        mk('weight', 'bnWeight', true),
        mk('bias', 'bnBias', true),
        mk('running_mean', 'bnRunningMean', false),
        mk('running_var', 'bnRunningVar', false),
      ];
    }
    default:
      return [];
  }
}

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

import type { Graph } from '../ir/graph.js';
import { validateGraph } from '../ir/graph.js';
import type { IrNode, Shape } from '../ir/ops.js';
import type { WeightMap } from '../ir/init.js';
import { DataType, OnnxGraph, f32, i64, type Dim } from './onnxGraph.js';

export interface InferenceExportOptions {
  /** Fixed batch size, or undefined for a dynamic `batch` dimension. */
  batch?: number;
  /** Fold eval-mode batch-norm into the conv before it (when that conv feeds only the BN). */
  foldBatchNorm?: boolean;
  opset?: number;
}

export const INFERENCE_INPUT = 'input';
export const INFERENCE_OUTPUT = 'logits';

/**
 * The inference model (opset 17): batch-norm in eval mode with its running statistics, weights as initializers
 * (so onnxruntime constant-folds and picks its fastest kernels), input `input` [N,C,H,W], output `logits`.
 */
export function exportInference(graph: Graph, weights: WeightMap, options: InferenceExportOptions = {}): Uint8Array {
  const { shapes, byName } = validateGraph(graph);
  const onnx = new OnnxGraph(graph.name);
  const batchDim: Dim = options.batch ?? 'batch';
  const consumers = countConsumers(graph);
  const folded = new Map<string, string>(); // BN node name -> tensor name that already carries its output

  const param = (name: string): Float32Array => {
    const w = weights.get(name);
    if (!w) throw new Error(`missing weight '${name}' for ONNX export of '${graph.name}'`);
    return w;
  };

  for (const node of graph.nodes) {
    if (folded.has(node.name)) continue;
    const x = node.inputs.map((name) => folded.get(name) ?? name);
    switch (node.op) {
      case 'input':
        onnx.addInput(node.name === INFERENCE_INPUT ? node.name : node.name, DataType.FLOAT, [batchDim, ...node.attrs.shape]);
        break;
      case 'conv2d': {
        const a = node.attrs;
        const next = options.foldBatchNorm ? soleBatchNormConsumer(graph, node, consumers) : undefined;
        let w = param(`${node.name}.weight`);
        let b = a.bias ? param(`${node.name}.bias`) : undefined;
        let outName = node.name;
        if (next) {
          ({ w, b } = foldConvBn(w, b, a.outChannels, next, param));
          outName = next.name;
          folded.set(next.name, next.name);
        }
        const wName = onnx.addInitializer(`${node.name}.weight`, f32([a.outChannels, shapes.get(node.inputs[0]!)![0]! / a.groups, a.kernel, a.kernel], w));
        const inputs = [x[0]!, wName];
        if (b) inputs.push(onnx.addInitializer(`${node.name}.bias`, f32([a.outChannels], b)));
        onnx.op('Conv', inputs, convAttrs(node), outName);
        break;
      }
      case 'batchNorm': {
        const names = ['weight', 'bias', 'running_mean', 'running_var'].map((s) => {
          const full = `${node.name}.${s}`;
          return onnx.addInitializer(full, f32([param(full).length], param(full)));
        });
        onnx.op('BatchNormalization', [x[0]!, ...names], { epsilon: { f: node.attrs.eps } }, node.name);
        break;
      }
      case 'relu':
        onnx.op('Relu', x, {}, node.name);
        break;
      case 'relu6':
        onnx.op('Clip', [x[0]!, onnx.constant(f32([], [0]), 'zero_f'), onnx.constant(f32([], [6]), 'six_f')], {}, node.name);
        break;
      case 'hardSwish':
        onnx.op('HardSwish', x, {}, node.name);
        break;
      case 'identity':
        onnx.op('Identity', x, {}, node.name);
        break;
      case 'add':
        onnx.op(x.length === 2 ? 'Add' : 'Sum', x, {}, node.name);
        break;
      case 'concat':
        onnx.op('Concat', x, { axis: 1 }, node.name);
        break;
      case 'avgPool': {
        const a = node.attrs;
        onnx.op(
          'AveragePool',
          x,
          {
            kernel_shape: [a.kernel, a.kernel],
            strides: [a.stride, a.stride],
            pads: [a.padding, a.padding, a.padding, a.padding],
            count_include_pad: a.countIncludePad ? 1 : 0,
          },
          node.name,
        );
        break;
      }
      case 'maxPool': {
        const a = node.attrs;
        onnx.op(
          'MaxPool',
          x,
          { kernel_shape: [a.kernel, a.kernel], strides: [a.stride, a.stride], pads: [a.padding, a.padding, a.padding, a.padding] },
          node.name,
        );
        break;
      }
      case 'globalAvgPool':
        onnx.op('GlobalAveragePool', x, {}, node.name);
        break;
      case 'flatten':
        onnx.op('Flatten', x, { axis: 1 }, node.name);
        break;
      case 'linear': {
        const inFeatures = shapes.get(node.inputs[0]!)![0]!;
        const wName = onnx.addInitializer(`${node.name}.weight`, f32([node.attrs.outFeatures, inFeatures], param(`${node.name}.weight`)));
        const inputs = [x[0]!, wName];
        if (node.attrs.bias) inputs.push(onnx.addInitializer(`${node.name}.bias`, f32([node.attrs.outFeatures], param(`${node.name}.bias`))));
        onnx.op('Gemm', inputs, { transB: 1 }, node.name);
        break;
      }
      case 'zero':
        onnx.op('Mul', [strided(onnx, x[0]!, node.attrs.stride), onnx.constant(f32([], [0]), 'zero_f')], {}, node.name);
        break;
    }
  }
  const out = folded.get(graph.output) ?? graph.output;
  onnx.op('Identity', [out], {}, INFERENCE_OUTPUT);
  onnx.addOutput(INFERENCE_OUTPUT, DataType.FLOAT, [batchDim, ...shapes.get(graph.output)!]);
  void byName;
  return onnx.toBytes(options.opset ?? 17);
}

export function convAttrs(node: Extract<IrNode, { op: 'conv2d' }>): Record<string, number[] | number> {
  const a = node.attrs;
  return {
    kernel_shape: [a.kernel, a.kernel],
    strides: [a.stride, a.stride],
    pads: [a.padding, a.padding, a.padding, a.padding],
    dilations: [a.dilation, a.dilation],
    group: a.groups,
  };
}

/** x[:, :, ::s, ::s] as an ONNX Slice (identity when s = 1). */
export function strided(onnx: OnnxGraph, x: string, stride: number): string {
  if (stride === 1) return x;
  const big = 2 ** 31 - 1;
  return onnx.op('Slice', [
    x,
    onnx.constant(i64([2], [0, 0]), 'starts'),
    onnx.constant(i64([2], [big, big]), 'ends'),
    onnx.constant(i64([2], [2, 3]), 'axes'),
    onnx.constant(i64([2], [stride, stride]), 'steps'),
  ]);
}

function countConsumers(graph: Graph): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) counts.set(i, (counts.get(i) ?? 0) + 1);
  counts.set(graph.output, (counts.get(graph.output) ?? 0) + 1);
  return counts;
}

function soleBatchNormConsumer(
  graph: Graph,
  conv: IrNode,
  consumers: Map<string, number>,
): Extract<IrNode, { op: 'batchNorm' }> | undefined {
  if (consumers.get(conv.name) !== 1) return undefined;
  const next = graph.nodes.find((n) => n.inputs.includes(conv.name));
  return next?.op === 'batchNorm' ? next : undefined;
}

/** W' = W * gamma / sqrt(var + eps) per output channel; b' = beta + (b - mean) * gamma / sqrt(var + eps). */
function foldConvBn(
  w: Float32Array,
  b: Float32Array | undefined,
  outChannels: number,
  bn: Extract<IrNode, { op: 'batchNorm' }>,
  param: (name: string) => Float32Array,
): { w: Float32Array; b: Float32Array } {
  const gamma = param(`${bn.name}.weight`);
  const beta = param(`${bn.name}.bias`);
  const mean = param(`${bn.name}.running_mean`);
  const variance = param(`${bn.name}.running_var`);
  const perChannel = w.length / outChannels;
  const w2 = new Float32Array(w.length);
  const b2 = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    const scale = gamma[o]! / Math.sqrt(variance[o]! + bn.attrs.eps);
    for (let k = 0; k < perChannel; k++) w2[o * perChannel + k] = w[o * perChannel + k]! * scale;
    b2[o] = beta[o]! + ((b?.[o] ?? 0) - mean[o]!) * scale;
  }
  return { w: w2, b: b2 };
}

export type { Shape };

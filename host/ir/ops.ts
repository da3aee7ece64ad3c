/**
 * The op vocabulary of the graph IR: one discriminated union, typed attributes per op.
 * Shapes are per sample (no batch dimension): [C, H, W] for feature maps, [F] for vectors.
 * Op names are ours; the ONNX exporter maps each to ONNX nodes.
 */
export type Shape = readonly number[];

export interface Conv2dAttrs {
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
  dilation: number;
  groups: number;
  bias: boolean;
}

export interface BatchNormAttrs {
  eps: number;
  momentum: number;
}

export interface AvgPoolAttrs {
  kernel: number;
  stride: number;
  padding: number;
  /** PyTorch's count_include_pad: false divides border windows by the number of real pixels. */
  countIncludePad: boolean;
}

export interface MaxPoolAttrs {
  kernel: number;
  stride: number;
  padding: number;
}

export interface LinearAttrs {
  outFeatures: number;
  bias: boolean;
}

export interface ZeroAttrs {
  /** NAS-Bench-201's `none` on a strided edge keeps every s-th pixel before multiplying by 0. */
  stride: number;
}

export type OpSpec =
  | { op: 'input'; attrs: { shape: Shape } }
  | { op: 'conv2d'; attrs: Conv2dAttrs }
  | { op: 'batchNorm'; attrs: BatchNormAttrs }
  | { op: 'relu'; attrs: Record<string, never> }
  | { op: 'relu6'; attrs: Record<string, never> }
  | { op: 'hardSwish'; attrs: Record<string, never> }
  | { op: 'add'; attrs: Record<string, never> }
  | { op: 'concat'; attrs: Record<string, never> }
  | { op: 'avgPool'; attrs: AvgPoolAttrs }
  | { op: 'maxPool'; attrs: MaxPoolAttrs }
  | { op: 'globalAvgPool'; attrs: Record<string, never> }
  | { op: 'flatten'; attrs: Record<string, never> }
  | { op: 'linear'; attrs: LinearAttrs }
  | { op: 'identity'; attrs: Record<string, never> }
  | { op: 'zero'; attrs: ZeroAttrs };

export type OpType = OpSpec['op'];

/** A node's name is also the name of the tensor it produces and the prefix of its parameters. */
export type IrNode = OpSpec & { name: string; inputs: string[] };

export type NodeOf<T extends OpType> = Extract<IrNode, { op: T }>;

export const OP_TYPES: readonly OpType[] = [
  'input',
  'conv2d',
  'batchNorm',
  'relu',
  'relu6',
  'hardSwish',
  'add',
  'concat',
  'avgPool',
  'maxPool',
  'globalAvgPool',
  'flatten',
  'linear',
  'identity',
  'zero',
];

/** Ops that own trainable weights counted as a "layer" (ALGORITHMS.md §0.1). */
export function isWeightedLayer(node: IrNode): node is NodeOf<'conv2d'> | NodeOf<'linear'> {
  return node.op === 'conv2d' || node.op === 'linear';
}

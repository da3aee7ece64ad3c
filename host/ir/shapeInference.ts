import { ZeronasError } from '../../shared/errors.js';
import type { IrNode, Shape } from './ops.js';

const fmt = (s: Shape): string => `[${s.join(',')}]`;

function fail(node: IrNode, message: string, details: Record<string, unknown> = {}): never {
  throw new ZeronasError('ZN_SHAPE_MISMATCH', `node '${node.name}' (${node.op}): ${message}`, {
    node: node.name,
    op: node.op,
    ...details,
  });
}

/** Output size of a sliding window, PyTorch's floor convention (ceil_mode=false). */
export function windowOutputSize(size: number, kernel: number, stride: number, padding: number, dilation = 1): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

function expectRank(node: IrNode, shape: Shape, rank: number): void {
  if (shape.length !== rank) fail(node, `expects a rank-${rank} input per sample, got ${fmt(shape)}`, { shape });
}

function positiveInt(node: IrNode, what: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min) fail(node, `${what} must be an integer >= ${min}, got ${value}`);
}

/** Infers the per-sample output shape of one node from its input shapes, validating attributes. */
export function inferNodeShape(node: IrNode, inputs: Shape[]): Shape {
  const arity = (n: number): void => {
    if (inputs.length !== n) fail(node, `expects ${n} input(s), got ${inputs.length}`);
  };
  switch (node.op) {
    case 'input': {
      arity(0);
      for (const d of node.attrs.shape) positiveInt(node, 'input dimension', d);
      return [...node.attrs.shape];
    }
    case 'conv2d': {
      arity(1);
      const x = inputs[0]!;
      expectRank(node, x, 3);
      const a = node.attrs;
      positiveInt(node, 'kernel', a.kernel);
      positiveInt(node, 'stride', a.stride);
      positiveInt(node, 'dilation', a.dilation);
      positiveInt(node, 'groups', a.groups);
      positiveInt(node, 'outChannels', a.outChannels);
      positiveInt(node, 'padding', a.padding, 0);
      const [c, h, w] = x as [number, number, number];
      if (c % a.groups !== 0 || a.outChannels % a.groups !== 0) {
        fail(node, `groups=${a.groups} must divide input channels ${c} and output channels ${a.outChannels}`, {
          shape: x,
        });
      }
      const ho = windowOutputSize(h, a.kernel, a.stride, a.padding, a.dilation);
      const wo = windowOutputSize(w, a.kernel, a.stride, a.padding, a.dilation);
      if (ho < 1 || wo < 1) fail(node, `kernel ${a.kernel} does not fit input ${fmt(x)} with padding ${a.padding}`);
      return [a.outChannels, ho, wo];
    }
    case 'batchNorm':
    case 'relu':
    case 'relu6':
    case 'hardSwish':
    case 'identity': {
      arity(1);
      return [...inputs[0]!];
    }
    case 'zero': {
      arity(1);
      const x = inputs[0]!;
      positiveInt(node, 'stride', node.attrs.stride);
      if (node.attrs.stride === 1) return [...x];
      expectRank(node, x, 3);
      const s = node.attrs.stride;
      return [x[0]!, Math.ceil(x[1]! / s), Math.ceil(x[2]! / s)];
    }
    case 'add': {
      if (inputs.length < 2) fail(node, `expects at least 2 inputs, got ${inputs.length}`);
      const first = inputs[0]!;
      inputs.forEach((s, i) => {
        if (s.length !== first.length || s.some((d, k) => d !== first[k])) {
          fail(node, `input 0 has shape ${fmt(first)} but input ${i} ('${node.inputs[i]}') has ${fmt(s)}`, {
            shapes: inputs,
          });
        }
      });
      return [...first];
    }
    case 'concat': {
      if (inputs.length < 1) fail(node, 'expects at least 1 input');
      const first = inputs[0]!;
      let channels = 0;
      inputs.forEach((s, i) => {
        expectRank(node, s, 3);
        if (s[1] !== first[1] || s[2] !== first[2]) {
          fail(node, `spatial size of input 0 ${fmt(first)} differs from input ${i} ('${node.inputs[i]}') ${fmt(s)}`, {
            shapes: inputs,
          });
        }
        channels += s[0]!;
      });
      return [channels, first[1]!, first[2]!];
    }
    case 'avgPool':
    case 'maxPool': {
      arity(1);
      const x = inputs[0]!;
      expectRank(node, x, 3);
      const a = node.attrs;
      positiveInt(node, 'kernel', a.kernel);
      positiveInt(node, 'stride', a.stride);
      positiveInt(node, 'padding', a.padding, 0);
      if (a.padding * 2 > a.kernel) fail(node, `padding ${a.padding} must be at most half the kernel ${a.kernel}`);
      const ho = windowOutputSize(x[1]!, a.kernel, a.stride, a.padding);
      const wo = windowOutputSize(x[2]!, a.kernel, a.stride, a.padding);
      if (ho < 1 || wo < 1) fail(node, `kernel ${a.kernel} does not fit input ${fmt(x)}`);
      return [x[0]!, ho, wo];
    }
    case 'globalAvgPool': {
      arity(1);
      expectRank(node, inputs[0]!, 3);
      return [inputs[0]![0]!, 1, 1];
    }
    case 'flatten': {
      arity(1);
      return [inputs[0]!.reduce((a, b) => a * b, 1)];
    }
    case 'linear': {
      arity(1);
      expectRank(node, inputs[0]!, 1);
      positiveInt(node, 'outFeatures', node.attrs.outFeatures);
      return [node.attrs.outFeatures];
    }
  }
}

/** Shapes of every tensor of a topologically ordered node list. */
export function inferShapes(nodes: readonly IrNode[]): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const node of nodes) {
    const ins = node.inputs.map((name) => {
      const s = shapes.get(name);
      if (!s) fail(node, `input '${name}' has no known shape (not produced earlier)`);
      return s;
    });
    shapes.set(node.name, inferNodeShape(node, ins));
  }
  return shapes;
}

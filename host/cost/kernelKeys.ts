/**
 * Kernel keys: the distinct measurable units of an architecture as a runtime executes them (nn-Meter's "kernels",
 * HARDWARE.md §1.1-1.2), derived from the IR. With batch-norm folded into the conv before it (exportInference's
 * `foldBatchNorm`), a ReLU -> Conv -> BN chain runs as one unit; a merge node is one Add/Sum kernel over its
 * non-constant inputs; pooling, the classifier's global pooling and Gemm are kernels of their own. Views
 * (identity, flatten) cost nothing and are not kernels.
 *
 * Key format (stable; a lookup table is keyed by it), `<kind>|<attrs>|<in>><out>` with shapes per sample:
 *   relu_conv_bn|k3s1p1d1g1|16x32x32>16x32x32     add|n3|16x32x32>16x32x32     gemm|bias|64>10
 */
import { ZeronasError } from '../../shared/errors.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import { validateGraph } from '../ir/graph.js';
import type { IrNode, Shape } from '../ir/ops.js';
import { buildNb201Network, enumerateNb201, NB201_DATASETS, type Nb201Dataset } from '../spaces/nb201.js';
import { executionPlan, EXECUTION_HYPOTHESES, type ExecutionHypothesis } from './execution.js';

export const KERNEL_KINDS = [
  'relu_conv_bn',
  'relu_conv',
  'conv_bn',
  'conv',
  'bn_relu',
  'bn',
  'relu',
  'relu6',
  'hard_swish',
  'avg_pool',
  'max_pool',
  'global_avg_pool',
  'gemm',
  'add',
  'concat',
  'mul_zero',
] as const;
export type KernelKind = (typeof KERNEL_KINDS)[number];

export interface KernelUse {
  key: string;
  kind: KernelKind;
  /** How many times the architecture runs this kernel. */
  count: number;
  /** The IR nodes of every occurrence, in graph order (one inner array per occurrence). */
  nodes: string[][];
  inputShape: Shape;
  outputShape: Shape;
  /** The attribute part of the key, e.g. `k3s1p1d1g1`. */
  attrs: string;
}

const shapeText = (s: Shape): string => s.join('x');

export function formatKernelKey(kind: KernelKind, attrs: string, input: Shape, output: Shape): string {
  return `${kind}|${attrs}|${shapeText(input)}>${shapeText(output)}`;
}

export interface ParsedKernelKey {
  kind: KernelKind;
  attrs: string;
  inputShape: number[];
  outputShape: number[];
}

export function parseKernelKey(key: string): ParsedKernelKey {
  const m = /^([a-z_0-9]+)\|([^|]*)\|([0-9x]+)>([0-9x]+)$/.exec(key);
  const kind = m?.[1] as KernelKind | undefined;
  if (!m || !kind || !(KERNEL_KINDS as readonly string[]).includes(kind)) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `kernel key '${key}' is malformed; expected '<kind>|<attrs>|<CxHxW>><CxHxW>' with kind one of ${KERNEL_KINDS.join(', ')}`,
      { key },
    );
  }
  const shape = (t: string): number[] => t.split('x').map(Number);
  return { kind, attrs: m[2]!, inputShape: shape(m[3]!), outputShape: shape(m[4]!) };
}

function convAttrText(node: Extract<IrNode, { op: 'conv2d' }>): string {
  const a = node.attrs;
  return `k${a.kernel}s${a.stride}p${a.padding}d${a.dilation}g${a.groups}${a.bias ? 'b' : ''}`;
}

function poolAttrText(node: Extract<IrNode, { op: 'avgPool' | 'maxPool' }>): string {
  const a = node.attrs;
  const cip = node.op === 'avgPool' ? `cip${node.attrs.countIncludePad ? 1 : 0}` : '';
  return `k${a.kernel}s${a.stride}p${a.padding}${cip}`;
}

export interface KernelsOfOptions {
  /** Which nodes run (execution.ts); default `all`, what onnxruntime runs for an unpruned export. */
  execution?: ExecutionHypothesis;
}

/**
 * The distinct kernels an architecture runs, with counts. Grouping (BN folded): a conv absorbs the ReLU before it
 * when that ReLU feeds only this conv, and the BN after it when the conv feeds only that BN; a BN not absorbed
 * absorbs a sole-consumer ReLU after it. An add is one kernel over its inputs that run or are non-constant
 * (arity n >= 2); with fewer it is a pass-through.
 */
export function kernelsOf(graph: Graph, options: KernelsOfOptions = {}): KernelUse[] {
  const { shapes, byName } = validateGraph(graph);
  const plan = executionPlan(graph, options.execution ?? 'all');
  const runs = (name: string): boolean => plan.executed.has(name);
  const consumers = new Map<string, IrNode[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      const users = consumers.get(i);
      if (users) users.push(n);
      else consumers.set(i, [n]);
    }
  }
  const soleConsumer = (name: string): IrNode | undefined => {
    const users = consumers.get(name) ?? [];
    return users.length === 1 && name !== graph.output ? users[0] : undefined;
  };
  const absorbed = new Set<string>();
  const uses = new Map<string, KernelUse>();
  const record = (kind: KernelKind, attrs: string, nodes: string[], input: Shape, output: Shape): void => {
    const key = formatKernelKey(kind, attrs, input, output);
    const use = uses.get(key) ?? { key, kind, count: 0, nodes: [], inputShape: input, outputShape: output, attrs };
    use.count++;
    use.nodes.push(nodes);
    uses.set(key, use);
  };
  // Pass 1: conv units claim their ReLU and BN.
  for (const node of graph.nodes) {
    if (node.op !== 'conv2d' || !runs(node.name)) continue;
    const pre = byName.get(node.inputs[0]!)!;
    const hasRelu = pre.op === 'relu' && runs(pre.name) && soleConsumer(pre.name) === node;
    const post = soleConsumer(node.name);
    const hasBn = post?.op === 'batchNorm' && runs(post.name);
    const group = [...(hasRelu ? [pre.name] : []), node.name, ...(hasBn ? [post.name] : [])];
    group.forEach((n) => absorbed.add(n));
    const kind: KernelKind = hasRelu ? (hasBn ? 'relu_conv_bn' : 'relu_conv') : hasBn ? 'conv_bn' : 'conv';
    const input = shapes.get(hasRelu ? pre.inputs[0]! : node.inputs[0]!)!;
    record(kind, convAttrText(node), group, input, shapes.get(group[group.length - 1]!)!);
  }
  // Pass 2: everything else that runs.
  for (const node of graph.nodes) {
    if (!runs(node.name) || absorbed.has(node.name)) continue;
    const input = node.inputs.length ? shapes.get(node.inputs[0]!)! : [];
    const output = shapes.get(node.name)!;
    switch (node.op) {
      case 'batchNorm': {
        const post = soleConsumer(node.name);
        if (post?.op === 'relu' && runs(post.name) && !absorbed.has(post.name)) {
          absorbed.add(post.name);
          record('bn_relu', '', [node.name, post.name], input, shapes.get(post.name)!);
        } else record('bn', '', [node.name], input, output);
        break;
      }
      case 'relu':
        record('relu', '', [node.name], input, output);
        break;
      case 'relu6':
        record('relu6', '', [node.name], input, output);
        break;
      case 'hardSwish':
        record('hard_swish', '', [node.name], input, output);
        break;
      case 'avgPool':
        record('avg_pool', poolAttrText(node), [node.name], input, output);
        break;
      case 'maxPool':
        record('max_pool', poolAttrText(node), [node.name], input, output);
        break;
      case 'globalAvgPool':
        record('global_avg_pool', '', [node.name], input, output);
        break;
      case 'linear':
        record('gemm', node.attrs.bias ? 'bias' : 'nobias', [node.name], input, output);
        break;
      case 'concat':
        record('concat', `n${node.inputs.length}`, [node.name], input, output);
        break;
      case 'zero':
        record('mul_zero', `s${node.attrs.stride}`, [node.name], input, output);
        break;
      case 'add': {
        const arity = node.inputs.filter((i) => runs(i) || !plan.constant.has(i)).length;
        if (arity >= 2) record('add', `n${arity}`, [node.name], output, output);
        break;
      }
      default:
        break;
    }
  }
  return [...uses.values()];
}

export interface SpaceKernelOptions {
  /** Datasets whose networks to enumerate; default all three nb201 datasets. */
  datasets?: Nb201Dataset[];
  /** Execution hypotheses to cover; default all, so the table serves any of them. */
  executions?: ExecutionHypothesis[];
  /** nb201 channels of the first stage (C); default 16. */
  channels?: number;
}

export interface SpaceKernel {
  key: string;
  kind: KernelKind;
  inputShape: Shape;
  outputShape: Shape;
  /** Number of (cell, dataset, hypothesis) combinations that run this kernel at least once. */
  architectures: number;
}

/**
 * Every distinct kernel of a search space: the union of `kernelsOf` over all architectures, datasets and execution
 * hypotheses, sorted by key. This is the list a device agent must time to fill a complete lookup table.
 */
export function enumerateSpaceKernels(space: 'nb201', options: SpaceKernelOptions = {}): SpaceKernel[] {
  if (space !== 'nb201') throw new ZeronasError('ZN_BAD_ARGUMENT', `unknown search space '${String(space)}'; known: nb201`);
  const datasets = options.datasets ?? (Object.keys(NB201_DATASETS) as Nb201Dataset[]);
  const executions = options.executions ?? [...EXECUTION_HYPOTHESES];
  const table = new Map<string, SpaceKernel>();
  for (const dataset of datasets) {
    for (const cell of enumerateNb201()) {
      // One cell per stage has the same kernels as five (every cell of a stage sees the same shapes), at a fifth
      // of the cost; `architectures` counts cells, not networks.
      const graph = buildNb201Network(cell, { ...NB201_DATASETS[dataset], cellsPerStage: 1, channels: options.channels ?? 16 });
      for (const execution of executions) {
        for (const k of kernelsOf(graph, { execution })) {
          const entry = table.get(k.key) ?? { key: k.key, kind: k.kind, inputShape: k.inputShape, outputShape: k.outputShape, architectures: 0 };
          entry.architectures++;
          table.set(k.key, entry);
        }
      }
    }
  }
  return [...table.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function parseConvAttrs(attrs: string, key: string): { kernel: number; stride: number; padding: number; dilation: number; groups: number; bias: boolean } {
  const m = /^k(\d+)s(\d+)p(\d+)d(\d+)g(\d+)(b?)$/.exec(attrs);
  if (!m) throw new ZeronasError('ZN_BAD_ARGUMENT', `kernel key '${key}': conv attributes '${attrs}' are malformed, expected e.g. k3s1p1d1g1`, { key });
  return { kernel: +m[1]!, stride: +m[2]!, padding: +m[3]!, dilation: +m[4]!, groups: +m[5]!, bias: m[6] === 'b' };
}

function parsePoolAttrs(attrs: string, key: string): { kernel: number; stride: number; padding: number; countIncludePad: boolean } {
  const m = /^k(\d+)s(\d+)p(\d+)(?:cip([01]))?$/.exec(attrs);
  if (!m) throw new ZeronasError('ZN_BAD_ARGUMENT', `kernel key '${key}': pool attributes '${attrs}' are malformed, expected e.g. k3s1p1cip0`, { key });
  return { kernel: +m[1]!, stride: +m[2]!, padding: +m[3]!, countIncludePad: m[4] === '1' };
}

/**
 * A micro model that runs exactly one kernel (input of the key's input shape), for timing on a device:
 * `exportInference(buildKernelModel(key), initWeights(...), { batch: 1, foldBatchNorm: true })`. An n-ary add reads
 * the input n times (same cost as n distinct tensors of that shape). The built graph's output shape is checked
 * against the key.
 */
export function buildKernelModel(key: string): Graph {
  const k = parseKernelKey(key);
  const b = new GraphBuilder(`kernel:${key}`);
  const x = b.input(k.inputShape);
  const outC = k.outputShape[0]!;
  let y: string;
  switch (k.kind) {
    case 'relu_conv_bn':
    case 'relu_conv':
    case 'conv_bn':
    case 'conv': {
      const a = parseConvAttrs(k.attrs, key);
      let t = k.kind.startsWith('relu') ? b.relu('relu', x) : x;
      t = b.conv2d('conv', t, { outChannels: outC, ...a });
      y = k.kind.endsWith('_bn') ? b.batchNorm('bn', t) : t;
      break;
    }
    case 'bn_relu':
      y = b.relu('relu', b.batchNorm('bn', x));
      break;
    case 'bn':
      y = b.batchNorm('bn', x);
      break;
    case 'relu':
      y = b.relu('relu', x);
      break;
    case 'relu6':
      y = b.relu6('relu6', x);
      break;
    case 'hard_swish':
      y = b.hardSwish('hard_swish', x);
      break;
    case 'avg_pool':
      y = b.avgPool('pool', x, parsePoolAttrs(k.attrs, key));
      break;
    case 'max_pool': {
      const { kernel, stride, padding } = parsePoolAttrs(k.attrs, key);
      y = b.maxPool('pool', x, { kernel, stride, padding });
      break;
    }
    case 'global_avg_pool':
      y = b.globalAvgPool('pool', x);
      break;
    case 'gemm':
      y = b.linear('fc', x, { outFeatures: outC, bias: k.attrs !== 'nobias' });
      break;
    case 'add':
    case 'concat': {
      const n = Number(/^n(\d+)$/.exec(k.attrs)?.[1] ?? NaN);
      if (!Number.isInteger(n) || n < 2) throw new ZeronasError('ZN_BAD_ARGUMENT', `kernel key '${key}': arity '${k.attrs}' must be n<integer >= 2>`, { key });
      y = k.kind === 'add' ? b.add('add', Array(n).fill(x)) : b.concat('concat', Array(n).fill(x));
      break;
    }
    case 'mul_zero':
      y = b.zero('zero', x, Number(/^s(\d+)$/.exec(k.attrs)?.[1] ?? 1));
      break;
  }
  const graph = b.build(y, { kernel: key });
  const out = validateGraph(graph).shapes.get(graph.output)!;
  if (shapeText(out) !== shapeText(k.outputShape)) {
    throw new ZeronasError('ZN_SHAPE_MISMATCH', `kernel key '${key}' says output ${shapeText(k.outputShape)} but the micro model gives ${shapeText(out)}`, { key });
  }
  return graph;
}

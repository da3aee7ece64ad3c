/**
 * The training-mode forward pass: walks the IR in topological order and lets each op's rule emit its forward
 * nodes, keeping what the backward needs (saved tensors, BN batch statistics). Parameters become initializers on
 * first use (weights baked in: ORT then constant-folds the kernel transforms of the backward, ENGINES.md).
 */
import { ZeronasError } from '../../shared/errors.js';
import type { Graph } from '../ir/graph.js';
import { validateGraph } from '../ir/graph.js';
import type { IrNode, OpType, Shape } from '../ir/ops.js';
import { f32 } from '../onnx/onnxGraph.js';
import type { Emitter, FullShape } from './emitter.js';
import type { BnMode, ForwardContext, NodeContext, OpRule } from './rule.js';
import { backwardRules } from './rules/index.js';

export interface ForwardRecord {
  g: Emitter;
  graph: Graph;
  batch: number;
  bnMode: BnMode;
  /** Per-sample shapes from IR shape inference. */
  shapes: Map<string, Shape>;
  /** IR tensor name -> ONNX tensor name of its forward value. */
  tensors: Map<string, string>;
  saved: Map<string, Record<string, string>>;
  bnStats: Map<string, { mean: string; variance: string }>;
  /** Parameter name -> ONNX initializer name (only those the graph used). */
  params: Map<string, string>;
  weights: ReadonlyMap<string, Float32Array>;
}

/** Names our emitter generates (and the model's interface names): IR tensors that look like one get an `ir:` prefix. */
const GENERATED = /^(c|ci)(__\d+)?$|_(out|node)(__\d+)?$|\.(weight|bias|running_mean|running_var|inv_count)(__\d+)?$|:/;
const INTERFACE = new Set(['input', 'labels', 'dlogits', 'loss', 'logits']);

export function onnxTensorName(node: IrNode): string {
  if (node.op === 'input') return 'input';
  return INTERFACE.has(node.name) || GENERATED.test(node.name) ? `ir:${node.name}` : node.name;
}

export const fullShape = (batch: number, s: Shape): FullShape => [batch, ...s];

export function ruleFor<T extends OpType>(op: T): OpRule<T> {
  return backwardRules[op] as unknown as OpRule<T>;
}

export function nodeContext(
  fwd: ForwardRecord,
  node: IrNode,
): NodeContext<OpType> {
  const paramValue = (suffix: string): Float32Array => {
    const name = `${node.name}.${suffix}`;
    const value = fwd.weights.get(name);
    if (!value) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `training export of '${fwd.graph.name}': missing weight '${name}'`, {
        param: name,
      });
    }
    const dims = paramDims(fwd, node, suffix);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (value.length !== expected) {
      throw new ZeronasError(
        'ZN_SHAPE_MISMATCH',
        `weight '${name}' has ${value.length} values, expected ${expected} for shape [${dims.join(',')}]`,
        { param: name },
      );
    }
    return value;
  };
  const param = (suffix: string): string => {
    const name = `${node.name}.${suffix}`;
    const known = fwd.params.get(name);
    if (known) return known;
    const value = paramValue(suffix);
    const dims = paramDims(fwd, node, suffix);
    const onnxName = fwd.g.initializer(name, f32(dims, value));
    fwd.params.set(name, onnxName);
    return onnxName;
  };
  return {
    g: fwd.g,
    node,
    batch: fwd.batch,
    bnMode: fwd.bnMode,
    inputs: node.inputs.map((i) => fwd.tensors.get(i)!),
    inputShapes: node.inputs.map((i) => fullShape(fwd.batch, fwd.shapes.get(i)!)),
    outputShape: fullShape(fwd.batch, fwd.shapes.get(node.name)!),
    param,
    paramValue,
  };
}

function paramDims(fwd: ForwardRecord, node: IrNode, suffix: string): number[] {
  const inShape = node.inputs.length ? fwd.shapes.get(node.inputs[0]!)! : [];
  if (node.op === 'conv2d') {
    const a = node.attrs;
    return suffix === 'weight' ? [a.outChannels, inShape[0]! / a.groups, a.kernel, a.kernel] : [a.outChannels];
  }
  if (node.op === 'linear') return suffix === 'weight' ? [node.attrs.outFeatures, inShape[0]!] : [node.attrs.outFeatures];
  return [inShape[0]!];
}

export function emitTrainingForward(
  g: Emitter,
  graph: Graph,
  weights: ReadonlyMap<string, Float32Array>,
  options: { batch: number; bnMode: BnMode },
): ForwardRecord {
  const { shapes } = validateGraph(graph);
  const fwd: ForwardRecord = {
    g,
    graph,
    batch: options.batch,
    bnMode: options.bnMode,
    shapes,
    tensors: new Map(),
    saved: new Map(),
    bnStats: new Map(),
    params: new Map(),
    weights,
  };
  for (const node of graph.nodes) {
    const ctx: ForwardContext<OpType> = { ...nodeContext(fwd, node), outputName: onnxTensorName(node) };
    const result = ruleFor(node.op).forward(ctx as never);
    const got = g.shape(result.output);
    const want = ctx.outputShape;
    if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
      throw new ZeronasError(
        'ZN_SHAPE_MISMATCH',
        `training forward of node '${node.name}' (${node.op}) produced [${got.join(',')}], IR says [${want.join(',')}]`,
        { node: node.name },
      );
    }
    fwd.tensors.set(node.name, result.output);
    if (result.saved) fwd.saved.set(node.name, result.saved);
    if (result.bnStats) fwd.bnStats.set(node.name, result.bnStats);
  }
  return fwd;
}

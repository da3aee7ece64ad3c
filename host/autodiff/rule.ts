/**
 * The contract of a backward rule (after tfjs's gradient configs, STYLE.md §6.2): per IR op, one object that
 *  - emits the training-mode forward and declares which forward tensors it saves for the backward, and
 *  - emits the vector-Jacobian product: given dL/dy, one gradient per differentiable input and per parameter,
 *    each built only when the caller says it is needed.
 * Rules emit plain ONNX forward ops through the shape-tracking Emitter, so a backward graph needs nothing new to run.
 */
import type { NodeOf, OpType } from '../ir/ops.js';
import type { Emitter, FullShape } from './emitter.js';

export type BnMode = 'train' | 'eval';

export interface NodeContext<T extends OpType> {
  g: Emitter;
  node: NodeOf<T>;
  batch: number;
  bnMode: BnMode;
  /** ONNX names of the forward inputs, in node.inputs order. */
  inputs: readonly string[];
  /** Full (batch-first) shapes of the inputs and of the output. */
  inputShapes: readonly FullShape[];
  outputShape: FullShape;
  /** ONNX name of the initializer `<node>.<suffix>` (weight, bias, running_mean, running_var). */
  param(suffix: string): string;
  /** The VALUE of parameter `<node>.<suffix>` (weights are baked in, so a rule may transform them at build time). */
  paramValue(suffix: string): Float32Array;
}

export interface ForwardContext<T extends OpType> extends NodeContext<T> {
  /** The ONNX name the output should get (the IR tensor name, made unique). */
  outputName: string;
}

export interface ForwardResult {
  output: string;
  /** Forward tensors the backward reads, by role (e.g. { xhat, invstd } for batch norm). */
  saved?: Record<string, string>;
  /** Batch-norm train mode only: batch mean [C] and unbiased batch variance [C]. */
  bnStats?: { mean: string; variance: string };
}

export interface BackwardContext<T extends OpType> extends NodeContext<T> {
  output: string;
  saved: Readonly<Record<string, string>>;
  /** dL/d(output), same shape as the output. */
  dy: string;
  /** needsInput[i]: build the gradient of input i. */
  needsInput: readonly boolean[];
  /** Build the gradient of parameter `<node>.<suffix>`. */
  needsParam(suffix: string): boolean;
}

export interface BackwardResult {
  /** One entry per input: the gradient's ONNX name, or null when it is structurally zero or not needed. */
  inputs: (string | null)[];
  /** Parameter gradients by suffix ('weight', 'bias'). */
  params?: Record<string, string>;
}

export interface OpRule<T extends OpType> {
  forward(ctx: ForwardContext<T>): ForwardResult;
  backward(ctx: BackwardContext<T>): BackwardResult;
}

/** One rule per op type: a missing op is a compile error where the registry `satisfies` this. */
export type BackwardRuleTable = { readonly [K in OpType]: OpRule<K> };

/** Gradient list with null for every input not needed. */
export const onlyNeeded = (
  ctx: { inputs: readonly string[]; needsInput: readonly boolean[] },
  make: (i: number) => string | null,
): (string | null)[] =>
  ctx.inputs.map((_, i) => (ctx.needsInput[i] ? make(i) : null));

/**
 * Reverse-mode differentiation over the IR. Walks the nodes in reverse topological order; each node's dL/dy is the
 * sum (Add, or Sum for 3+, or a conv's Sum input) of what its consumers sent back, pooled over nodes that recompute
 * the same value (duplicateNodes). Its rule then emits one gradient per differentiable input, and only for inputs
 * that lead back to something requested (a parameter, the input, an activation), so no node is built that nothing
 * reads. Gradients that are structurally zero (behind NB201's `none`) are null and cost
 * nothing. Every gradient's shape is checked against its input's (ZN_GRAD_SHAPE names node, input and both shapes).
 */
import { ZeronasError } from '../../shared/errors.js';
import type { OpType } from '../ir/ops.js';
import { nodeParams } from '../ir/params.js';
import type { FullShape } from './emitter.js';
import type { ForwardRecord } from './forward.js';
import type { BackwardContext, BackwardResult } from './rule.js';
import { fullShape, nodeContext, ruleFor } from './forward.js';

export interface BackwardRequest {
  /** Parameter names (`<node>.weight`, ...) whose gradient is wanted. */
  params: ReadonlySet<string>;
  /** IR tensor names (including the input node's) whose gradient dL/dt is wanted. */
  tensors: ReadonlySet<string>;
}

export interface BackwardOutputs {
  /** Parameter name -> ONNX gradient tensor, or null when the gradient is structurally zero. */
  params: Map<string, string | null>;
  /** IR tensor name -> ONNX gradient tensor, or null when structurally zero. */
  tensors: Map<string, string | null>;
}

const fmt = (s: FullShape): string => `[${s.join(',')}]`;
const sameShape = (a: FullShape, b: FullShape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Emits the backward pass seeded with `seed` = dL/d(seedAt), where `seedAt` is the graph output by default. Seeded at
 * an inner tensor F with `request.tensors` = {E}, the pass is the vector-Jacobian product of the sub-graph between E
 * and F only (AZ-NAS's block-local VJPs): nothing downstream of F carries a gradient, and nothing upstream of E needs
 * one.
 */
export function emitBackward(fwd: ForwardRecord, seed: string, request: BackwardRequest, seedAt: string = fwd.graph.output): BackwardOutputs {
  const { g, graph, batch } = fwd;
  const nodes = graph.nodes;

  // requiresGrad(t): some requested gradient lies at or upstream of t, so dL/dt must be propagated.
  const requires = new Map<string, boolean>();
  for (const node of nodes) {
    const own = request.tensors.has(node.name) || nodeParams(node, fwd.shapes).some((p) => request.params.has(p.name));
    requires.set(node.name, own || node.inputs.some((i) => requires.get(i)));
  }

  const seedShape = fwd.shapes.get(seedAt);
  if (!seedShape) throw new ZeronasError('ZN_BAD_ARGUMENT', `backward seed: '${seedAt}' is not a tensor of '${graph.name}'`, { node: seedAt });
  const outputShape = fullShape(batch, seedShape);
  if (!sameShape(g.shape(seed), outputShape)) {
    throw new ZeronasError(
      'ZN_GRAD_SHAPE',
      `seed gradient for '${seedAt}' has shape ${fmt(g.shape(seed))}, expected ${fmt(outputShape)}`,
      { node: seedAt, got: g.shape(seed), expected: outputShape },
    );
  }
  const pooledInto = duplicateNodes(fwd, request, seedAt);
  const pending = new Map<string, string[]>([[seedAt, [seed]]]);
  // How many pending lists hold each gradient tensor (a rule may send one tensor to several inputs, e.g. Add's dy).
  const holders = new Map<string, number>([[seed, 2]]);
  /** Σ parts; a part only this sum holds may absorb the others into the conv that computes it (Emitter.addIntoConv). */
  const accumulate = (parts: string[]): string => {
    let j = parts.length < 2 ? -1 : parts.length - 1;
    while (j >= 0 && !(holders.get(parts[j]!) === 1 && g.canAddIntoConv(parts[j]!))) j--;
    return j < 0 ? g.sum(parts) : g.addIntoConv(parts[j]!, g.sum(parts.filter((_, i) => i !== j)));
  };
  const out: BackwardOutputs = { params: new Map(), tensors: new Map() };

  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!;
    if (pooledInto.has(node.name)) continue;
    const parts = pending.get(node.name);
    pending.delete(node.name);
    const dy = parts && parts.length ? accumulate(parts) : null;
    if (request.tensors.has(node.name)) {
      out.tensors.set(node.name, dy);
      if (dy !== null) holders.set(dy, (holders.get(dy) ?? 0) + 1); // an output reads it: never fused into a later sum
    }
    if (dy === null || node.op === 'input') continue;

    const needsInput = node.inputs.map((i) => requires.get(i) === true);
    const needsParam = (suffix: string): boolean => request.params.has(`${node.name}.${suffix}`);
    const ownParams = nodeParams(node, fwd.shapes).filter((p) => request.params.has(p.name));
    if (!needsInput.some(Boolean) && ownParams.length === 0) continue;

    const ctx: BackwardContext<OpType> = {
      ...nodeContext(fwd, node),
      output: fwd.tensors.get(node.name)!,
      saved: fwd.saved.get(node.name) ?? {},
      dy,
      needsInput,
      needsParam,
    };
    const result: BackwardResult = ruleFor(node.op).backward(ctx as never);

    node.inputs.forEach((input, i) => {
      const grad = result.inputs[i];
      if (!needsInput[i] || grad === null) return;
      if (grad === undefined) {
        throw new ZeronasError(
          'ZN_GRAD_SHAPE',
          `backward rule of '${node.name}' (${node.op}) returned no gradient for input ${i} ('${input}')`,
          { node: node.name, input },
        );
      }
      checkShape(node.name, node.op, input, g.shape(grad), ctx.inputShapes[i]!);
      const target = pooledInto.get(input) ?? input;
      const list = pending.get(target) ?? [];
      list.push(grad);
      pending.set(target, list);
      holders.set(grad, (holders.get(grad) ?? 0) + 1);
    });
    for (const p of ownParams) {
      const suffix = p.name.slice(node.name.length + 1);
      const grad = result.params?.[suffix];
      if (grad === undefined) {
        throw new ZeronasError(
          'ZN_GRAD_SHAPE',
          `backward rule of '${node.name}' (${node.op}) returned no gradient for parameter '${p.name}'`,
          { node: node.name, input: p.name },
        );
      }
      checkShape(node.name, node.op, p.name, g.shape(grad), p.shape);
      out.params.set(p.name, grad);
    }
  }
  for (const p of request.params) if (!out.params.has(p)) out.params.set(p, null);
  for (const t of request.tensors) if (!out.tensors.has(t)) out.tensors.set(t, null);
  return out;
}

/**
 * Parameter-free nodes that recompute an earlier node's value (same op, same inputs after pooling, same attributes;
 * in NAS-Bench-201 the ReLU opening every conv edge that leaves one cell node), mapped to that first node. Their
 * consumers' gradients are pooled into the first node's, whose rule then runs once on the sum, which is exact since
 * a rule's input gradient is linear in dy: one ReLU mask applied to the sum, not one per edge. The forward is not
 * affected (OnnxGraph merges the duplicate nodes when it serialises). Tensors whose own gradient is requested, the
 * seeded tensor and the graph output are never pooled.
 */
function duplicateNodes(fwd: ForwardRecord, request: BackwardRequest, seedAt: string): Map<string, string> {
  const pooledInto = new Map<string, string>();
  const firstByKey = new Map<string, string>();
  for (const node of fwd.graph.nodes) {
    if (node.op === 'input' || node.name === fwd.graph.output || node.name === seedAt || request.tensors.has(node.name) || nodeParams(node, fwd.shapes).length > 0) continue;
    const key = `${node.op}|${node.inputs.map((i) => pooledInto.get(i) ?? i).join(',')}|${JSON.stringify(node.attrs)}`;
    const first = firstByKey.get(key);
    if (first === undefined) firstByKey.set(key, node.name);
    else pooledInto.set(node.name, first);
  }
  return pooledInto;
}

function checkShape(node: string, op: string, input: string, got: FullShape, expected: FullShape): void {
  if (!sameShape(got, expected)) {
    throw new ZeronasError(
      'ZN_GRAD_SHAPE',
      `gradient of node '${node}' (${op}) for '${input}' has shape ${fmt(got)}, but '${input}' has shape ${fmt(expected)}`,
      { node, op, input, got, expected },
    );
  }
}

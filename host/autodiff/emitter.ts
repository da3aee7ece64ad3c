/**
 * A shape-tracking front end to OnnxGraph for the training graph. Every method emits one ONNX node and records the
 * full (batch-first) shape of what it produced, computed from the ONNX semantics of that op. backward.ts compares
 * those shapes with the forward shapes, so a wrong stride, padding or output_padding in a rule fails at build time
 * (ZN_GRAD_SHAPE) instead of producing a model that onnxruntime rejects or, worse, silently broadcasts.
 */
import { ZeronasError } from '../../shared/errors.js';
import { NCHWC_DOMAIN, reorderFilterOIHWBiBo, reorderFilterOIHWBo } from '../onnx/nchwc.js';
import { DataType, OnnxGraph, f32, i64, type AttrValue, type DataTypeId, type OnnxTensor } from '../onnx/onnxGraph.js';

export type FullShape = readonly number[];

const fmt = (s: FullShape): string => `[${s.join(',')}]`;
const prod = (s: FullShape): number => s.reduce((a, b) => a * b, 1);

export interface ConvLikeAttrs {
  kernel: number;
  stride: number;
  padding: number;
  dilation: number;
  groups: number;
}

export class Emitter {
  readonly onnx: OnnxGraph;
  private readonly shapes = new Map<string, FullShape>();
  /**
   * Convs left plain that onnxruntime's own NCHWc transformer would block (depthwise, or weights computed in the
   * graph). While 0, a graph emitted with nchwcBlock > 0 loses nothing when ORT's optimiser is disabled.
   */
  plainBlockableConvs = 0;

  /**
   * @param nchwcBlock when > 0, convs and pools with suitable channel counts are emitted as onnxruntime's blocked
   *   (NCHWc) kernels with this block size, and their results stay blocked (see the layout section below and
   *   host/onnx/nchwc.ts); 0 emits plain ONNX.
   */
  constructor(
    name: string,
    readonly nchwcBlock = 0,
  ) {
    this.onnx = new OnnxGraph(name);
  }

  /** The recorded shape of a tensor; throws for a tensor this emitter did not produce. */
  shape(name: string): FullShape {
    const s = this.shapes.get(name);
    if (!s) throw new ZeronasError('ZN_BAD_GRAPH', `training graph: no known shape for tensor '${name}'`);
    return s;
  }

  private record(name: string, shape: FullShape): string {
    this.shapes.set(name, [...shape]);
    return name;
  }

  private fail(op: string, message: string): never {
    throw new ZeronasError('ZN_SHAPE_MISMATCH', `training graph ${op}: ${message}`);
  }

  input(name: string, dataType: DataTypeId, dims: FullShape): string {
    this.onnx.addInput(name, dataType, [...dims]);
    return this.record(name, dims);
  }

  output(name: string, dataType: DataTypeId = DataType.FLOAT): void {
    this.onnx.addOutput(name, dataType, [...this.shape(name)]);
  }

  initializer(name: string, tensor: OnnxTensor): string {
    this.onnx.addInitializer(name, tensor);
    return this.record(name, tensor.dims);
  }

  /** A float32 constant (deduplicated); `dims` defaults to a scalar. */
  constF(values: number[], dims: FullShape = []): string {
    return this.record(this.onnx.constant(f32(dims, values), 'c'), dims);
  }

  /**
   * A float32 constant made once per emitter for each `key` (`make` runs on the first call only): for large
   * constants built the same way many times, e.g. the im2col one-hot kernels, which would otherwise be rebuilt and
   * hashed for every conv.
   */
  constOnce(key: string, dims: FullShape, make: () => Float32Array): string {
    let name = this.constsByKey.get(key);
    if (name === undefined) {
      name = this.record(this.onnx.constant(f32(dims, make()), 'c'), dims);
      this.constsByKey.set(key, name);
    }
    return name;
  }
  private readonly constsByKey = new Map<string, string>();

  constI64(values: number[], dims: FullShape = [values.length]): string {
    return this.record(this.onnx.constant(i64(dims, values), 'ci'), dims);
  }

  /** Emits a node whose output shape the caller computed (used by the typed methods below). */
  private emit(opType: string, inputs: string[], attrs: Record<string, AttrValue>, shape: FullShape, out?: string): string {
    for (const i of inputs) if (i !== '' && !this.shapes.has(i)) this.shape(i);
    const name = this.onnx.op(opType, inputs.map((i) => (i === '' ? i : this.plain(i))), attrs, out);
    return this.record(name, shape);
  }

  /**
   * An elementwise op (numpy broadcasting). When an input is blocked and the result is a 4-D tensor whose channels
   * fill whole blocks, it runs on the blocked values and the result is blocked too; otherwise it is emitted plain.
   * Elementwise ops do not care how channels are laid out as long as every full-size operand is laid out alike, so
   * with only such operands and scalars the op reads the blocked values as they are; an operand that broadcasts
   * (per channel, per pixel) needs the 5-D view [N, C/B, H, W, B] on both sides.
   */
  private emitElementwise(opType: string, inputs: string[], attrs: Record<string, AttrValue>, shape: FullShape, out?: string): string {
    const block = this.nchwcBlock;
    const scalar = (i: string): boolean => this.shape(i).every((d) => d === 1) && this.shape(i).length <= 4;
    // A bool tensor (a comparison's mask) cannot be reordered: with a plain mask the op stays plain.
    const plainMask = inputs.some((i) => this.boolTensors.has(i) && !this.blockedTensors.has(i) && !scalar(i));
    if (!(block > 0 && shape.length === 4 && shape[1]! % block === 0 && inputs.some((i) => this.blockedTensors.has(i))) || plainMask) {
      return this.emit(opType, inputs, attrs, shape, out);
    }
    const full = (i: string): boolean => this.shape(i).length === 4 && this.shape(i).every((d, k) => d === shape[k]);
    if (inputs.every((i) => scalar(i) || full(i))) {
      const name = this.onnx.op(opType, inputs.map((i) => (scalar(i) ? i : this.blockedValue(i))), attrs, out);
      this.blockedTensors.add(name);
      return this.record(name, shape);
    }
    const y5 = this.onnx.op(opType, inputs.map((i) => this.blockedView5(i)), attrs);
    return this.blockedResult(this.onnx.op('Reshape', [y5, this.constI64([...shape])], {}, out), shape);
  }

  // ---- elementwise ---------------------------------------------------------------------------------------------

  /** Numpy-style broadcast of two shapes. */
  broadcast(op: string, a: FullShape, b: FullShape): FullShape {
    const rank = Math.max(a.length, b.length);
    const out: number[] = [];
    for (let i = 0; i < rank; i++) {
      const x = a[a.length - rank + i] ?? 1;
      const y = b[b.length - rank + i] ?? 1;
      if (x !== y && x !== 1 && y !== 1) this.fail(op, `cannot broadcast ${fmt(a)} with ${fmt(b)}`);
      out.push(x === 1 ? y : x);
    }
    return out;
  }

  binary(
    op: 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow' | 'Greater' | 'Less' | 'LessOrEqual' | 'Equal' | 'And',
    a: string,
    b: string,
    out?: string,
  ): string {
    const y = this.emitElementwise(op, [a, b], {}, this.broadcast(op, this.shape(a), this.shape(b)), out);
    if (op !== 'Add' && op !== 'Sub' && op !== 'Mul' && op !== 'Div' && op !== 'Pow') this.boolTensors.add(y);
    return y;
  }

  add(a: string, b: string, out?: string): string {
    return this.binary('Add', a, b, out);
  }
  sub(a: string, b: string): string {
    return this.binary('Sub', a, b);
  }
  mul(a: string, b: string, out?: string): string {
    return this.binary('Mul', a, b, out);
  }

  /** Σ of n same-shape tensors (Add for two, Sum for more). */
  sum(xs: string[], out?: string): string {
    if (xs.length === 1) return out === undefined ? xs[0]! : this.unary('Identity', xs[0]!, {}, out);
    if (xs.length === 2) return this.add(xs[0]!, xs[1]!, out);
    let shape = this.shape(xs[0]!);
    for (const x of xs.slice(1)) shape = this.broadcast('Sum', shape, this.shape(x));
    return this.emitElementwise('Sum', xs, {}, shape, out);
  }

  where(cond: string, a: string, b: string): string {
    const s = this.broadcast('Where', this.broadcast('Where', this.shape(cond), this.shape(a)), this.shape(b));
    return this.emitElementwise('Where', [cond, a, b], {}, s);
  }

  unary(op: string, x: string, attrs: Record<string, AttrValue> = {}, out?: string): string {
    return this.emitElementwise(op, [x], attrs, this.shape(x), out);
  }

  clip(x: string, lo: number, hi: number, out?: string): string {
    return this.emitElementwise('Clip', [x, this.constF([lo]), this.constF([hi])], {}, this.shape(x), out);
  }

  cast(x: string, to: DataTypeId): string {
    return this.emitElementwise('Cast', [x], { to }, this.shape(x));
  }

  // ---- layout --------------------------------------------------------------------------------------------------

  /** x viewed as `dims` (x itself when it has that shape already and no output name is asked for). */
  reshape(x: string, dims: FullShape, out?: string): string {
    const s = this.shape(x);
    if (out === undefined && s.length === dims.length && s.every((d, i) => d === dims[i])) return x;
    if (prod(dims) !== prod(s)) this.fail('Reshape', `${fmt(s)} has no ${fmt(dims)} view`);
    return this.emit('Reshape', [x, this.constI64([...dims])], {}, dims, out);
  }

  transpose(x: string, perm: number[]): string {
    const s = this.shape(x);
    if (perm.length !== s.length) this.fail('Transpose', `perm [${perm}] does not fit ${fmt(s)}`);
    return this.emit('Transpose', [x], { perm }, perm.map((p) => s[p]!));
  }

  /** x[..., start:end:step, ...] on the given axes; ends are clamped as ONNX does. */
  slice(x: string, axes: number[], starts: number[], ends: number[], steps: number[]): string {
    const s = [...this.shape(x)];
    axes.forEach((axis, i) => {
      const dim = s[axis]!;
      const step = steps[i]!;
      const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + dim : v, lo), hi);
      const start = step > 0 ? clamp(starts[i]!, 0, dim) : clamp(starts[i]!, -1, dim - 1);
      const end = step > 0 ? clamp(ends[i]!, 0, dim) : clamp(ends[i]!, -1, dim - 1);
      s[axis] = Math.max(0, Math.ceil((end - start) / step));
    });
    return this.emit(
      'Slice',
      [x, this.constI64(starts), this.constI64(ends), this.constI64(axes), this.constI64(steps)],
      {},
      s,
    );
  }

  /** Zero padding of H and W (axes 2, 3) by `p` on every side. */
  padSpatial(x: string, p: number): string {
    if (p === 0) return x;
    const s = this.shape(x);
    const pads = [0, 0, p, p, 0, 0, p, p];
    return this.emit('Pad', [x, this.constI64(pads)], { mode: 'constant' }, [s[0]!, s[1]!, s[2]! + 2 * p, s[3]! + 2 * p]);
  }

  concat(xs: string[], axis: number, out?: string): string {
    const first = this.shape(xs[0]!);
    const shape = [...first];
    shape[axis] = 0;
    for (const x of xs) {
      const s = this.shape(x);
      if (s.length !== first.length || s.some((d, i) => i !== axis && d !== first[i])) {
        this.fail('Concat', `${fmt(s)} does not fit ${fmt(first)} along axis ${axis}`);
      }
      shape[axis] = shape[axis]! + s[axis]!;
    }
    return this.emit('Concat', xs, { axis }, shape, out);
  }

  split(x: string, axis: number, sizes: number[]): string[] {
    const s = this.shape(x);
    if (sizes.reduce((a, b) => a + b, 0) !== s[axis]) this.fail('Split', `sizes [${sizes}] do not sum to ${fmt(s)}[${axis}]`);
    const outs = this.onnx.node('Split', [this.plain(x), this.constI64(sizes)], { axis }, sizes.length);
    return outs.map((o, i) => {
      const shape = [...s];
      shape[axis] = sizes[i]!;
      return this.record(o, shape);
    });
  }

  unsqueeze(x: string, axis: number): string {
    const s = [...this.shape(x)];
    s.splice(axis, 0, 1);
    return this.emit('Unsqueeze', [x, this.constI64([axis])], {}, s);
  }

  expand(x: string, dims: FullShape): string {
    const shape = this.broadcast('Expand', this.shape(x), dims);
    const s = this.shape(x);
    const block = this.nchwcBlock;
    if (block > 0 && s.length === 4 && shape.length === 4 && s[2]! * s[3]! === 1 && s[1] === shape[1] && shape[1]! % block === 0) {
      // [N, C, 1, 1] -> [N, C, H, W] (a global pool's gradient): expanded straight into the blocked layout.
      const y5 = this.onnx.op('Expand', [this.blockedView5(x), this.constI64(this.blockedDims(shape))]);
      return this.blockedResult(this.onnx.op('Reshape', [y5, this.constI64([...shape])]), shape);
    }
    return this.emit('Expand', [x, this.constI64([...dims])], {}, shape);
  }

  /** A float tensor of zeros (ConstantOfShape, folded by onnxruntime). Remembered as a structural zero. */
  zeros(dims: FullShape, out?: string): string {
    const name = this.emit('ConstantOfShape', [this.constI64([...dims])], { value: { t: f32([1], [0]) } }, dims, out);
    this.structuralZeros.add(name);
    return name;
  }
  private readonly structuralZeros = new Set<string>();

  /** True for a tensor made by zeros(): rules may drop it from sums instead of adding it. */
  isZeros(name: string): boolean {
    return this.structuralZeros.has(name);
  }

  // ---- reductions ----------------------------------------------------------------------------------------------

  private reducedShape(x: string, axes: number[], keepdims: boolean): FullShape {
    const s = this.shape(x);
    const out: number[] = [];
    s.forEach((d, i) => {
      if (!axes.includes(i)) out.push(d);
      else if (keepdims) out.push(1);
    });
    return out;
  }

  /** ReduceSum (axes as an input since opset 13). */
  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    const blocked = this.blockedReduce('ReduceSum', x, axes, keepdims);
    if (blocked !== undefined) return blocked;
    return this.emit('ReduceSum', [x, this.constI64(axes)], { keepdims: keepdims ? 1 : 0 }, this.reducedShape(x, axes, keepdims));
  }

  /** ReduceMean (axes as an attribute up to opset 17, which we target). */
  reduceMean(x: string, axes: number[], keepdims: boolean): string {
    const blocked = this.blockedReduce('ReduceMean', x, axes, keepdims);
    if (blocked !== undefined) return blocked;
    return this.emit('ReduceMean', [x], { axes, keepdims: keepdims ? 1 : 0 }, this.reducedShape(x, axes, keepdims));
  }

  /**
   * A reduction over the spatial axes (and possibly the batch) of a blocked tensor: the nchwc GlobalAveragePool
   * gives the per-image channel means [N, C, 1, 1] (plain memory order), then a small reduction over the batch.
   * Summing per image first also keeps float32 accuracy (one long strided sum missed PyTorch by 2.6e-3). The
   * result is plain. Undefined for other axes.
   */
  private blockedReduce(op: 'ReduceSum' | 'ReduceMean', x: string, axes: number[], keepdims: boolean): string | undefined {
    const s = this.shape(x);
    if (!this.blockedTensors.has(x) || !axes.includes(2) || !axes.includes(3) || axes.includes(1)) return undefined;
    const shape = this.reducedShape(x, axes, keepdims);
    let r = this.onnx.contribOp('GlobalAveragePool', [x], {}, NCHWC_DOMAIN);
    if (op === 'ReduceSum') r = this.onnx.op('Mul', [r, this.constF([s[2]! * s[3]!])]);
    // Over the batch too: one reduction of the pooled [N, C, 1, 1] over the same axes gives the final shape.
    if (axes.includes(0)) {
      const k = keepdims ? 1 : 0;
      r = op === 'ReduceSum' ? this.onnx.op(op, [r, this.constI64(axes)], { keepdims: k }) : this.onnx.op(op, [r], { axes, keepdims: k });
    } else if (!keepdims) {
      r = this.onnx.op('Reshape', [r, this.constI64([...shape])]);
    }
    return this.record(r, shape);
  }

  // ---- linear algebra ------------------------------------------------------------------------------------------

  /** Batched MatMul with numpy broadcasting of the leading dimensions. */
  matmul(a: string, b: string): string {
    const sa = this.shape(a);
    const sb = this.shape(b);
    if (sa.length < 2 || sb.length < 2 || sa[sa.length - 1] !== sb[sb.length - 2]) {
      this.fail('MatMul', `${fmt(sa)} x ${fmt(sb)}`);
    }
    const lead = this.broadcast('MatMul', sa.slice(0, -2), sb.slice(0, -2));
    return this.emit('MatMul', [a, b], {}, [...lead, sa[sa.length - 2]!, sb[sb.length - 1]!]);
  }

  /**
   * A · Bᵀ over the last two axes, batched over equal leading axes, as onnxruntime's FusedMatMul (transB=1): what
   * its optimiser would make of MatMul(A, Transpose(B)), emitted directly so that no Transpose node is created,
   * folded and re-resolved at every session creation.
   */
  matmulTransB(a: string, b: string): string {
    const sa = this.shape(a);
    const sb = this.shape(b);
    if (sa.length < 2 || sa.length !== sb.length || sa[sa.length - 1] !== sb[sb.length - 1] || sa.slice(0, -2).some((d, i) => d !== sb[i])) {
      this.fail('FusedMatMul', `${fmt(sa)} x ${fmt(sb)}ᵀ`);
    }
    const name = this.onnx.contribOp('FusedMatMul', [this.plain(a), this.plain(b)], { transB: 1, alpha: { f: 1 } });
    return this.record(name, [...sa.slice(0, -1), sb[sb.length - 2]!]);
  }

  /** Gemm: op(A) · op(B) (+ C) for 2-D A, B. */
  gemm(a: string, b: string, c: string | undefined, transA: boolean, transB: boolean, out?: string): string {
    const sa = this.shape(a);
    const sb = this.shape(b);
    const [m, ka] = transA ? [sa[1]!, sa[0]!] : [sa[0]!, sa[1]!];
    const [kb, n] = transB ? [sb[1]!, sb[0]!] : [sb[0]!, sb[1]!];
    if (sa.length !== 2 || sb.length !== 2 || ka !== kb) this.fail('Gemm', `${fmt(sa)} x ${fmt(sb)} (transA ${transA}, transB ${transB})`);
    const inputs = c === undefined ? [a, b] : [a, b, c];
    return this.emit('Gemm', inputs, { transA: transA ? 1 : 0, transB: transB ? 1 : 0 }, [m, n], out);
  }

  // ---- convolution and pooling ---------------------------------------------------------------------------------

  private windowOut(size: number, a: ConvLikeAttrs): number {
    return Math.floor((size + 2 * a.padding - a.dilation * (a.kernel - 1) - 1) / a.stride) + 1;
  }

  /** Conv(x [N,Ci,H,W], w [Co,Ci/g,k,k]). */
  conv(x: string, w: string, b: string | undefined, a: ConvLikeAttrs, out?: string): string {
    const sx = this.shape(x);
    const sw = this.shape(w);
    if (sx[1] !== sw[1]! * a.groups || sw[2] !== a.kernel) {
      this.fail('Conv', `input ${fmt(sx)} and weight ${fmt(sw)} do not match groups ${a.groups} kernel ${a.kernel}`);
    }
    const shape = [sx[0]!, sw[0]!, this.windowOut(sx[2]!, a), this.windowOut(sx[3]!, a)];
    const blocked = this.nchwcConv(x, w, b, a, shape, out);
    if (blocked !== undefined) return blocked;
    // ORT's transformer blocks plain and depthwise convs of any width (it pads channels to the block); the im2col
    // convs of the dW rule (one input channel to k² outputs per group) it leaves alone, as we do.
    const depthwise = a.groups > 1 && a.groups === sx[1] && a.groups === sw[0];
    if (this.nchwcBlock > 0 && (a.groups === 1 || depthwise)) this.plainBlockableConvs++;
    return this.emit('Conv', b === undefined ? [x, w] : [x, w, b], convAttrs(a), shape, out);
  }

  /**
   * The blocked form of a plain (ungrouped) conv whose weight is an initializer, as ORT's own NCHWc transformer
   * would build it: an nchwc Conv with the reordered filter, reading a blocked input (or an NCHW one when it has
   * fewer than B channels, e.g. RGB) and giving a blocked result. Undefined when the conv does not qualify.
   */
  private nchwcConv(x: string, w: string, b: string | undefined, a: ConvLikeAttrs, shape: FullShape, out?: string): string | undefined {
    const block = this.nchwcBlock;
    const weight = block > 0 ? this.onnx.initializerTensor(w) : undefined;
    if (!weight || !(weight.data instanceof Float32Array) || a.groups !== 1) return undefined;
    const [o, i, kh, kw] = weight.dims as [number, number, number, number];
    const blockedInput = i % block === 0;
    if (o % block !== 0 || (!blockedInput && i >= block)) return undefined;
    const filter = blockedInput ? reorderFilterOIHWBiBo(weight.data, o, i, kh * kw, block) : reorderFilterOIHWBo(weight.data, o, i, kh * kw, block);
    // A fresh initializer, not a deduplicated constant: hashing every filter's bytes cost more than it saved.
    const wBlocked = this.onnx.addFreshInitializer(`${w}.nchwc`, f32(weight.dims, filter));
    const xIn = blockedInput ? this.blockedValue(x) : x;
    const inputs = b === undefined ? [xIn, wBlocked] : [xIn, wBlocked, b];
    const y = this.onnx.contribOp('Conv', inputs, convAttrs(a), NCHWC_DOMAIN, out);
    this.nchwcConvInputs.set(y, inputs.length);
    return this.blockedResult(y, shape);
  }

  /**
   * ConvTranspose(x [N,C,H,W], w [C,M/g,k,k]): out = (H−1)·s − 2p + d·(k−1) + 1 + outputPadding.
   */
  convTranspose(x: string, w: string, a: ConvLikeAttrs, outputPadding: number): string {
    const sx = this.shape(x);
    const sw = this.shape(w);
    if (sx[1] !== sw[0]) this.fail('ConvTranspose', `input ${fmt(sx)} and weight ${fmt(sw)} channels differ`);
    if (outputPadding < 0 || outputPadding >= Math.max(a.stride, a.dilation)) {
      this.fail('ConvTranspose', `output_padding ${outputPadding} must lie in [0, max(stride, dilation))`);
    }
    const size = (h: number): number => (h - 1) * a.stride - 2 * a.padding + a.dilation * (a.kernel - 1) + 1 + outputPadding;
    const shape = [sx[0]!, sw[1]! * a.groups, size(sx[2]!), size(sx[3]!)];
    return this.emit(
      'ConvTranspose',
      [x, w],
      { ...convAttrs(a), output_padding: [outputPadding, outputPadding] },
      shape,
    );
  }

  pool(
    op: 'AveragePool' | 'MaxPool',
    x: string,
    a: { kernel: number; stride: number; padding: number },
    extra: Record<string, AttrValue> = {},
    out?: string,
  ): string {
    const s = this.shape(x);
    const w = { ...a, dilation: 1, groups: 1 };
    const attrs = {
      kernel_shape: [a.kernel, a.kernel],
      strides: [a.stride, a.stride],
      pads: [a.padding, a.padding, a.padding, a.padding],
      ...extra,
    };
    const shape = [s[0]!, s[1]!, this.windowOut(s[2]!, w), this.windowOut(s[3]!, w)];
    if (this.nchwcBlock > 0 && s.length === 4 && s[1]! % this.nchwcBlock === 0) return this.nchwcPool(op, x, attrs, shape, out);
    return this.emit(op, [x], attrs, shape, out);
  }

  globalAvgPool(x: string, out?: string): string {
    const s = this.shape(x);
    const shape = [s[0]!, s[1]!, 1, 1];
    if (this.nchwcBlock > 0 && s[1]! % this.nchwcBlock === 0) return this.nchwcPool('GlobalAveragePool', x, {}, shape, out);
    return this.emit('GlobalAveragePool', [x], {}, shape, out);
  }

  /**
   * A pool as its nchwc-domain kernel. A global pool's [N, C, 1, 1] result is in plain memory order already, so it
   * is kept as the plain value.
   */
  private nchwcPool(op: string, x: string, attrs: Record<string, AttrValue>, shape: FullShape, out?: string): string {
    const y = this.onnx.contribOp(op, [this.blockedValue(x)], attrs, NCHWC_DOMAIN, out);
    return shape[2]! * shape[3]! === 1 ? this.record(y, shape) : this.blockedResult(y, shape);
  }

  // ---- blocked (NCHWc) layout ----------------------------------------------------------------------------------
  //
  // With nchwcBlock = B > 0, a 4-D tensor [N, C, H, W] with C a multiple of B may live in onnxruntime's blocked
  // layout: the same 4-D shape, but memory ordered as [N, C/B, H, W, B] (what the nchwc kernels read and write).
  // Convs and pools produce blocked tensors, elementwise ops keep them blocked, per-channel affine maps run as
  // depthwise nchwc convs (channelAffine) and spatial reductions as nchwc global pools; every other op gets plain
  // inputs (a ReorderOutput, made once per tensor). Between two convs a tensor then never goes back to plain: no
  // reorders around the batch-norm and ReLU ops of every layer.

  private readonly blockedTensors = new Set<string>();
  /** Results of comparisons (bool masks), which ReorderInput/ReorderOutput do not take. */
  private readonly boolTensors = new Set<string>();
  private readonly plainValues = new Map<string, string>();
  private readonly blockedValues = new Map<string, string>();

  private blockedDims(s: FullShape): number[] {
    return [s[0]!, s[1]! / this.nchwcBlock, s[2]!, s[3]!, this.nchwcBlock];
  }

  /** Marks an nchwc kernel's result (or a reshape back from the 5-D view) as a blocked tensor. */
  private blockedResult(y: string, shape: FullShape): string {
    this.blockedTensors.add(y);
    return this.record(y, shape);
  }

  /** The blocked value of a full 4-D tensor, as nchwc kernels take it: itself, or a ReorderInput (made once). */
  private blockedValue(x: string): string {
    if (this.blockedTensors.has(x)) return x;
    const cached = this.blockedValues.get(x);
    if (cached !== undefined) return cached;
    const value = this.onnx.contribOp('ReorderInput', [x], {}, NCHWC_DOMAIN);
    this.blockedValues.set(x, value);
    return value;
  }

  /** Whether a tensor lives in the blocked layout (rules may pick forms that run fastest there). */
  isBlocked(x: string): boolean {
    return this.blockedTensors.has(x);
  }

  /**
   * x·scale + shift (+ add) for a blocked (or blockable) x, with scale and shift per channel ([1,C,1,1]; scale
   * undefined means 1, shift undefined means 0) and `add` shaped like x: ONE depthwise 1×1 nchwc Conv whose filter
   * and bias are the runtime scale and shift and whose Sum input is `add`. That is one pass over memory where the
   * broadcast Mul/Add/Sub on blocked values take one each, on 5-D views that onnxruntime broadcasts slowly.
   */
  channelAffine(x: string, scale: string | undefined, shift: string | undefined, add?: string, out?: string): string {
    const s = this.shape(x);
    const c = s[1]!;
    if (!(this.nchwcBlock > 0 && s.length === 4 && c % this.nchwcBlock === 0)) this.fail('channelAffine', `${fmt(s)} cannot be blocked`);
    const vector = (v: string | undefined, fill: number, dims: number[]): string =>
      v === undefined ? this.constF(new Array<number>(c).fill(fill), dims) : this.reshape(v, dims);
    const inputs = [this.blockedValue(x), vector(scale, 1, [c, 1, 1, 1]), vector(shift, 0, [c])];
    if (add !== undefined) inputs.push(this.blockedValue(add));
    const y = this.onnx.contribOp('Conv', inputs, { kernel_shape: [1, 1], group: c }, NCHWC_DOMAIN, out);
    return this.blockedResult(y, s);
  }

  /**
   * A blocked x [N, C, H, W]'s memory as the plain tensor [N, C/B, H·W, B] (a Reshape, no copy): per image and
   * channel block, an H·W × B matrix, which a MatMul can read where the NCHW value would need a ReorderOutput.
   */
  blockedRows(x: string): string {
    if (!this.blockedTensors.has(x)) this.fail('blockedRows', `'${x}' is not blocked`);
    const [n, c, h, w] = this.shape(x) as [number, number, number, number];
    const dims = [n, c / this.nchwcBlock, h * w, this.nchwcBlock];
    return this.record(this.onnx.op('Reshape', [x, this.constI64(dims)]), dims);
  }

  /** Whether `conv` came from an nchwc Conv of this emitter's that adds no Sum yet and that nothing has read. */
  canAddIntoConv(conv: string): boolean {
    const convInputs = this.nchwcConvInputs.get(conv);
    return convInputs !== undefined && convInputs <= 3 && !this.onnx.isRead(conv);
  }

  /**
   * `conv` + `addend` (same shape) computed by the nchwc Conv that produced `conv`, through its Sum input, instead
   * of a separate Add pass over memory. Only when canAddIntoConv(conv), and when the caller guarantees that nothing
   * else will read `conv` (e.g. a gradient part that only this accumulation holds).
   */
  addIntoConv(conv: string, addend: string): string {
    const s = this.shape(conv);
    const a = this.shape(addend);
    if (!this.canAddIntoConv(conv) || a.length !== s.length || a.some((d, i) => d !== s[i])) {
      this.fail('addIntoConv', `'${conv}' ${fmt(s)} cannot take ${fmt(a)} as its Sum`);
    }
    const convInputs = this.nchwcConvInputs.get(conv)!;
    const sum = this.blockedValue(addend);
    // The Sum is the fourth input: a conv without a bias gets the empty optional input first.
    const y = this.onnx.extendLastUse(conv, convInputs === 3 ? [sum] : ['', sum]);
    this.nchwcConvInputs.set(y, 4);
    return this.blockedResult(y, s);
  }
  /** nchwc Conv results -> how many inputs their node has (a 4th is the Sum). */
  private readonly nchwcConvInputs = new Map<string, number>();

  /** The plain NCHW value of a tensor (itself when it is not blocked). */
  plain(x: string): string {
    if (!this.blockedTensors.has(x)) return x;
    const cached = this.plainValues.get(x);
    if (cached !== undefined) return cached;
    const s = this.shape(x);
    // A blocked [N, C, 1, 1] is in plain memory order already.
    if (s[2]! * s[3]! === 1) return x;
    const value = this.onnx.contribOp('ReorderOutput', [x], { channels: s[1]! }, NCHWC_DOMAIN);
    this.plainValues.set(x, value);
    return this.record(value, s);
  }

  /**
   * An operand of a broadcasting elementwise op on blocked values, as a 5-D view that broadcasts against
   * [N, C/B, H, W, B]: blocked tensors reshaped (no copy), all-ones shapes unchanged, channel-free shapes [a,1,h,w]
   * as [a,1,h,w,1], per-channel ones [a,C,1,1] as [a,C/B,1,1,B], full plain tensors reordered first.
   */
  private blockedView5(x: string): string {
    const s = this.shape(x);
    if (s.every((d) => d === 1)) return x;
    const [a, c, h, w] = [...new Array<number>(4 - s.length).fill(1), ...s] as [number, number, number, number];
    if (c === 1) return this.onnx.op('Reshape', [x, this.constI64([a, 1, h, w, 1])]);
    if (h * w === 1 && !this.blockedTensors.has(x)) return this.onnx.op('Reshape', [x, this.constI64(this.blockedDims([a, c, 1, 1]))]);
    return this.onnx.op('Reshape', [this.blockedValue(x), this.constI64(this.blockedDims([a, c, h, w]))]);
  }

  /** MaxPool with its Indices output (flat NCHW indices into the unpadded input, int64). */
  maxPoolWithIndices(x: string, a: { kernel: number; stride: number; padding: number }, out?: string): [string, string] {
    const s = this.shape(x);
    const w = { ...a, dilation: 1, groups: 1 };
    const shape = [s[0]!, s[1]!, this.windowOut(s[2]!, w), this.windowOut(s[3]!, w)];
    const names = this.onnx.node(
      'MaxPool',
      [this.plain(x)],
      { kernel_shape: [a.kernel, a.kernel], strides: [a.stride, a.stride], pads: [a.padding, a.padding, a.padding, a.padding] },
      out === undefined ? 2 : [out, `${out}:indices`],
    );
    return [this.record(names[0]!, shape), this.record(names[1]!, shape)];
  }

  /** out = data with updates added at flat `indices` along axis 0 (ScatterElements, reduction 'add', opset 16+). */
  scatterAdd(data: string, indices: string, updates: string): string {
    return this.emit('ScatterElements', [data, indices, updates], { axis: 0, reduction: 'add' }, this.shape(data));
  }
}

export function convAttrs(a: ConvLikeAttrs): Record<string, number[] | number> {
  return {
    kernel_shape: [a.kernel, a.kernel],
    strides: [a.stride, a.stride],
    pads: [a.padding, a.padding, a.padding, a.padding],
    dilations: [a.dilation, a.dilation],
    group: a.groups,
  };
}

export { DataType };

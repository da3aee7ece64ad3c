/**
 * Pure-TypeScript float64 forward pass for every IR op: the oracle that the ONNX exporters and the generated
 * backward graphs are tested against (finite differences of `referenceLoss`). Direct loops, no cleverness: it must be
 * obviously correct, not fast. Tensors are NCHW (or [N,F]) Float64Arrays with the batch dimension first.
 */
import { ZeronasError } from '../../shared/errors.js';
import type { Graph } from '../ir/graph.js';
import { validateGraph } from '../ir/graph.js';
import type { IrNode, NodeOf, Shape } from '../ir/ops.js';

export type BnMode = 'train' | 'eval';
export type ReferenceWeights = ReadonlyMap<string, Float64Array | Float32Array>;

export interface ReferenceOptions {
  /** 'train': batch statistics, biased variance for normalisation (PyTorch train mode). 'eval': running stats. */
  bnMode: BnMode;
  /** When given, filled with each BN node's batch mean and UNBIASED batch variance (train mode only). */
  bnStats?: Map<string, { mean: Float64Array; variance: Float64Array }>;
}

const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);

/**
 * Runs the graph on `x` ([batch, ...inputShape], row-major) and returns every tensor by IR name
 * (per-sample shape from shape inference, batch first).
 */
export function referenceForward(
  graph: Graph,
  weights: ReferenceWeights,
  x: Float64Array,
  batch: number,
  opts: ReferenceOptions,
): Map<string, Float64Array> {
  const { shapes } = validateGraph(graph);
  const values = new Map<string, Float64Array>();
  const param = (name: string): Float64Array | Float32Array => {
    const w = weights.get(name);
    if (!w) throw new ZeronasError('ZN_BAD_ARGUMENT', `reference forward of '${graph.name}': missing weight '${name}'`);
    return w;
  };
  for (const node of graph.nodes) {
    const ins = node.inputs.map((n) => values.get(n)!);
    const inShapes = node.inputs.map((n) => shapes.get(n)!);
    const outShape = shapes.get(node.name)!;
    values.set(node.name, forwardNode(node, ins, inShapes, outShape, batch, x, param, opts));
  }
  return values;
}

function forwardNode(
  node: IrNode,
  ins: Float64Array[],
  inShapes: Shape[],
  outShape: Shape,
  n: number,
  x: Float64Array,
  param: (name: string) => Float64Array | Float32Array,
  opts: ReferenceOptions,
): Float64Array {
  const out = new Float64Array(n * size(outShape));
  const a = ins[0]!;
  switch (node.op) {
    case 'input': {
      if (x.length !== out.length) {
        throw new ZeronasError('ZN_SHAPE_MISMATCH', `reference input has ${x.length} values, expected ${out.length}`);
      }
      out.set(x);
      return out;
    }
    case 'conv2d':
      return conv2d(node, a, inShapes[0]!, outShape, n, param);
    case 'batchNorm':
      return batchNorm(node, a, inShapes[0]!, n, param, opts);
    case 'relu':
      for (let i = 0; i < a.length; i++) out[i] = Math.max(a[i]!, 0);
      return out;
    case 'relu6':
      for (let i = 0; i < a.length; i++) out[i] = Math.min(Math.max(a[i]!, 0), 6);
      return out;
    case 'hardSwish':
      // x * relu6(x + 3) / 6
      for (let i = 0; i < a.length; i++) out[i] = (a[i]! * Math.min(Math.max(a[i]! + 3, 0), 6)) / 6;
      return out;
    case 'identity':
      out.set(a);
      return out;
    case 'add':
      for (const t of ins) for (let i = 0; i < t.length; i++) out[i] = out[i]! + t[i]!;
      return out;
    case 'concat': {
      const hw = outShape[1]! * outShape[2]!;
      const cOut = outShape[0]!;
      let c0 = 0;
      ins.forEach((t, k) => {
        const c = inShapes[k]![0]!;
        for (let b = 0; b < n; b++) {
          for (let i = 0; i < c * hw; i++) out[(b * cOut + c0) * hw + i] = t[b * c * hw + i]!;
        }
        c0 += c;
      });
      return out;
    }
    case 'avgPool':
    case 'maxPool':
      return pool(node, a, inShapes[0]!, outShape, n);
    case 'globalAvgPool': {
      const [c, h, w] = inShapes[0] as [number, number, number];
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let i = 0; i < h * w; i++) s += a[(b * c + ch) * h * w + i]!;
          out[b * c + ch] = s / (h * w);
        }
      }
      return out;
    }
    case 'flatten':
      out.set(a);
      return out;
    case 'linear': {
      const fIn = inShapes[0]![0]!;
      const fOut = node.attrs.outFeatures;
      const w = param(`${node.name}.weight`);
      const bias = node.attrs.bias ? param(`${node.name}.bias`) : undefined;
      for (let b = 0; b < n; b++) {
        for (let o = 0; o < fOut; o++) {
          let s = bias ? bias[o]! : 0;
          for (let i = 0; i < fIn; i++) s += w[o * fIn + i]! * a[b * fIn + i]!;
          out[b * fOut + o] = s;
        }
      }
      return out;
    }
    case 'zero':
      return out; // x[:, :, ::s, ::s] * 0 (finite inputs assumed)
  }
}

/** y[b,o,i,j] = bias[o] + Σ_{c in group(o), p, q} w[o, c, p, q] · x[b, c, i·s − pad + p·d, j·s − pad + q·d]. */
function conv2d(
  node: NodeOf<'conv2d'>,
  x: Float64Array,
  inShape: Shape,
  outShape: Shape,
  n: number,
  param: (name: string) => Float64Array | Float32Array,
): Float64Array {
  const { kernel: k, stride: s, padding: p, dilation: d, groups: g } = node.attrs;
  const [ci, h, w] = inShape as [number, number, number];
  const [co, ho, wo] = outShape as [number, number, number];
  const cig = ci / g;
  const cog = co / g;
  const weight = param(`${node.name}.weight`);
  const bias = node.attrs.bias ? param(`${node.name}.bias`) : undefined;
  const out = new Float64Array(n * co * ho * wo);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < co; o++) {
      const grp = Math.floor(o / cog);
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          let acc = bias ? bias[o]! : 0;
          for (let c = 0; c < cig; c++) {
            const cin = grp * cig + c;
            for (let pp = 0; pp < k; pp++) {
              const y = i * s - p + pp * d;
              if (y < 0 || y >= h) continue;
              for (let q = 0; q < k; q++) {
                const xx = j * s - p + q * d;
                if (xx < 0 || xx >= w) continue;
                acc += weight[((o * cig + c) * k + pp) * k + q]! * x[((b * ci + cin) * h + y) * w + xx]!;
              }
            }
          }
          out[((b * co + o) * ho + i) * wo + j] = acc;
        }
      }
    }
  }
  return out;
}

/**
 * Train: y = γ·(x − μ_B)/√(σ²_B + eps) + β with σ²_B the biased batch variance over (N, H, W), as PyTorch
 * normalises. Eval: the same with running_mean / running_var.
 */
function batchNorm(
  node: NodeOf<'batchNorm'>,
  x: Float64Array,
  inShape: Shape,
  n: number,
  param: (name: string) => Float64Array | Float32Array,
  opts: ReferenceOptions,
): Float64Array {
  const c = inShape[0]!;
  const inner = size(inShape) / c; // H*W (1 for [F] features)
  const m = n * inner;
  const gamma = param(`${node.name}.weight`);
  const beta = param(`${node.name}.bias`);
  const out = new Float64Array(x.length);
  const at = (b: number, ch: number, i: number): number => (b * c + ch) * inner + i;
  const batchMean = new Float64Array(c);
  const batchVarUnbiased = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let mean: number;
    let variance: number;
    if (opts.bnMode === 'train') {
      let s = 0;
      for (let b = 0; b < n; b++) for (let i = 0; i < inner; i++) s += x[at(b, ch, i)]!;
      mean = s / m;
      let v = 0;
      for (let b = 0; b < n; b++) for (let i = 0; i < inner; i++) v += (x[at(b, ch, i)]! - mean) ** 2;
      variance = v / m;
      batchMean[ch] = mean;
      batchVarUnbiased[ch] = m > 1 ? v / (m - 1) : NaN;
    } else {
      mean = param(`${node.name}.running_mean`)[ch]!;
      variance = param(`${node.name}.running_var`)[ch]!;
    }
    const scale = gamma[ch]! / Math.sqrt(variance + node.attrs.eps);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < inner; i++) out[at(b, ch, i)] = (x[at(b, ch, i)]! - mean) * scale + beta[ch]!;
    }
  }
  if (opts.bnMode === 'train' && opts.bnStats) {
    opts.bnStats.set(node.name, { mean: batchMean, variance: batchVarUnbiased });
  }
  return out;
}

/**
 * Average pool: mean over the window; the divisor is k² when countIncludePad, else the number of real pixels in
 * the window (PyTorch's count_include_pad=False). Max pool: max over the real pixels of the window.
 */
function pool(
  node: NodeOf<'avgPool'> | NodeOf<'maxPool'>,
  x: Float64Array,
  inShape: Shape,
  outShape: Shape,
  n: number,
): Float64Array {
  const { kernel: k, stride: s, padding: p } = node.attrs;
  const [c, h, w] = inShape as [number, number, number];
  const [, ho, wo] = outShape as [number, number, number];
  const out = new Float64Array(n * c * ho * wo);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          let sum = 0;
          let max = -Infinity;
          let count = 0;
          for (let pp = 0; pp < k; pp++) {
            const y = i * s - p + pp;
            if (y < 0 || y >= h) continue;
            for (let q = 0; q < k; q++) {
              const xx = j * s - p + q;
              if (xx < 0 || xx >= w) continue;
              const v = x[((b * c + ch) * h + y) * w + xx]!;
              sum += v;
              max = Math.max(max, v);
              count++;
            }
          }
          const o = ((b * c + ch) * ho + i) * wo + j;
          if (node.op === 'maxPool') out[o] = max;
          else out[o] = sum / (node.attrs.countIncludePad ? k * k : count);
        }
      }
    }
  }
  return out;
}

/** Mean cross-entropy over the batch: L = (1/N) Σ_b [logsumexp(z_b) − z_b[y_b]] (nn.CrossEntropyLoss()). */
export function crossEntropyLoss(logits: Float64Array, labels: ArrayLike<number>, batch: number): number {
  const k = logits.length / batch;
  let total = 0;
  for (let b = 0; b < batch; b++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[b * k + j]!);
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(logits[b * k + j]! - max);
    total += Math.log(s) + max - logits[b * k + labels[b]!]!;
  }
  return total / batch;
}

/** Loss of the whole graph on (x, labels): referenceForward then crossEntropyLoss on the graph output. */
export function referenceLoss(
  graph: Graph,
  weights: ReferenceWeights,
  x: Float64Array,
  labels: ArrayLike<number>,
  batch: number,
  opts: ReferenceOptions,
): number {
  const values = referenceForward(graph, weights, x, batch, opts);
  return crossEntropyLoss(values.get(graph.output)!, labels, batch);
}

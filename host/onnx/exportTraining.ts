/**
 * The ONNX training graph (opset 17): the IR's forward in training mode (BN on batch statistics), a loss, and the
 * generated reverse-mode backward (host/autodiff), run by onnxruntime to compute gradient proxies.
 *
 * Model interface (all float32 unless noted; N is the fixed batch size, K the number of logits):
 *   inputs
 *     `input`    [N, C, H, W]
 *     `labels`   [N] int64           when objective = 'crossEntropy'
 *     `dlogits`  [N, K]              when objective = 'seed': dL/dlogits chosen by the caller (all ones for
 *                                    Σ logits, one-hot rows for one sample's logits, ...)
 *     `vjp_seed:<out>`  [N, ...]     for each block VJP (option blockVjps): the vector g_out at tensor <out>
 *   outputs (in this order)
 *     `loss`                 []      mean cross-entropy (crossEntropy only)
 *     `logits`               [N, K]  the graph output
 *     `grad:<param>`         dL/d<param>, e.g. `grad:cells.0.layers.3.op.1.weight`, same shape as the parameter
 *     `grad:input`           [N, C, H, W] dL/dinput
 *     `act:<tensor>`         forward value of IR tensor <tensor> (node name), [N, ...]
 *     `grad_act:<tensor>`    dL/d<tensor>, [N, ...]
 *     `bn_mean:<bnNode>`     [C] batch mean (train mode)
 *     `bn_var:<bnNode>`      [C] UNBIASED batch variance (train mode), what PyTorch folds into running_var
 *   for each block VJP (option blockVjps), with g_in = (∂<out>/∂<in>)ᵀ · vjp_seed:<out> through the block alone:
 *     `vjp_cross:<out>`      [C_in·s², C_out] Σ_{n,pixels} unshuffle(g_in) ⊗ vjp_seed / (N·H·W) (s = the block's stride)
 *     `vjp_absdiff:<out>`    [] Σ |g_in − vjp_seed|, only for blocks whose input and output shapes agree
 *     `cov:<tensor>`         [C, C] channel covariance of <tensor> over every image and pixel (centred, biased)
 * A gradient that is structurally zero (e.g. a conv reached only through `none` edges) is an all-zero output.
 */
import { ZeronasError } from '../../shared/errors.js';
import { emitBackward } from '../autodiff/backward.js';
import { DataType, Emitter } from '../autodiff/emitter.js';
import { emitTrainingForward } from '../autodiff/forward.js';
import type { BnMode } from '../autodiff/rule.js';
import type { Graph } from '../ir/graph.js';
import { inputNode, validateGraph } from '../ir/graph.js';
import { listParams } from '../ir/params.js';

export type TrainingObjective = 'crossEntropy' | 'seed';

export interface TrainingExportOptions {
  /** Fixed batch size N (BN batch statistics and the 1/N of the loss depend on it). */
  batch: number;
  /** 'crossEntropy' (default): `labels` in, `loss` out. 'seed': `dlogits` in, no loss. */
  objective?: TrainingObjective;
  /**
   * Which parameter gradients to output: 'weights' (default: every conv/linear `.weight`, the layers of
   * ALGORITHMS.md §0.1), 'trainable' (also biases and BN γ/β), 'none', or an explicit list of parameter names.
   */
  paramGrads?: 'weights' | 'trainable' | 'none' | readonly string[];
  /** Output `grad:input`. Default false. */
  inputGrad?: boolean;
  /** IR tensor names to output as `act:<name>`. */
  activations?: readonly string[];
  /** IR tensor names whose gradient to output as `grad_act:<name>`. */
  activationGrads?: readonly string[];
  /** Output `bn_mean:` / `bn_var:` for every BN (train mode). Default true. */
  bnStats?: boolean;
  /** 'train' (default; batch statistics, as a fresh PyTorch module) or 'eval' (running statistics). */
  bnMode?: BnMode;
  opset?: number;
  /**
   * Block-local vector-Jacobian products (AZ-NAS trainability): for each {input, output} pair of IR tensors, the
   * gradient at `input` of ⟨vjp_seed, output⟩ through the sub-graph between them only (BN batch statistics included).
   */
  // Only what AZ-NAS reads of each VJP is output, computed in the graph (`vjp_cross:`, `vjp_absdiff:`): the big
  // gradients never leave onnxruntime.
  blockVjps?: readonly { input: string; output: string }[];
  /** IR tensors [C, H, W] whose channel covariance to output as `cov:<name>`. */
  channelCovariances?: readonly string[];
  /** Emit convs as onnxruntime's blocked kernels with this block size (host/onnx/nchwc.ts); 0 (default): plain ONNX. */
  nchwcBlock?: number;
}

export type TrainingTensorKind =
  | 'input'
  | 'labels'
  | 'dlogits'
  | 'vjpSeed'
  | 'vjpCross'
  | 'vjpAbsDiff'
  | 'covariance'
  | 'loss'
  | 'logits'
  | 'paramGrad'
  | 'inputGrad'
  | 'activation'
  | 'activationGrad'
  | 'bnMean'
  | 'bnVar';

export interface TrainingTensorInfo {
  name: string;
  kind: TrainingTensorKind;
  dims: number[];
  type: 'float32' | 'int64';
  /** The parameter, IR tensor or BN node the output belongs to. */
  of?: string;
}

export interface TrainingModel {
  bytes: Uint8Array;
  inputs: TrainingTensorInfo[];
  outputs: TrainingTensorInfo[];
  batch: number;
  /** ONNX nodes in the model (a size figure for benchmarks). */
  nodeCount: number;
  /**
   * The onnxruntime graph optimisation level to run it with: 'disabled' when the graph already holds everything
   * ORT's optimiser would produce (blocked convs, see nchwcBlock), else 'all'.
   */
  graphOptimizationLevel: 'all' | 'disabled';
}

export const TRAINING_NAMES = {
  input: 'input',
  labels: 'labels',
  dlogits: 'dlogits',
  loss: 'loss',
  logits: 'logits',
  inputGrad: 'grad:input',
  paramGrad: (param: string) => `grad:${param}`,
  activation: (tensor: string) => `act:${tensor}`,
  activationGrad: (tensor: string) => `grad_act:${tensor}`,
  bnMean: (node: string) => `bn_mean:${node}`,
  bnVar: (node: string) => `bn_var:${node}`,
  vjpSeed: (output: string) => `vjp_seed:${output}`,
  vjpCross: (output: string) => `vjp_cross:${output}`,
  vjpAbsDiff: (output: string) => `vjp_absdiff:${output}`,
  covariance: (tensor: string) => `cov:${tensor}`,
} as const;

const badArg = (message: string, details: Record<string, unknown> = {}): ZeronasError =>
  new ZeronasError('ZN_BAD_ARGUMENT', message, details);

export function exportTraining(
  graph: Graph,
  weights: ReadonlyMap<string, Float32Array>,
  options: TrainingExportOptions,
): TrainingModel {
  const { batch } = options;
  if (!Number.isInteger(batch) || batch < 1) throw badArg(`training export: batch must be a positive integer, got ${batch}`);
  const objective = options.objective ?? 'crossEntropy';
  const bnMode = options.bnMode ?? 'train';
  const { shapes, byName } = validateGraph(graph);
  const params = listParams(graph, shapes);
  const paramByName = new Map(params.map((p) => [p.name, p] as const));

  const wanted = resolveParamGrads(options.paramGrads ?? 'weights', params, paramByName);
  const checkTensor = (t: string, what: string): void => {
    if (!byName.has(t)) throw badArg(`training export: ${what} '${t}' is not a tensor of '${graph.name}'`, { tensor: t });
  };
  const activations = options.activations ?? [];
  const activationGrads = options.activationGrads ?? [];
  activations.forEach((t) => checkTensor(t, 'activation'));
  activationGrads.forEach((t) => checkTensor(t, 'activation gradient'));
  const blockVjps = options.blockVjps ?? [];
  for (const b of blockVjps) {
    checkTensor(b.input, 'block VJP input');
    checkTensor(b.output, 'block VJP output');
  }
  if (new Set(blockVjps.map((b) => b.output)).size !== blockVjps.length) throw badArg('training export: two block VJPs share an output tensor');
  const covariances = options.channelCovariances ?? [];
  for (const t of [...covariances, ...blockVjps.flatMap((b) => [b.input, b.output])]) {
    checkTensor(t, 'feature map');
    if (shapes.get(t)!.length !== 3) throw badArg(`training export: '${t}' is not a [C, H, W] feature map`, { tensor: t });
  }
  const outShape = shapes.get(graph.output)!;
  if (outShape.length !== 1) {
    throw badArg(`training export: graph output '${graph.output}' must be [K] logits per sample, got [${outShape.join(',')}]`);
  }
  const classes = outShape[0]!;

  const g = new Emitter(`${graph.name} (training)`, options.nchwcBlock ?? 0);
  const fwd = emitTrainingForward(g, graph, weights, { batch, bnMode });
  const inputs: TrainingTensorInfo[] = [
    { name: TRAINING_NAMES.input, kind: 'input', dims: [batch, ...shapes.get(inputNode(graph).name)!], type: 'float32' },
  ];
  const outputs: TrainingTensorInfo[] = [];
  const emitOut = (info: TrainingTensorInfo, tensor: string | null): void => {
    if (tensor === null) g.zeros(info.dims, info.name);
    else g.unary('Identity', g.plain(tensor), {}, info.name);
    g.output(info.name);
    outputs.push(info);
  };

  const logits = fwd.tensors.get(graph.output)!;
  let seed: string;
  let loss: string | undefined;
  if (objective === 'crossEntropy') {
    // loss = −(1/N) Σ_n log softmax(z_n)[y_n];  dL/dz = (softmax(z) − onehot(y)) / N
    const labels = g.input(TRAINING_NAMES.labels, DataType.INT64, [batch]);
    inputs.push({ name: labels, kind: 'labels', dims: [batch], type: 'int64' });
    const classIds = g.constI64(Array.from({ length: classes }, (_, i) => i), [classes]);
    const onehot = g.cast(g.binary('Equal', g.unsqueeze(labels, 1), classIds), DataType.FLOAT);
    const lsm = g.unary('LogSoftmax', logits, { axis: 1 });
    loss = g.mul(g.reduceSum(g.mul(lsm, onehot), [0, 1], false), g.constF([-1 / batch]));
    seed = g.mul(g.sub(g.unary('Exp', lsm), onehot), g.constF([1 / batch]));
  } else {
    seed = g.input(TRAINING_NAMES.dlogits, DataType.FLOAT, [batch, classes]);
    inputs.push({ name: seed, kind: 'dlogits', dims: [batch, classes], type: 'float32' });
  }

  const inputName = inputNode(graph).name;
  const tensorGrads = new Set<string>(activationGrads);
  if (options.inputGrad) tensorGrads.add(inputName);
  const grads = emitBackward(fwd, seed, { params: new Set(wanted), tensors: tensorGrads });
  const full = (t: string): number[] => [batch, ...shapes.get(t)!];
  const vjps = blockVjps.map((b) => {
    const vSeed = g.input(TRAINING_NAMES.vjpSeed(b.output), DataType.FLOAT, full(b.output));
    inputs.push({ name: vSeed, kind: 'vjpSeed', dims: full(b.output), type: 'float32', of: b.output });
    return { ...b, seed: vSeed, grad: emitBackward(fwd, vSeed, { params: new Set(), tensors: new Set([b.input]) }, b.output).tensors.get(b.input) ?? null };
  });

  if (loss !== undefined) emitOut({ name: TRAINING_NAMES.loss, kind: 'loss', dims: [], type: 'float32' }, loss);
  emitOut({ name: TRAINING_NAMES.logits, kind: 'logits', dims: [batch, classes], type: 'float32' }, logits);
  for (const p of wanted) {
    const info = { name: TRAINING_NAMES.paramGrad(p), kind: 'paramGrad', dims: [...paramByName.get(p)!.shape], type: 'float32', of: p } as const;
    emitOut({ ...info, dims: [...info.dims] }, grads.params.get(p) ?? null);
  }
  if (options.inputGrad) {
    emitOut({ name: TRAINING_NAMES.inputGrad, kind: 'inputGrad', dims: full(inputName), type: 'float32', of: inputName }, grads.tensors.get(inputName) ?? null);
  }
  for (const t of activations) {
    emitOut({ name: TRAINING_NAMES.activation(t), kind: 'activation', dims: full(t), type: 'float32', of: t }, fwd.tensors.get(t)!);
  }
  for (const t of activationGrads) {
    emitOut({ name: TRAINING_NAMES.activationGrad(t), kind: 'activationGrad', dims: full(t), type: 'float32', of: t }, grads.tensors.get(t) ?? null);
  }
  for (const v of vjps) {
    const [ci, hi, wi] = shapes.get(v.input)!;
    const [co, ho, wo] = shapes.get(v.output)!;
    const seedTensor = v.seed;
    const stride = hi! / ho!;
    if (!Number.isInteger(stride) || wi! / wo! !== stride) throw badArg(`training export: block '${v.input}' -> '${v.output}' is not a whole-stride downsampling`);
    const rows = ci! * stride * stride;
    const pixels = ho! * wo!;
    let cross: string | null = null;
    if (v.grad !== null) {
      // Pixel-unshuffle as torch.nn.PixelUnshuffle: channel c·s² + dy·s + dx.
      let gin = g.plain(v.grad);
      if (stride > 1) gin = g.transpose(g.reshape(gin, [batch, ci!, ho!, stride, wo!, stride]), [0, 1, 3, 5, 2, 4]);
      const perImage = g.matmulTransB(g.reshape(gin, [batch, rows, pixels]), g.reshape(seedTensor, [batch, co!, pixels]));
      cross = g.mul(g.reduceSum(perImage, [0], false), g.constF([1 / (batch * pixels)]));
    }
    emitOut({ name: TRAINING_NAMES.vjpCross(v.output), kind: 'vjpCross', dims: [rows, co!], type: 'float32', of: v.output }, cross);
    if (stride === 1 && ci === co) {
      const diff = v.grad === null ? g.unary('Abs', seedTensor) : g.unary('Abs', g.sub(g.plain(v.grad), seedTensor));
      emitOut({ name: TRAINING_NAMES.vjpAbsDiff(v.output), kind: 'vjpAbsDiff', dims: [], type: 'float32', of: v.output }, g.reduceSum(diff, [0, 1, 2, 3], false));
    }
  }
  for (const t of covariances) {
    const [c, h, w] = shapes.get(t)!;
    const f = g.reshape(g.plain(fwd.tensors.get(t)!), [batch, c!, h! * w!]);
    const centred = g.sub(f, g.reduceMean(f, [0, 2], true));
    const cov = g.mul(g.reduceSum(g.matmulTransB(centred, centred), [0], false), g.constF([1 / (batch * h! * w!)]));
    emitOut({ name: TRAINING_NAMES.covariance(t), kind: 'covariance', dims: [c!, c!], type: 'float32', of: t }, cov);
  }
  if ((options.bnStats ?? true) && bnMode === 'train') {
    for (const [node, stats] of fwd.bnStats) {
      const c = g.shape(stats.mean)[0]!;
      emitOut({ name: TRAINING_NAMES.bnMean(node), kind: 'bnMean', dims: [c], type: 'float32', of: node }, stats.mean);
      emitOut({ name: TRAINING_NAMES.bnVar(node), kind: 'bnVar', dims: [c], type: 'float32', of: node }, stats.variance);
    }
  }
  const { bytes, nodeCount } = g.onnx.serialize(options.opset ?? 17);
  const graphOptimizationLevel = g.nchwcBlock > 0 && g.plainBlockableConvs === 0 ? 'disabled' : 'all';
  return { bytes, inputs, outputs, batch, nodeCount, graphOptimizationLevel };
}

function resolveParamGrads(
  spec: NonNullable<TrainingExportOptions['paramGrads']>,
  params: ReturnType<typeof listParams>,
  byName: Map<string, ReturnType<typeof listParams>[number]>,
): string[] {
  if (spec === 'none') return [];
  if (spec === 'weights') return params.filter((p) => p.kind === 'convWeight' || p.kind === 'linearWeight').map((p) => p.name);
  if (spec === 'trainable') return params.filter((p) => p.trainable).map((p) => p.name);
  for (const name of spec) {
    const p = byName.get(name);
    if (!p) throw badArg(`training export: unknown parameter '${name}'`, { param: name });
    if (!p.trainable) throw badArg(`training export: '${name}' is a buffer, not a trainable parameter`, { param: name });
  }
  return [...new Set(spec)];
}

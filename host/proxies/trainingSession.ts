/**
 * One onnxruntime-node session per architecture for the training graph of host/onnx/exportTraining.ts, reused
 * across batches (ENGINES.md: session creation costs about as much as a pass). `run` returns COPIES of every output:
 * ZiCo keeps the gradients of two batches side by side, and ORT may reuse its output buffers between runs; `runRaw`
 * hands them out as they are, for a caller that is done with them before the next run (trainingWorker.ts).
 */
import * as ort from 'onnxruntime-node';
import { ZeronasError } from '../../shared/errors.js';
import type { TrainingModel, TrainingTensorInfo } from '../onnx/exportTraining.js';
import { TRAINING_NAMES } from '../onnx/exportTraining.js';

export interface TrainingSessionOptions {
  /** Threads for one op (default 2, the cores we have). */
  intraOpNumThreads?: number;
}

export interface TrainingFeeds {
  /** [N, C, H, W] row-major. */
  input: Float32Array;
  /** [N] class indices (objective 'crossEntropy'). */
  labels?: ArrayLike<number> | BigInt64Array;
  /** [N, K] dL/dlogits (objective 'seed'). */
  dlogits?: Float32Array;
  /** Block VJP output tensor -> the vector g_out fed at it (`vjp_seed:<tensor>`). */
  vjpSeeds?: ReadonlyMap<string, Float32Array>;
}

export interface TrainingStep {
  /** Mean cross-entropy (objective 'crossEntropy'). */
  loss?: number;
  logits: Float32Array;
  /** Parameter name -> dL/dparam (`grad:<param>` outputs). */
  grads: Map<string, Float32Array>;
  inputGrad?: Float32Array;
  /** IR tensor -> forward value (`act:`). */
  activations: Map<string, Float32Array>;
  /** IR tensor -> dL/dtensor (`grad_act:`). */
  activationGrads: Map<string, Float32Array>;
  /** BN node -> batch mean and unbiased batch variance. */
  bnStats: Map<string, { mean: Float32Array; variance: Float32Array }>;
  /** Block VJP output tensor -> unshuffle(g_in)ᵀ g_out / (N·H·W) (`vjp_cross:`). */
  vjpCross: Map<string, Float32Array>;
  /** Block VJP output tensor -> Σ |g_in − g_out| (`vjp_absdiff:`, same-shape blocks only). */
  vjpAbsDiff: Map<string, number>;
  /** IR tensor -> its [C, C] channel covariance (`cov:`). */
  covariances: Map<string, Float32Array>;
}

export class TrainingSession {
  private constructor(
    private session: ort.InferenceSession | null,
    readonly model: Pick<TrainingModel, 'inputs' | 'outputs' | 'batch'>,
    readonly intraOpNumThreads: number,
  ) {}

  static async create(model: TrainingModel, options: TrainingSessionOptions = {}): Promise<TrainingSession> {
    const threads = options.intraOpNumThreads ?? 2;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `intraOpNumThreads must be a positive integer, got ${threads}`);
    }
    const session = await ort.InferenceSession.create(model.bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: model.graphOptimizationLevel,
      executionProviders: ['cpu'],
      // A session here runs only a few times (ZiCo: twice). With the memory pattern on, ORT plans one block after
      // the first run and allocates it fresh for the second, which then pays the page faults again.
      enableMemPattern: false,
    });
    return new TrainingSession(session, { inputs: model.inputs, outputs: model.outputs, batch: model.batch }, threads);
  }

  async run(feeds: TrainingFeeds): Promise<TrainingStep> {
    const raw = await this.runRaw(feeds);
    return trainingStep(this.model.outputs, (name) => Float32Array.from(raw.get(name)!));
  }

  /** Every output's data as onnxruntime returned it (not copied: valid until the next run). */
  async runRaw(feeds: TrainingFeeds): Promise<Map<string, Float32Array>> {
    if (!this.session) throw new ZeronasError('ZN_BAD_ARGUMENT', 'training session was disposed');
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const info of this.model.inputs) ortFeeds[info.name] = this.feedTensor(info, feeds);
    const results = await this.session.run(ortFeeds);
    const out = new Map<string, Float32Array>();
    for (const info of this.model.outputs) {
      const value = results[info.name];
      if (!value) throw new ZeronasError('ZN_BAD_GRAPH', `training session: output '${info.name}' missing from the run`);
      out.set(info.name, value.data as Float32Array);
    }
    return out;
  }

  private feedTensor(info: TrainingTensorInfo, feeds: TrainingFeeds): ort.Tensor {
    const expected = info.dims.reduce((a, b) => a * b, 1);
    const fail = (what: string): never => {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `training session: ${what}`, { input: info.name, dims: info.dims });
    };
    if (info.kind === 'vjpSeed') {
      const data = feeds.vjpSeeds?.get(info.of!);
      if (!data) return fail(`'${info.name}' [${info.dims.join(',')}] is required by this model`);
      if (data.length !== expected) fail(`'${info.name}' has ${data.length} values, expected ${expected} for [${info.dims.join(',')}]`);
      return new ort.Tensor('float32', data, info.dims);
    }
    if (info.name === TRAINING_NAMES.input || info.name === TRAINING_NAMES.dlogits) {
      const data = info.name === TRAINING_NAMES.input ? feeds.input : feeds.dlogits;
      if (!data) return fail(`'${info.name}' [${info.dims.join(',')}] is required by this model`);
      if (data.length !== expected) fail(`'${info.name}' has ${data.length} values, expected ${expected} for [${info.dims.join(',')}]`);
      return new ort.Tensor('float32', data, info.dims);
    }
    const labels = feeds.labels;
    if (!labels) return fail(`'labels' [${info.dims.join(',')}] is required by this model`);
    if (labels.length !== expected) fail(`'labels' has ${labels.length} values, expected ${expected}`);
    const data = labels instanceof BigInt64Array ? labels : BigInt64Array.from(Array.from(labels, (v) => BigInt(v)));
    return new ort.Tensor('int64', data, info.dims);
  }

  async dispose(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }
}

/** A step from the model's outputs (`valueOf(name)` gives each one's data, which the step keeps). */
export function trainingStep(outputs: readonly TrainingTensorInfo[], valueOf: (name: string) => Float32Array): TrainingStep {
  const step: TrainingStep = {
    logits: new Float32Array(0),
    grads: new Map(),
    activations: new Map(),
    activationGrads: new Map(),
    bnStats: new Map(),
    vjpCross: new Map(),
    vjpAbsDiff: new Map(),
    covariances: new Map(),
  };
  for (const info of outputs) {
    const value = valueOf(info.name);
    const of = info.of ?? '';
    switch (info.kind) {
      case 'loss':
        step.loss = value[0]!;
        break;
      case 'logits':
        step.logits = value;
        break;
      case 'paramGrad':
        step.grads.set(of, value);
        break;
      case 'inputGrad':
        step.inputGrad = value;
        break;
      case 'activation':
        step.activations.set(of, value);
        break;
      case 'activationGrad':
        step.activationGrads.set(of, value);
        break;
      case 'vjpCross':
        step.vjpCross.set(of, value);
        break;
      case 'vjpAbsDiff':
        step.vjpAbsDiff.set(of, value[0]!);
        break;
      case 'covariance':
        step.covariances.set(of, value);
        break;
      case 'bnMean':
      case 'bnVar': {
        const entry = step.bnStats.get(of) ?? { mean: new Float32Array(0), variance: new Float32Array(0) };
        if (info.kind === 'bnMean') entry.mean = value;
        else entry.variance = value;
        step.bnStats.set(of, entry);
        break;
      }
      default:
        break;
    }
  }
  return step;
}

/**
 * Pieces every gradient or activation proxy shares: the weights of a fresh network, one training-graph session
 * used inside a callback and always disposed, the conv/linear weight list in registration order (ALGORITHMS.md
 * §0.1), and the shape of the network input.
 */
import { inputNode, type Graph } from '../ir/graph.js';
import { initWeights, type InitScheme, type WeightMap } from '../ir/init.js';
import { listParams, type ParamSpec } from '../ir/params.js';
import { exportTraining, type TrainingExportOptions, type TrainingModel } from '../onnx/exportTraining.js';
import type { DataBatch } from '../data/dataset.js';
import { nchwcBlockSize } from './nchwcSupport.js';
import { sharedTrainingPool, TrainingWorkerUnavailable } from './trainingPool.js';
import { TrainingSession, type TrainingFeeds, type TrainingStep } from './trainingSession.js';
import type { ProxyResult } from './zeroCostProxy.js';
import type { ScoreValue } from './math/scoreValue.js';

/** Threads per proxy session (the machine's cores unless ZERONAS_THREADS says otherwise). */
export function proxyThreads(): number {
  const fromEnv = Number(process.env.ZERONAS_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 2;
}

export function freshWeights(graph: Graph, seed: number, scheme: InitScheme): WeightMap {
  return initWeights(graph, seed, scheme);
}

/** Conv and linear weights, in the order the reference registers its modules. */
export function layerWeights(graph: Graph): ParamSpec[] {
  return listParams(graph).filter((p) => p.kind === 'convWeight' || p.kind === 'linearWeight');
}

export function inputShape(graph: Graph): readonly number[] {
  return inputNode(graph).attrs.shape;
}

export async function withTrainingSession<T>(
  graph: Graph,
  weights: ReadonlyMap<string, Float32Array>,
  options: TrainingExportOptions,
  fn: (session: TrainingSession) => Promise<T>,
): Promise<T> {
  return inSession(await trainingModel(graph, weights, options), fn);
}

/** The training graph proxies run: blocked kernels when this CPU has them. */
async function trainingModel(graph: Graph, weights: ReadonlyMap<string, Float32Array>, options: TrainingExportOptions): Promise<TrainingModel> {
  return exportTraining(graph, weights, { nchwcBlock: await nchwcBlockSize(), ...options });
}

async function inSession<T>(model: TrainingModel, fn: (session: TrainingSession) => Promise<T>): Promise<T> {
  const session = await TrainingSession.create(model, { intraOpNumThreads: proxyThreads() });
  try {
    return await fn(session);
  } finally {
    await session.dispose();
  }
}

/**
 * Every batch of `feeds` through the training graph of (graph, weights): with several batches and several threads,
 * side by side in worker processes, one thread each (host/proxies/trainingPool.ts; ZERONAS_BATCH_WORKERS=0 turns
 * that off); otherwise one after the other in one session with all the threads. The same steps either way. When the
 * workers fail (not the model), the batches run here instead, with one warning on stderr; workers that cannot start
 * are not tried again in this process.
 */
export async function runTrainingBatches(
  graph: Graph,
  weights: ReadonlyMap<string, Float32Array>,
  options: TrainingExportOptions,
  feeds: readonly TrainingFeeds[],
): Promise<TrainingStep[]> {
  const threads = proxyThreads();
  const workers = Math.min(threads, feeds.length);
  const model = await trainingModel(graph, weights, options);
  const inProcess = (): Promise<TrainingStep[]> =>
    inSession(model, async (session) => {
      const steps: TrainingStep[] = [];
      for (const f of feeds) steps.push(await session.run(f));
      return steps;
    });
  if (workers < 2 || process.env.ZERONAS_BATCH_WORKERS === '0' || batchWorkersBroken) return inProcess();
  try {
    return await sharedTrainingPool().runBatches(model, feeds, workers, Math.floor(threads / workers));
  } catch (e) {
    if (!(e instanceof TrainingWorkerUnavailable)) throw e;
    if (e.atStart) batchWorkersBroken = true;
    if (!warnedAboutWorkers) process.stderr.write(`warning: ${e.message}; running the batches in this process instead\n`);
    warnedAboutWorkers = true;
    return inProcess();
  }
}
let batchWorkersBroken = false;
let warnedAboutWorkers = false;

/** The first batch, or a clear failure when the proxy was given none. */
export function firstBatch(batches: readonly DataBatch[], proxy: string): DataBatch {
  const b = batches[0];
  if (!b) throw new Error(`${proxy} needs at least one data batch`);
  return b;
}

export function result(score: ScoreValue): ProxyResult {
  if (score.reason !== undefined) return { ok: false, reason: score.reason };
  if (Number.isNaN(score.value)) return { ok: false, reason: 'the score is NaN' };
  return { ok: true, value: score.value };
}

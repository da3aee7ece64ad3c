/**
 * Runs the batches of one training model side by side, one batch per core, in persistent worker processes
 * (bin/zeronas-training-worker.js -> trainingWorker.ts), instead of one after the other with every op split across
 * the cores.
 *
 * Why (issue 3, ZiCo's two batches, 2 cores): two single-threaded passes at once took 460-500 ms where two 2-thread
 * passes in a row took 530-610 ms, since most of the graph's ~1,900 ops are too small to split well. Processes,
 * not worker threads: a thread gets its own malloc arena, which glibc returns to the kernel, so every fresh session
 * page-faulted its memory again (a worker-thread run took 660 ms instead of 470); a process keeps the allocator
 * settings of host/util/mallocTuning.ts. Each worker opens its own session on the model (in parallel), runs its
 * batches, writes the outputs to a file (trainingTransfer.ts), answers with their sizes and releases the session.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZeronasError } from '../../shared/errors.js';
import type { TrainingModel } from '../onnx/exportTraining.js';
import { MALLOC_TUNABLES, wantsMallocTuning } from '../util/mallocTuning.js';
import type { TrainingFeeds, TrainingStep } from './trainingSession.js';
import { readOutputs, transferDirectory, writeFeeds, type FeedFile } from './trainingTransfer.js';
import type { TrainingWorkerReply, TrainingWorkerRequest, TrainingWorkerTimings } from './trainingWorker.js';

const ENTRY = fileURLToPath(new URL('../../bin/zeronas-training-worker.js', import.meta.url));

/**
 * The pool itself failed, not the model: a worker could not start or died mid-call, or the handover files could not
 * be written. The caller can run the batches in its own process instead (proxyRun.ts does); `atStart` says the
 * workers cannot start at all, so trying again is pointless.
 */
export class TrainingWorkerUnavailable extends ZeronasError {
  constructor(
    message: string,
    readonly atStart: boolean,
  ) {
    super('ZN_INTERNAL', message);
  }
}

interface Pending {
  resolve: (answer: { lengths: number[][]; timings: TrainingWorkerTimings }) => void;
  reject: (e: Error) => void;
}

/** One worker process; requests are answered in order. */
class TrainingWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private exited: string | null = null;
  private readonly ready: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    this.ready = new Promise((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('error', (e) => reject(new TrainingWorkerUnavailable(`training worker could not start: ${e.message}`, true)));
      child.once('exit', (code, signal) => reject(new TrainingWorkerUnavailable(`training worker exited while starting (${signal ?? `code ${code}`})`, true)));
    });
    this.ready.catch(() => {}); // reported by run(), which awaits it; not an unhandled rejection meanwhile
    child.on('message', (reply: TrainingWorkerReply | { ready: true }) => {
      if (!('id' in reply)) return;
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      this.idleWhenDone();
      if ('error' in reply) p.reject(new ZeronasError(reply.error.code as never, `training worker: ${reply.error.message}`));
      else p.resolve(reply);
    });
    child.on('exit', (code, signal) => {
      this.exited = signal ?? `code ${code}`;
      for (const p of this.pending.values()) p.reject(new TrainingWorkerUnavailable(`training worker process exited (${this.exited}) before answering`, false));
      this.pending.clear();
    });
    this.idleWhenDone();
  }

  get alive(): boolean {
    return this.exited === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Output lengths per batch, once the worker has written the outputs to `request.outPath`. */
  async run(request: Omit<TrainingWorkerRequest, 'id'>): Promise<{ lengths: number[][]; timings: TrainingWorkerTimings }> {
    const id = this.nextId++;
    const answer = new Promise<{ lengths: number[][]; timings: TrainingWorkerTimings }>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // A worker that dies while starting rejects this too, before anyone awaits it (the caller gets `ready`'s error).
    answer.catch(() => {});
    // A pending request keeps this process alive (from before the worker is ready); an idle worker does not.
    this.child.ref();
    this.child.channel?.ref();
    try {
      await this.ready;
    } catch (e) {
      this.pending.delete(id);
      this.idleWhenDone();
      throw e;
    }
    if (!this.alive) throw new TrainingWorkerUnavailable(`training worker process exited (${this.exited})`, false);
    this.child.send({ ...request, id } satisfies TrainingWorkerRequest);
    return answer;
  }

  private idleWhenDone(): void {
    if (this.pending.size > 0) return;
    this.child.unref();
    this.child.channel?.unref();
  }

  kill(): void {
    this.child.kill();
  }
}

export class TrainingPool {
  private workers: TrainingWorker[] = [];
  private dir: string | undefined;
  private requests = 0;
  private batchFiles = 0;
  /**
   * Per worker, where the last runBatches call's time went (ms): the worker's own phases, then, in this process, the
   * time from sending the request to the answer (`roundTrip`) and reading the outputs (`read`).
   */
  lastTimings: (TrainingWorkerTimings & { roundTrip: number; read: number })[] = [];
  /**
   * Batch files written so far, by the batch's input array (the same batches serve every architecture). Batches
   * are not modified in place (DataBatch arrays never are), so the same arrays mean the same file.
   */
  private feedFiles = new WeakMap<Float32Array, { labels: TrainingFeeds['labels']; file: FeedFile }>();

  /** Starts the worker processes that are missing or dead (lazily: on the first run that needs them). */
  private workersFor(count: number): TrainingWorker[] {
    this.workers = this.workers.filter((w) => w.alive);
    while (this.workers.length < count) {
      const child = fork(ENTRY, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: workerEnv() });
      this.workers.push(new TrainingWorker(child));
    }
    return this.workers.slice(0, count);
  }

  private feedFile(dir: string, feeds: TrainingFeeds): FeedFile {
    const known = this.feedFiles.get(feeds.input);
    if (known && known.labels === feeds.labels && feeds.dlogits === undefined) return known.file;
    const file = writeFeeds(join(dir, `batch-${this.batchFiles++}.bin`), feeds);
    if (feeds.dlogits === undefined) this.feedFiles.set(feeds.input, { labels: feeds.labels, file });
    return file;
  }

  /**
   * Runs every batch of `feeds` through `model`: batch b on worker b mod k, k = min(workers, batches), each with
   * `threadsPerWorker` ORT threads. Steps come back in the order of `feeds`.
   */
  async runBatches(model: TrainingModel, feeds: readonly TrainingFeeds[], workers: number, threadsPerWorker: number): Promise<TrainingStep[]> {
    const k = Math.max(1, Math.min(workers, feeds.length));
    const n = this.requests++;
    let dir: string;
    let modelPath: string;
    let files: FeedFile[];
    try {
      dir = this.dir ??= transferDirectory();
      modelPath = join(dir, `model-${n}.onnx`);
      writeFileSync(modelPath, model.bytes);
      files = feeds.map((f) => this.feedFile(dir, f));
    } catch (e) {
      throw new TrainingWorkerUnavailable(`training workers' handover files: ${e instanceof Error ? e.message : String(e)}`, true);
    }
    const pool = this.workersFor(k);
    const meta = { inputs: model.inputs, outputs: model.outputs, batch: model.batch, nodeCount: model.nodeCount, graphOptimizationLevel: model.graphOptimizationLevel };
    try {
      const parts = await Promise.all(
        pool.map(async (w, i) => {
          const outPath = join(dir, `out-${n}-${i}.bin`);
          const sent = performance.now();
          const { lengths, timings } = await w.run({ model: meta, modelPath, batches: files.filter((_, b) => b % k === i), threads: threadsPerWorker, outPath });
          const t = performance.now();
          const steps = readOutputs(outPath, lengths, model.outputs);
          return { steps, timings: { ...timings, read: performance.now() - t, roundTrip: t - sent } };
        }),
      );
      this.lastTimings = parts.map((p) => p.timings);
      return feeds.map((_, b) => parts[b % k]!.steps[Math.floor(b / k)]!);
    } finally {
      rmSync(modelPath, { force: true });
    }
  }

  /** The live worker processes' ids (tests, diagnostics). */
  processIds(): number[] {
    return this.workers.filter((w) => w.alive && w.pid !== undefined).map((w) => w.pid!);
  }

  /** Stops every worker process and removes the files (tests; a normal exit needs no call). */
  close(): void {
    for (const w of this.workers) w.kill();
    this.workers = [];
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.feedFiles = new WeakMap();
  }
}

/**
 * The workers' environment: ours, plus the allocator settings of host/util/mallocTuning.ts when this process runs
 * without them (e.g. `orchestrate`, which does not relaunch itself, or a test runner): a worker opens a session per
 * architecture, exactly the case those settings are for, and a fresh process reads them at start. An opt-out
 * (ZERONAS_MALLOC_TUNING=0, or GLIBC_TUNABLES of one's own) is respected.
 */
function workerEnv(): NodeJS.ProcessEnv {
  return wantsMallocTuning(process.env) ? { ...process.env, GLIBC_TUNABLES: MALLOC_TUNABLES } : process.env;
}

let shared: TrainingPool | undefined;

/** The process-wide pool (workers are started on first use and kept for the next architectures). */
export function sharedTrainingPool(): TrainingPool {
  return (shared ??= new TrainingPool());
}

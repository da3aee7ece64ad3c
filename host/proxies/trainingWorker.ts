/**
 * The child side of TrainingPool (host/proxies/trainingPool.ts): one request at a time, each a training model and
 * the batches to run through it. It opens a session on the model, runs the batches in order, writes the outputs to
 * a file (trainingTransfer.ts), answers with their sizes and releases the session. Lives until its parent's IPC
 * channel closes.
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ZeronasError } from '../../shared/errors.js';
import type { TrainingModel } from '../onnx/exportTraining.js';
import { readFeeds, writeOutputs, type FeedFile } from './trainingTransfer.js';
import { TrainingSession, type TrainingFeeds } from './trainingSession.js';

export interface TrainingWorkerRequest {
  id: number;
  /** The model without its bytes, which are in `modelPath`. */
  model: Omit<TrainingModel, 'bytes'>;
  modelPath: string;
  /** The batches to run, in order; a batch file is read once and kept by its path. */
  batches: FeedFile[];
  threads: number;
  outPath: string;
}

/** Milliseconds the worker spent reading the model and opening the session, running, writing outputs, releasing. */
export interface TrainingWorkerTimings {
  open: number;
  runs: number[];
  write: number;
  release: number;
}

export type TrainingWorkerReply =
  | { id: number; lengths: number[][]; timings: TrainingWorkerTimings }
  | { id: number; error: { code: string; message: string } };

const feedCache = new Map<string, TrainingFeeds>();

async function handle(request: TrainingWorkerRequest): Promise<TrainingWorkerReply> {
  try {
    let t = performance.now();
    const lap = (): number => -t + (t = performance.now());
    const model: TrainingModel = { ...request.model, bytes: readFileSync(request.modelPath) };
    const session = await TrainingSession.create(model, { intraOpNumThreads: request.threads });
    const timings: TrainingWorkerTimings = { open: lap(), runs: [], write: 0, release: 0 };
    let lengths: number[][];
    try {
      const steps: Map<string, Float32Array>[] = [];
      for (const file of request.batches) {
        let feeds = feedCache.get(file.path);
        if (!feeds) feedCache.set(file.path, (feeds = readFeeds(file)));
        // Copied before the next run may reuse onnxruntime's output buffers.
        const raw = await session.runRaw(feeds);
        steps.push(request.batches.length > 1 ? new Map([...raw].map(([k, v]) => [k, Float32Array.from(v)])) : raw);
        timings.runs.push(lap());
      }
      lengths = writeOutputs(request.outPath, steps, model.outputs);
      timings.write = lap();
    } finally {
      await session.dispose();
    }
    timings.release = lap();
    return { id: request.id, lengths, timings };
  } catch (e) {
    const code = e instanceof ZeronasError ? e.code : 'ZN_INTERNAL';
    return { id: request.id, error: { code, message: e instanceof Error ? e.message : String(e) } };
  }
}

/** The worker's main loop (bin/zeronas-training-worker.js). */
export function serveTrainingRequests(): void {
  if (!process.send) throw new Error('a training worker must be started by TrainingPool (no IPC channel)');
  // Ctrl-C reaches the whole process group; the parent decides when work stops (score finishes the architecture in
  // hand and saves), and our exit follows when its channel closes.
  process.on('SIGINT', () => {});
  // The handover directory is the parent's to remove at exit; a parent killed outright cannot, so we do (on tmpfs
  // its files hold memory). Removing it twice is harmless.
  let handoverDir: string | undefined;
  process.on('disconnect', () => {
    if (handoverDir) rmSync(handoverDir, { recursive: true, force: true });
    process.exit(0);
  });
  // A reply to a parent that has just gone: nothing to do (the 'disconnect' above ends us).
  process.on('error', () => {});
  let queue = Promise.resolve();
  process.on('message', (request: TrainingWorkerRequest) => {
    handoverDir = dirname(request.modelPath);
    queue = queue.then(async () => {
      const reply = await handle(request);
      if (process.connected) process.send!(reply);
    });
  });
  process.send({ ready: true });
}

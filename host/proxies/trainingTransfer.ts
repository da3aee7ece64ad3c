/**
 * How TrainingPool and its worker processes hand each other models, batches and results: through files in a
 * directory of their own (on tmpfs, /dev/shm, when there is one), with only names and sizes in the IPC messages.
 * Node's IPC channel moved ~0.3 GB/s here (a 4.4 MB gradient set took ~15 ms each way), a file on tmpfs ~3 GB/s.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainingTensorInfo } from '../onnx/exportTraining.js';
import { trainingStep, type TrainingFeeds, type TrainingStep } from './trainingSession.js';

/** A fresh directory for one pool, removed when this process exits. */
export function transferDirectory(): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'zeronas-training-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One batch's feeds as written to a file: element counts (0 = absent). */
export interface FeedFile {
  path: string;
  input: number;
  labels: number;
  dlogits: number;
}

const bytesOf = (a: Float32Array | Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * `count` 4-byte values at byte `offset` of a file's contents, copied into their own array: typed arrays need 4-byte
 * alignment, which a Buffer's offset need not have (and a Buffer's slice() is a view, not a copy).
 */
function copyOut<T extends Float32Array | Int32Array>(data: Uint8Array, offset: number, count: number, make: (n: number) => T): T {
  const out = make(count);
  new Uint8Array(out.buffer).set(data.subarray(offset, offset + count * 4));
  return out;
}

export function writeFeeds(path: string, feeds: TrainingFeeds): FeedFile {
  const labels = feeds.labels === undefined ? new Int32Array(0) : Int32Array.from(Array.from(feeds.labels as ArrayLike<number | bigint>, Number));
  const dlogits = feeds.dlogits ?? new Float32Array(0);
  const fd = openSync(path, 'w');
  try {
    for (const part of [feeds.input, labels, dlogits]) writeSync(fd, bytesOf(part));
  } finally {
    closeSync(fd);
  }
  return { path, input: feeds.input.length, labels: feeds.labels === undefined ? 0 : labels.length, dlogits: feeds.dlogits?.length ?? 0 };
}

export function readFeeds(file: FeedFile): TrainingFeeds {
  const data = readFileSync(file.path);
  const feeds: TrainingFeeds = { input: copyOut(data, 0, file.input, (n) => new Float32Array(n)) };
  if (file.labels > 0) feeds.labels = copyOut(data, file.input * 4, file.labels, (n) => new Int32Array(n));
  if (file.dlogits > 0) feeds.dlogits = copyOut(data, (file.input + file.labels) * 4, file.dlogits, (n) => new Float32Array(n));
  return feeds;
}

/** Every step's outputs, in `outputs` order, one after the other; returns each step's output lengths. */
export function writeOutputs(path: string, steps: readonly ReadonlyMap<string, Float32Array>[], outputs: readonly TrainingTensorInfo[]): number[][] {
  const fd = openSync(path, 'w');
  try {
    return steps.map((step) =>
      outputs.map((info) => {
        const value = step.get(info.name)!;
        writeSync(fd, bytesOf(value));
        return value.length;
      }),
    );
  } finally {
    closeSync(fd);
  }
}

/**
 * The steps writeOutputs wrote (the file is removed once read): read into one buffer of their own, which the
 * outputs view without copies (every output is float32, so every offset stays 4-byte aligned).
 */
export function readOutputs(path: string, lengths: readonly (readonly number[])[], outputs: readonly TrainingTensorInfo[]): TrainingStep[] {
  const total = lengths.reduce((acc, step) => acc + step.reduce((a, n) => a + n, 0), 0);
  const buffer = new ArrayBuffer(total * 4);
  const fd = openSync(path, 'r');
  try {
    const bytes = new Uint8Array(buffer);
    for (let at = 0; at < bytes.length; ) {
      const got = readSync(fd, bytes, at, bytes.length - at, at);
      if (got === 0) throw new Error(`training outputs file '${path}' holds ${at} bytes, expected ${bytes.length}`);
      at += got;
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  let offset = 0;
  return lengths.map((stepLengths) => {
    const values = new Map<string, Float32Array>();
    outputs.forEach((info, i) => {
      const n = stepLengths[i]!;
      values.set(info.name, new Float32Array(buffer, offset * 4, n));
      offset += n;
    });
    return trainingStep(outputs, (name) => values.get(name)!);
  });
}

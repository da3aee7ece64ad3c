/**
 * Deterministic input data for timed runs: mulberry32 seeded per input name, so every agent feeds the same values.
 * float32 in [-1, 1); integer types in [0, 100) (uint8 in [0, 256)). Values are irrelevant to timing on CPU EPs,
 * but zeros can hit fast paths in some kernels, so we never feed all-zero tensors.
 */
import type { InputSpec } from '../protocol/messages.js';
import { hash32, mulberry32 } from '../random.js';

export type InputData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function generateInputData(spec: InputSpec, seed: number): InputData {
  const n = elementCount(spec.dims);
  const rand = mulberry32((seed ^ hash32(spec.name)) >>> 0);
  switch (spec.dtype) {
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = rand() * 2 - 1;
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 100);
      return out;
    }
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(Math.floor(rand() * 100));
      return out;
    }
    case 'uint8': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
      return out;
    }
  }
}

import type { ActivationCodes } from './activationCodes.js';
import { rejected, type ScoreValue } from './scoreValue.js';

/**
 * Linear-region count (TE-NAS, ALGORITHMS.md §A.12): with A = sign(ReLU output) ∈ {0,1} per sample over all
 * hooked ReLUs, n_LR = Σ_i 1 / |{j : A_j = A_i}|, which is exactly the number of distinct activation patterns in
 * the batch. Counted here by grouping identical packed codes (the reference's half-precision matmul only needs
 * the sign, so the count is the same). Higher is better.
 */
export function linearRegionCount(codes: ActivationCodes): ScoreValue {
  if (codes.nonFinite) return rejected(`non-finite ReLU output: ${codes.nonFinite}`);
  if (codes.layers.length === 0) return rejected('no ReLU activations were recorded');
  const b = codes.batch;
  const buckets = new Map<number, number[]>(); // hash -> representatives with distinct codes
  let distinct = 0;
  for (let i = 0; i < b; i++) {
    const h = hashSample(codes, i);
    const reps = buckets.get(h) ?? [];
    if (!reps.some((r) => sameCode(codes, r, i))) {
      reps.push(i);
      distinct++;
    }
    buckets.set(h, reps);
  }
  return { value: distinct };
}

function hashSample(codes: ActivationCodes, i: number): number {
  let h = 0x811c9dc5;
  for (const { words, bits } of codes.layers) {
    for (let w = 0; w < words; w++) h = Math.imul(h ^ bits[i * words + w]!, 0x01000193);
  }
  return h >>> 0;
}

function sameCode(codes: ActivationCodes, i: number, j: number): boolean {
  for (const { words, bits } of codes.layers) {
    for (let w = 0; w < words; w++) if (bits[i * words + w] !== bits[j * words + w]) return false;
  }
  return true;
}

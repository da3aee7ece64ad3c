import { ActivationCodes, popcount32 } from './activationCodes.js';
import { slogdet } from './linalg.js';
import { rejected, type ScoreValue } from './scoreValue.js';

/**
 * The NASWOT kernel (ALGORITHMS.md §A.10): K = Σ_relu [c·cᵀ + (1-c)(1-c)ᵀ] with c = (ReLU input > 0) per sample,
 * so K_ij = number of units where samples i and j agree = N_A - Hamming(c_i, c_j). Returns B x B row-major.
 */
export function naswotKernel(codes: ActivationCodes): Float64Array {
  const b = codes.batch;
  const k = new Float64Array(b * b);
  for (const layer of codes.layers) {
    const { words, bits, units } = layer;
    for (let i = 0; i < b; i++) {
      k[i * b + i]! += units;
      for (let j = i + 1; j < b; j++) {
        let hamming = 0;
        for (let w = 0; w < words; w++) hamming += popcount32(bits[i * words + w]! ^ bits[j * words + w]!);
        const agree = units - hamming;
        k[i * b + j]! += agree;
        k[j * b + i]! += agree;
      }
    }
  }
  return k;
}

/**
 * NASWOT score (ALGORITHMS.md §A.10, ZiCo-repo semantics: every ReLU contributes on one forward pass):
 * score = log|det K| (slogdet, sign ignored). A singular K gives -Infinity with a reason, as slogdet does; a
 * non-finite activation gives -Infinity with a reason. Higher is better.
 */
export function naswotScore(codes: ActivationCodes): ScoreValue & { units: number } {
  if (codes.nonFinite) return { ...rejected(`non-finite ReLU input: ${codes.nonFinite}`), units: codes.units };
  if (codes.layers.length === 0) return { ...rejected('no ReLU activations were recorded'), units: 0 };
  const { logAbsDet } = slogdet(naswotKernel(codes), codes.batch);
  if (logAbsDet === -Infinity)
    return {
      ...rejected('the NASWOT kernel K is singular (two samples share an activation code)'),
      units: codes.units,
    };
  return { value: logAbsDet, units: codes.units };
}

import { ZeronasError } from '../../../shared/errors.js';
import { firstNonFinite, rejected, type ScoreValue } from './scoreValue.js';

/** The flattened weight gradient of one conv/linear layer for each of the N batches (independent copies). */
export interface LayerGradients {
  /** The layer's weight name, e.g. `cells.0.layers.0.op.1.weight`. */
  name: string;
  /** N arrays of the same length P_l: batch b's dL/dW_l, flattened. */
  batches: readonly ArrayLike<number>[];
}

export interface ZicoLayerTerm {
  name: string;
  /** S_l = Σ_{j: σ_lj ≠ 0} μ_lj / σ_lj (0 when no parameter has σ ≠ 0). */
  s: number;
  /** Parameters with σ_lj ≠ 0 (the set J_l). */
  nonzeroSigma: number;
  /** ln S_l, or 0 for a skipped layer (S_l = 0). */
  term: number;
}

export interface ZicoBreakdown extends ScoreValue {
  layers: ZicoLayerTerm[];
}

/**
 * ZiCo (ALGORITHMS.md §A.1), from per-batch per-layer weight gradients. Per layer l and parameter j over the N
 * batches: σ_lj = population std (ddof 0) of the SIGNED gradient, μ_lj = mean |g_lj|;
 * S_l = Σ_{j: σ_lj ≠ 0} μ_lj / σ_lj (exact-zero test, no epsilon). ZiCo = Σ_{l: S_l ≠ 0} ln S_l; a layer with
 * S_l = 0 (all-zero or batch-invariant gradients, e.g. a conv feeding only `none` edges) is skipped, and a network
 * where every layer is skipped scores 0. Departures from the reference: statistics in float64 (the reference uses
 * float32 NumPy), and a non-finite gradient gives -Infinity with a reason (the reference propagates NaN).
 * Not the paper's Eq. 15 (std of |g|): the published numbers come from the code, which uses the signed gradient.
 * Higher is better.
 */
export function zico(layers: readonly LayerGradients[]): ZicoBreakdown {
  const terms: ZicoLayerTerm[] = [];
  let value = 0;
  for (const layer of layers) {
    const n = layer.batches.length;
    if (n === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', `zico: layer '${layer.name}' has no gradient batches`);
    const p = layer.batches[0]!.length;
    for (let b = 0; b < n; b++) {
      const g = layer.batches[b]!;
      if (g.length !== p) {
        throw new ZeronasError(
          'ZN_SHAPE_MISMATCH',
          `zico: layer '${layer.name}' batch ${b} has ${g.length} gradient values, batch 0 has ${p}`,
          { layer: layer.name, batch: b },
        );
      }
      const bad = firstNonFinite(g);
      if (bad >= 0) {
        return { ...rejected(`gradient of '${layer.name}' is ${g[bad]} at index ${bad} in batch ${b}`), layers: terms };
      }
    }
    let s = 0;
    let nonzero = 0;
    if (n === 2) {
      // The default N = 2 in closed form: μ/σ = ((|a|+|b|)/2) / (|a−b|/2) = (|a|+|b|)/|a−b|, σ ≠ 0 ⟺ a ≠ b
      // (float64, as below; a tight loop over the two arrays, ~5x faster on a million parameters).
      const [a, b] = layer.batches as [ArrayLike<number>, ArrayLike<number>];
      for (let j = 0; j < p; j++) {
        const x = a[j]!;
        const y = b[j]!;
        if (x !== y) {
          s += (Math.abs(x) + Math.abs(y)) / Math.abs(x - y);
          nonzero++;
        }
      }
    } else {
      for (let j = 0; j < p; j++) {
        let mean = 0;
        let meanAbs = 0;
        for (let b = 0; b < n; b++) {
          const v = layer.batches[b]![j]!;
          mean += v;
          meanAbs += Math.abs(v);
        }
        mean /= n;
        meanAbs /= n;
        let variance = 0;
        for (let b = 0; b < n; b++) {
          const d = layer.batches[b]![j]! - mean;
          variance += d * d;
        }
        const sigma = Math.sqrt(variance / n);
        if (sigma !== 0) {
          s += meanAbs / sigma;
          nonzero++;
        }
      }
    }
    const term = s === 0 ? 0 : Math.log(s);
    terms.push({ name: layer.name, s, nonzeroSigma: nonzero, term });
    value += term;
  }
  return { value, layers: terms };
}

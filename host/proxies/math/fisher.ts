import { ZeronasError } from '../../../shared/errors.js';
import { firstNonFinite, rejected, type ScoreValue } from './scoreValue.js';

/**
 * Per-channel Fisher information of one conv/linear layer (ALGORITHMS.md §A.7, mode 'channel'): with z the
 * layer's output (pre-BN) and δ = ∂L/∂z, both [n, C, spatial] (spatial = H·W, or 1 for a linear layer),
 * g_nk = Σ_spatial z·δ and Fisher_k = ½ · mean_n(g_nk²). Returns C values (float64).
 */
export function fisherChannels(z: ArrayLike<number>, dz: ArrayLike<number>, n: number, channels: number): Float64Array {
  if (z.length !== dz.length || z.length % (n * channels) !== 0 || z.length === 0) {
    throw new ZeronasError(
      'ZN_SHAPE_MISMATCH',
      `fisher: activation (${z.length} values) and its gradient (${dz.length}) must both be [${n}, ${channels}, spatial]`,
    );
  }
  const spatial = z.length / (n * channels);
  const out = new Float64Array(channels);
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < channels; k++) {
      const base = (s * channels + k) * spatial;
      let g = 0;
      for (let t = 0; t < spatial; t++) g += z[base + t]! * dz[base + t]!;
      out[k]! += g * g;
    }
  }
  for (let k = 0; k < channels; k++) out[k] = (0.5 * out[k]!) / n;
  return out;
}

export interface FisherLayer {
  name: string;
  /** Fisher_k per output channel (from fisherChannels, summed over data splits if any). */
  channels: ArrayLike<number>;
  /** Weights per output channel: C_in/groups · k_h · k_w (in features for a linear layer). */
  weightsPerChannel: number;
}

/**
 * Fisher score (ALGORITHMS.md §A.7): each |Fisher_k| is broadcast to every weight of output channel k and all are
 * summed, so score = Σ_l Σ_k |Fisher_lk| · weightsPerChannel_l (the zero-cost-nas convention; the multiplicity
 * matters for parity). A non-finite value gives -Infinity with a reason. Higher is better.
 */
export function fisherScore(layers: readonly FisherLayer[]): ScoreValue {
  let value = 0;
  for (const layer of layers) {
    const bad = firstNonFinite(layer.channels);
    if (bad >= 0) return rejected(`Fisher of '${layer.name}' channel ${bad} is ${layer.channels[bad]}`);
    let sum = 0;
    for (let k = 0; k < layer.channels.length; k++) sum += Math.abs(layer.channels[k]!);
    value += sum * layer.weightsPerChannel;
  }
  return { value };
}

import { ZeronasError } from '../../../shared/errors.js';
import { rejected, type ScoreValue } from './scoreValue.js';

/** The perturbation scale γ of Zen-score: x' = x + γ·ε. */
export const ZEN_MIXUP_GAMMA = 1e-2;

/**
 * Δ of Zen-score (ALGORITHMS.md §A.11, step 4): mean over samples of Σ_{C,H,W} |f(x) - f(x')|, where f is the
 * feature map before global average pooling (NB201: after lastact's BN+ReLU). Both inputs are [n, ...] flattened.
 */
export function zenDelta(features: ArrayLike<number>, perturbed: ArrayLike<number>, n: number): number {
  if (features.length !== perturbed.length || features.length % n !== 0 || features.length === 0) {
    throw new ZeronasError(
      'ZN_SHAPE_MISMATCH',
      `zen: feature maps have ${features.length} and ${perturbed.length} values; both must be [${n}, C, H, W]`,
    );
  }
  let sum = 0;
  for (let i = 0; i < features.length; i++) sum += Math.abs(features[i]! - perturbed[i]!);
  return sum / n;
}

/**
 * Unbiased per-channel variance of a [n, C, spatial] activation, which is what train-mode BatchNorm feeds into
 * its running_var update (the normalisation itself uses the biased one).
 */
export function unbiasedChannelVariance(x: ArrayLike<number>, n: number, channels: number): Float64Array {
  if (x.length % (n * channels) !== 0 || x.length === 0) {
    throw new ZeronasError('ZN_SHAPE_MISMATCH', `zen: ${x.length} values do not form [${n}, ${channels}, spatial]`);
  }
  const spatial = x.length / (n * channels);
  const m = n * spatial;
  const out = new Float64Array(channels);
  for (let k = 0; k < channels; k++) {
    let mean = 0;
    for (let s = 0; s < n; s++) for (let t = 0; t < spatial; t++) mean += x[(s * channels + k) * spatial + t]!;
    mean /= m;
    let ss = 0;
    for (let s = 0; s < n; s++) {
      for (let t = 0; t < spatial; t++) {
        const d = x[(s * channels + k) * spatial + t]! - mean;
        ss += d * d;
      }
    }
    out[k] = m > 1 ? ss / (m - 1) : NaN;
  }
  return out;
}

/**
 * BatchNorm running_var after train-mode passes: r ← (1 - momentum)·r + momentum·v_pass, from r = initial. With
 * momentum 0.1 and two passes from 1: r = 0.81 + 0.09·v₁ + 0.1·v₂ (ALGORITHMS.md §A.11, step 5).
 */
export function runningVarAfterPasses(
  passVariances: readonly ArrayLike<number>[],
  momentum = 0.1,
  initial = 1,
): Float64Array {
  const c = passVariances[0]?.length ?? 0;
  const r = new Float64Array(c).fill(initial);
  for (const v of passVariances) {
    if (v.length !== c)
      throw new ZeronasError('ZN_SHAPE_MISMATCH', `zen: pass variances have ${v.length} channels, expected ${c}`);
    for (let k = 0; k < c; k++) r[k] = (1 - momentum) * r[k]! + momentum * v[k]!;
  }
  return r;
}

/**
 * Zen-score (ALGORITHMS.md §A.11): score = ln Δ + Σ_{every BatchNorm2d} ln sqrt(mean_c running_var_c), with the
 * running variances read after both forward passes (x then x'), Gaussian init, train mode. `bnRunningVarMeans`
 * holds mean_c running_var_c per BN. Δ ≤ 0 (identical outputs) or a non-finite term gives -Infinity with a reason.
 * Higher is better.
 */
export function zenScore(
  delta: number,
  bnRunningVarMeans: readonly number[],
): ScoreValue & { logDelta: number; logBnScaling: number } {
  const logDelta = Math.log(delta);
  let logBnScaling = 0;
  for (const m of bnRunningVarMeans) logBnScaling += Math.log(Math.sqrt(m));
  if (!(delta > 0) || !Number.isFinite(delta)) {
    return {
      ...rejected(`the perturbation changed the features by Δ = ${delta}, so ln Δ is undefined`),
      logDelta,
      logBnScaling,
    };
  }
  if (!Number.isFinite(logBnScaling)) {
    return {
      ...rejected(`a BatchNorm running variance mean is not positive and finite (Σ ln √v = ${logBnScaling})`),
      logDelta,
      logBnScaling,
    };
  }
  return { value: logDelta + logBnScaling, logDelta, logBnScaling };
}

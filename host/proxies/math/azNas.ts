/**
 * AZ-NAS's three network-level scores (PROXIES_SOTA.md §1, the official `compute_az_nas_score.py` on NB201), from
 * the feature chain F_0..F_L (stem output, then every cell's output) of one forward pass and the block-local
 * vector-Jacobian products g_in,l = (∂F_l/∂F_{l-1})ᵀ g_out,l. Computed in float64 from float32 tensors.
 *
 * −∞ policy (the issue asks to decide it): a genuinely degenerate tensor (all-zero features: Σ s = 0, which the
 * official code turns into NaN and then −∞) is −∞ here too, and an identity block (g_in == g_out bit for bit) is −∞,
 * as in the official code. The official float32 eigvalsh also returns tiny negative eigenvalues on ill-conditioned
 * healthy cells, making them −∞; that is round-off, not a property of the cell, and it is not reproduced: here the
 * eigenvalues come from a float64 solver and are clamped at 0 (the spec measured this "f64 fix" on Gaussian input at
 * ρ 0.911 against the official 0.910, §5).
 */
import { symmetricEigenvaluesFast as symmetricEigenvalues } from './linalg.js';

/** A feature map [B, C, H, W] row-major. */
export interface FeatureMap {
  data: ArrayLike<number>;
  shape: readonly [number, number, number, number];
}

/**
 * Expressivity of one feature map: the entropy of the normalised eigenvalue spectrum of the channel covariance over
 * every pixel position of every image, E = Σ_k −p_k ln(p_k + 1e-8), p = s / Σ s. −∞ when Σ s is 0 or not finite.
 */
export function featureExpressivity(f: FeatureMap): number {
  const [b, c, h, w] = f.shape;
  const hw = h * w;
  const n = b * hw;
  const x = f.data;
  const mean = new Float64Array(c);
  for (let i = 0; i < b; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * hw;
      let s = 0;
      for (let k = 0; k < hw; k++) s += x[base + k]!;
      mean[ch]! += s;
    }
  }
  for (let ch = 0; ch < c; ch++) mean[ch]! /= n;
  if (n < c) return expressivityFromGram(x, mean, b, c, hw);
  const cov = channelCross(x, mean, x, mean, b, c, c, hw);
  for (let i = 0; i < c * c; i++) cov[i]! /= n;
  return expressivityFromCovariance(cov, c);
}

/**
 * The same entropy when there are fewer observations n = B·H·W than channels (deep layers of an ImageNet-type
 * network scored at 32x32: 2048 channels at 1x1): the covariance XXᵀ/n (c×c) and the Gram XᵀX (n×n) of the centred
 * observations share their nonzero eigenvalues, and zero eigenvalues add nothing to the entropy (0·ln(1e-8) = 0),
 * so the n×n problem gives the same value. It turned a 2048×2048 eigenproblem (~70 s per IDW cell) into a 16×16 one.
 */
function expressivityFromGram(x: ArrayLike<number>, mean: Float64Array, b: number, c: number, hw: number): number {
  const n = b * hw;
  // Centred observations, observation-major: row (image i, pixel k) holds its c channel values.
  const obs = new Float64Array(n * c);
  for (let i = 0; i < b; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * hw;
      for (let k = 0; k < hw; k++) obs[(i * hw + k) * c + ch] = x[base + k]! - mean[ch]!;
    }
  }
  const gram = new Float64Array(n * n);
  for (let p = 0; p < n; p++) {
    for (let q = p; q < n; q++) {
      let sum = 0;
      for (let ch = 0; ch < c; ch++) sum += obs[p * c + ch]! * obs[q * c + ch]!;
      gram[p * n + q] = gram[q * n + p] = sum / n;
    }
  }
  for (let i = 0; i < n * n; i++) if (!Number.isFinite(gram[i]!)) return Number.NEGATIVE_INFINITY;
  return spectrumEntropy(symmetricEigenvalues(gram, n), n);
}

/** The entropy of a [c, c] covariance's normalised spectrum (what featureExpressivity computes after Σ). */
export function expressivityFromCovariance(covariance: ArrayLike<number>, c: number): number {
  const cov = Float64Array.from(covariance);
  for (let i = 0; i < c * c; i++) if (!Number.isFinite(cov[i]!)) return Number.NEGATIVE_INFINITY;
  // Symmetrise: a float32 product computed in two orders may differ in the last bit across the diagonal.
  for (let i = 0; i < c; i++) for (let j = i + 1; j < c; j++) cov[i * c + j] = cov[j * c + i] = (cov[i * c + j]! + cov[j * c + i]!) / 2;
  return spectrumEntropy(symmetricEigenvalues(cov, c), c);
}

/** E = Σ_k −p_k ln(p_k + 1e-8) over the first `count` eigenvalues clamped at 0, p = s / Σ s; −∞ when Σ s is 0. */
function spectrumEntropy(s: ArrayLike<number>, count: number): number {
  let total = 0;
  for (let k = 0; k < count; k++) total += Math.max(s[k]!, 0);
  if (!(total > 0) || !Number.isFinite(total)) return Number.NEGATIVE_INFINITY;
  let e = 0;
  for (let k = 0; k < count; k++) {
    const p = Math.max(s[k]!, 0) / total;
    e -= p * Math.log(p + 1e-8);
  }
  return e;
}

/**
 * Σ over images and pixels of (a_i − ma_i)(b_j − mb_j), as a row-major [ca, cb] float64 matrix, for a [B, ca, HW] and
 * b [B, cb, HW] (pass zero means for a plain cross product).
 */
function channelCross(
  a: ArrayLike<number>,
  ma: Float64Array,
  bt: ArrayLike<number>,
  mb: Float64Array,
  batch: number,
  ca: number,
  cb: number,
  hw: number,
): Float64Array {
  const out = new Float64Array(ca * cb);
  const symmetric = a === bt && ca === cb;
  const ra = new Float64Array(hw);
  const rb = new Float64Array(cb * hw);
  for (let i = 0; i < batch; i++) {
    for (let j = 0; j < cb; j++) {
      const base = (i * cb + j) * hw;
      for (let k = 0; k < hw; k++) rb[j * hw + k] = bt[base + k]! - mb[j]!;
    }
    for (let p = 0; p < ca; p++) {
      const base = (i * ca + p) * hw;
      for (let k = 0; k < hw; k++) ra[k] = a[base + k]! - ma[p]!;
      for (let q = symmetric ? p : 0; q < cb; q++) {
        let s = 0;
        const off = q * hw;
        for (let k = 0; k < hw; k++) s += ra[k]! * rb[off + k]!;
        out[p * cb + q]! += s;
      }
    }
  }
  if (symmetric) for (let p = 0; p < ca; p++) for (let q = p + 1; q < cb; q++) out[q * cb + p] = out[p * cb + q]!;
  return out;
}

/** Progressivity: the smallest increase of expressivity from one feature map to the next (−∞ if any is −∞). */
export function progressivity(expressivities: readonly number[]): number {
  if (expressivities.length < 2) return Number.NEGATIVE_INFINITY;
  let best = Number.POSITIVE_INFINITY;
  for (let l = 1; l < expressivities.length; l++) {
    const d = expressivities[l]! - expressivities[l - 1]!;
    if (Number.isNaN(d)) return Number.NEGATIVE_INFINITY;
    best = Math.min(best, d);
  }
  return best;
}

/**
 * Pixel-unshuffle [B, C, H·s, W·s] -> [B, C·s², H, W], channel order c·s² + dy·s + dx (torch.nn.PixelUnshuffle).
 */
export function pixelUnshuffle(x: ArrayLike<number>, shape: readonly [number, number, number, number], s: number): Float32Array {
  const [b, c, hs, ws] = shape;
  const h = hs / s;
  const w = ws / s;
  const out = new Float32Array(b * c * hs * ws);
  let o = 0;
  for (let i = 0; i < b; i++) {
    for (let ch = 0; ch < c; ch++) {
      for (let dy = 0; dy < s; dy++) {
        for (let dx = 0; dx < s; dx++) {
          for (let y = 0; y < h; y++) {
            const row = ((i * c + ch) * hs + y * s + dy) * ws + dx;
            for (let xw = 0; xw < w; xw++) out[o++] = x[row + xw * s]!;
          }
        }
      }
    }
  }
  return out;
}

/**
 * One block's trainability T = −σ − 1/(σ + 1e-6) + 2, σ the largest singular value of A = G_inᵀ G_out / (B·H·W)
 * (G as (B·H·W) x C matrices; g_in pixel-unshuffled first when the block changes resolution). −∞ for an identity
 * block (g_in == g_out exactly) and when A is not finite.
 */
export function blockTrainability(gIn: FeatureMap, gOut: FeatureMap): number {
  const [b, co, ho, wo] = gOut.shape;
  const [, ci0, hi, wi] = gIn.shape;
  if (ci0 === co && hi === ho && wi === wo) {
    let same = true;
    for (let i = 0; i < gIn.data.length && same; i++) same = gIn.data[i] === gOut.data[i];
    if (same) return Number.NEGATIVE_INFINITY;
  }
  let gin: ArrayLike<number> = gIn.data;
  let ci = ci0;
  if (hi !== ho || wi !== wo) {
    const s = hi / ho;
    gin = pixelUnshuffle(gIn.data, gIn.shape, s);
    ci = ci0 * s * s;
  }
  const n = b * ho * wo;
  const a = channelCross(gin, new Float64Array(ci), gOut.data, new Float64Array(co), b, ci, co, ho * wo);
  for (let i = 0; i < a.length; i++) a[i]! /= n;
  return trainabilityFromCross(a, ci, co);
}

/** T from A = G_inᵀ G_out / (B·H·W), row-major [rows, cols] (what blockTrainability computes after A). */
export function trainabilityFromCross(cross: ArrayLike<number>, rows: number, cols: number): number {
  const a = Float64Array.from(cross);
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return Number.NEGATIVE_INFINITY;
  const sigma = largestSingularValue(a, rows, cols);
  return -sigma - 1 / (sigma + 1e-6) + 2;
}

/** Largest singular value of a row-major [r, c] matrix: √λ_max of the smaller Gram matrix. */
export function largestSingularValue(a: Float64Array, r: number, c: number): number {
  const k = Math.min(r, c);
  const gram = new Float64Array(k * k);
  for (let p = 0; p < k; p++) {
    for (let q = p; q < k; q++) {
      let s = 0;
      if (r <= c) for (let j = 0; j < c; j++) s += a[p * c + j]! * a[q * c + j]!;
      else for (let i = 0; i < r; i++) s += a[i * c + p]! * a[i * c + q]!;
      gram[p * k + q] = s;
      gram[q * k + p] = s;
    }
  }
  const ev = symmetricEigenvalues(gram, k);
  return Math.sqrt(Math.max(ev[k - 1]!, 0));
}

/** Mean of the blocks' trainabilities (−∞ if any is −∞, as the official mean of a list holding −inf). */
export function trainability(blocks: readonly number[]): number {
  if (blocks.length === 0) return Number.NEGATIVE_INFINITY;
  let s = 0;
  for (const t of blocks) s += t;
  return Number.isNaN(s) ? Number.NEGATIVE_INFINITY : s / blocks.length;
}

/**
 * The gradient-saliency proxies whose aggregation is a plain sum over conv/linear weights (ALGORITHMS.md §A.4-§A.8,
 * §A.13). Each takes, per layer l, the weight W_l and a same-shaped tensor, and returns a ScoreValue; a
 * non-finite sum gives -Infinity with a reason. All are "higher is better" as the reference reports them.
 */
import { ZeronasError } from '../../../shared/errors.js';
import { rejected, type ScoreValue } from './scoreValue.js';

export interface LayerTensor {
  name: string;
  values: ArrayLike<number>;
}

export interface LayerPair {
  name: string;
  weight: ArrayLike<number>;
  /** ∂L/∂W (snip, plain), ∂R/∂W (synflow) or H·g (grasp). */
  other: ArrayLike<number>;
}

function finite(value: number, what: string): ScoreValue {
  return Number.isFinite(value) ? { value } : rejected(`${what} is ${value}`);
}

function pairs(layers: readonly LayerPair[], fn: (w: number, g: number) => number, what: string): ScoreValue {
  let total = 0;
  for (const { name, weight, other } of layers) {
    if (weight.length !== other.length) {
      throw new ZeronasError(
        'ZN_SHAPE_MISMATCH',
        `${what}: '${name}' has ${weight.length} weights but ${other.length} gradient values`,
      );
    }
    for (let i = 0; i < weight.length; i++) total += fn(weight[i]!, other[i]!);
  }
  return finite(total, `${what} sum`);
}

/** GradNorm, survey version (§A.4): Σ_l ‖∂L/∂W_l‖₂ over conv/linear weights, one real batch. Higher is better. */
export function gradNormSum(grads: readonly LayerTensor[]): ScoreValue {
  let total = 0;
  for (const { values } of grads) total += l2(values);
  return finite(total, 'grad_norm');
}

/** GradNorm, ZiCo-repo version (§A.4): sqrt(Σ_{all params p} ‖∂L/∂p‖²), the global L2 norm. Higher is better. */
export function gradNormGlobal(grads: readonly LayerTensor[]): ScoreValue {
  let ss = 0;
  for (const { values } of grads) for (let i = 0; i < values.length; i++) ss += values[i]! * values[i]!;
  return finite(Math.sqrt(ss), 'global grad norm');
}

/** SNIP (§A.5): Σ |W ⊙ ∂L/∂W| with the absolute value taken per element. Higher is better. */
export function snipScore(layers: readonly LayerPair[]): ScoreValue {
  return pairs(layers, (w, g) => Math.abs(w * g), 'snip');
}

/** GraSP (§A.6): Σ -W ⊙ (H g), the sign already flipped as in the reference. Higher is better. */
export function graspScore(layers: readonly LayerPair[]): ScoreValue {
  return pairs(layers, (w, hg) => -w * hg, 'grasp');
}

/**
 * SynFlow, survey version (§A.8): Σ |W ⊙ ∂R/∂W| with W already made positive (|W|), R = Σ logits of an all-ones
 * input in float64. Pass the absolute weights. Higher is better.
 */
export function synflowScore(layers: readonly LayerPair[]): ScoreValue {
  return pairs(layers, (w, g) => Math.abs(w * g), 'synflow');
}

/** plain (§A.13): Σ W ⊙ ∂L/∂W, signed. Reported as is. */
export function plainScore(layers: readonly LayerPair[]): ScoreValue {
  return pairs(layers, (w, g) => w * g, 'plain');
}

/** l2_norm (§A.13): Σ_l ‖W_l‖_F over conv/linear weights. Reported as is. */
export function l2NormScore(weights: readonly LayerTensor[]): ScoreValue {
  let total = 0;
  for (const { values } of weights) total += l2(values);
  return finite(total, 'l2_norm');
}

function l2(values: ArrayLike<number>): number {
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += values[i]! * values[i]!;
  return Math.sqrt(ss);
}

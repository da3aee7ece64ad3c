import { ZeronasError } from '../../../shared/errors.js';
import { symmetricEigenvalues } from './linalg.js';
import { rejected, type ScoreValue } from './scoreValue.js';

/**
 * Builds a Gram matrix G·Gᵀ (B x B, float64) from G's columns in chunks, so the B x P gradient matrix (P can be
 * millions) never has to be held at once: add one parameter tensor's per-sample gradients at a time.
 */
export class GramAccumulator {
  readonly rows: number;
  readonly gram: Float64Array;
  /** Columns added so far (P). */
  columns = 0;
  nonFinite: string | undefined;

  constructor(rows: number) {
    if (!Number.isInteger(rows) || rows < 1)
      throw new ZeronasError('ZN_BAD_ARGUMENT', `Gram matrix needs a positive row count, got ${rows}`);
    this.rows = rows;
    this.gram = new Float64Array(rows * rows);
  }

  /** `block[i]` holds the same columns (one parameter tensor, flattened) for sample i. */
  add(block: readonly ArrayLike<number>[], name = `block ${this.columns}`): void {
    const b = this.rows;
    if (block.length !== b) {
      throw new ZeronasError(
        'ZN_SHAPE_MISMATCH',
        `Gram block ${name} has ${block.length} rows, expected ${b} (one per sample)`,
      );
    }
    const p = block[0]!.length;
    for (let i = 0; i < b; i++) {
      const gi = block[i]!;
      if (gi.length !== p) {
        throw new ZeronasError(
          'ZN_SHAPE_MISMATCH',
          `Gram block ${name}: row ${i} has ${gi.length} values, row 0 has ${p}`,
        );
      }
      for (let j = i; j < b; j++) {
        const gj = block[j]!;
        let dot = 0;
        for (let k = 0; k < p; k++) dot += gi[k]! * gj[k]!;
        if (!Number.isFinite(dot) && this.nonFinite === undefined)
          this.nonFinite = `${name} gives a non-finite product (rows ${i}, ${j})`;
        this.gram[i * b + j]! += dot;
        if (j !== i) this.gram[j * b + i]! += dot;
      }
    }
    this.columns += p;
  }
}

export interface NtkCondition extends ScoreValue {
  /** λ_max / λ_min of the NTK (positive and finite unless rejected). */
  condition: number;
  lambdaMin: number;
  lambdaMax: number;
}

/**
 * TE-NAS NTK condition number (ALGORITHMS.md §A.12): NTK = G·Gᵀ, row G_i = ∂(Σ_k logit_ik)/∂θ over every
 * parameter whose name contains "weight" (BN gammas included); cond = λ_max / λ_min; score = -cond, because a
 * well-conditioned NTK is better. Departure: the reference maps NaN/inf through nan_to_num and can return a
 * negative cond when float error makes λ_min ≤ 0; here λ_min ≤ 0 or a non-finite NTK gives -Infinity with a
 * reason. Eigenvalues by Jacobi in float64. Higher (less negative) is better.
 */
export function ntkScore(gram: ArrayLike<number>, n: number): NtkCondition {
  for (let i = 0; i < gram.length; i++) {
    if (!Number.isFinite(gram[i]!))
      return {
        ...rejected(`the NTK has a non-finite entry at index ${i}`),
        condition: NaN,
        lambdaMin: NaN,
        lambdaMax: NaN,
      };
  }
  const eig = symmetricEigenvalues(gram, n);
  const lambdaMin = eig[0]!;
  const lambdaMax = eig[n - 1]!;
  if (!(lambdaMin > 0)) {
    return {
      ...rejected(`the NTK's smallest eigenvalue is ${lambdaMin}, so its condition number is undefined`),
      condition: Infinity,
      lambdaMin,
      lambdaMax,
    };
  }
  const condition = lambdaMax / lambdaMin;
  return { value: -condition, condition, lambdaMin, lambdaMax };
}

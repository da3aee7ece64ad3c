import { ZeronasError } from '../../../shared/errors.js';

/**
 * Binary ReLU activation codes of a batch, bit-packed per layer: c = (value > 0) for every unit of every hooked
 * ReLU. The NASWOT kernel reads ReLU inputs and linear regions read ReLU outputs; both give the same code since
 * relu(x) > 0 exactly when x > 0 (ALGORITHMS.md §A.10, §A.12, pitfall F.9). Packing keeps the kernel cheap:
 * agreements between two samples are n_l - popcount(c_i XOR c_j) per layer.
 */
export class ActivationCodes {
  readonly batch: number;
  /** Per layer: batch x wordsPerSample packed bits (padding bits are 0 for every sample). */
  readonly layers: { units: number; words: number; bits: Uint32Array }[] = [];
  /** Units per sample across all layers added so far (N_A). */
  units = 0;
  /** Set when a value was NaN or infinite; codes of such a batch mean nothing. */
  nonFinite: string | undefined;

  constructor(batch: number) {
    if (!Number.isInteger(batch) || batch < 1) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `activation codes need a positive integer batch size, got ${batch}`);
    }
    this.batch = batch;
  }

  /** Adds one ReLU's values for the whole batch: `values` is [batch, ...] flattened, sample-major. */
  addLayer(values: ArrayLike<number>, name = `layer ${this.layers.length}`): void {
    if (values.length % this.batch !== 0 || values.length === 0) {
      throw new ZeronasError(
        'ZN_SHAPE_MISMATCH',
        `activation codes: ${name} has ${values.length} values, not a positive multiple of the batch size ${this.batch}`,
      );
    }
    const units = values.length / this.batch;
    const words = Math.ceil(units / 32);
    const bits = new Uint32Array(this.batch * words);
    for (let i = 0; i < this.batch; i++) {
      const base = i * units;
      for (let u = 0; u < units; u++) {
        const v = values[base + u]!;
        if (v > 0) bits[i * words + (u >>> 5)]! |= 1 << (u & 31);
        if (this.nonFinite === undefined && !Number.isFinite(v))
          this.nonFinite = `${name} has value ${v} (sample ${i}, unit ${u})`;
      }
    }
    this.layers.push({ units, words, bits });
    this.units += units;
  }
}

/** Number of set bits of a 32-bit word. */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

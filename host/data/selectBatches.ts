import { ZeronasError } from '../../shared/errors.js';
import { mulberry32 } from '../ir/init.js';
import type { DataBatch, ImageDataset } from './dataset.js';
import { normalizeImageInto, resolveNormalization, type Normalization, type NormalizationPreset } from './normalization.js';

export interface BatchSelection {
  batchSize: number;
  batches: number;
  /**
   * 'first': images 0..batchSize*batches-1 in order, batch b holding images b*batchSize..(b+1)*batchSize-1 (the
   * reference ZiCo run: images 0..63 and 64..127). A number: a seeded shuffle of the whole dataset
   * (Fisher-Yates driven by mulberry32(seed)), then the same consecutive split. Reproducible across machines.
   */
  seed: number | 'first';
  /** Defaults to the dataset's own normalisation. */
  normalization?: NormalizationPreset | Normalization;
}

/**
 * Draws `batches` disjoint batches of `batchSize` images, normalised (ALGORITHMS.md §0.5) into float32 NCHW, with
 * int32 labels. No augmentation: zero-shot proxies score each architecture on the same fixed tensors.
 */
export function selectBatches(dataset: ImageDataset, selection: BatchSelection): DataBatch[] {
  const { batchSize, batches, seed } = selection;
  for (const [key, value] of [
    ['batchSize', batchSize],
    ['batches', batches],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `batch selection ${key} must be a positive integer, got ${value}`, { [key]: value });
    }
  }
  if (seed !== 'first' && !Number.isInteger(seed)) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `batch selection seed must be an integer or 'first', got ${String(seed)}`, { seed });
  }
  const needed = batchSize * batches;
  if (needed > dataset.count) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `${batches} batch(es) of ${batchSize} need ${needed} images, but dataset '${dataset.name}' (${dataset.source}) has ${dataset.count}`,
      { needed, available: dataset.count },
    );
  }
  const order = seed === 'first' ? null : shuffledIndices(dataset.count, seed);
  const norm = resolveNormalization(selection.normalization ?? dataset.normalization);
  const imageSize = dataset.channels * dataset.height * dataset.width;
  const out: DataBatch[] = [];
  for (let b = 0; b < batches; b++) {
    const images = new Float32Array(batchSize * imageSize);
    const labels = new Int32Array(batchSize);
    const indices = new Int32Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      const k = b * batchSize + i;
      const index = order ? order[k]! : k;
      indices[i] = index;
      labels[i] = dataset.labels[index]!;
      const pixels = dataset.pixels.subarray(index * imageSize, (index + 1) * imageSize);
      normalizeImageInto(pixels, dataset.channels, norm, images, i * imageSize);
    }
    out.push({ images, labels, indices, shape: [batchSize, dataset.channels, dataset.height, dataset.width] });
  }
  return out;
}

/** Fisher-Yates shuffle of 0..n-1 driven by mulberry32(seed). */
export function shuffledIndices(n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

import { ZeronasError } from '../../shared/errors.js';

/** Per-channel mean and std on the [0, 1] scale (after dividing bytes by 255). */
export interface Normalization {
  mean: readonly number[];
  std: readonly number[];
}

/**
 * Per-dataset normalisation of the reference code (ALGORITHMS.md §0.5, xautodl get_dataset_with_transform):
 * x = (byte / 255 - mean_c) / std_c, per RGB channel.
 */
export const NORMALIZATIONS = {
  cifar10: { mean: [125.3 / 255, 123.0 / 255, 113.9 / 255], std: [63.0 / 255, 62.1 / 255, 66.7 / 255] },
  cifar100: { mean: [129.3 / 255, 124.1 / 255, 112.4 / 255], std: [68.2 / 255, 65.4 / 255, 70.4 / 255] },
  imagenet16: { mean: [122.68 / 255, 116.66 / 255, 104.01 / 255], std: [63.22 / 255, 61.26 / 255, 65.09 / 255] },
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
} as const satisfies Record<string, Normalization>;

export type NormalizationPreset = keyof typeof NORMALIZATIONS;
export const NORMALIZATION_PRESETS = Object.keys(NORMALIZATIONS) as NormalizationPreset[];

export function resolveNormalization(preset: NormalizationPreset | Normalization): Normalization {
  if (typeof preset !== 'string') return preset;
  const n = (NORMALIZATIONS as Record<string, Normalization>)[preset];
  if (!n) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `unknown normalisation preset '${String(preset)}'; known presets: ${NORMALIZATION_PRESETS.join(', ')}`,
      { preset },
    );
  }
  return n;
}

/**
 * Writes normalised float32 values of one planar image into `out` at `offset`:
 * out = (byte / 255 - mean_c) / std_c (ALGORITHMS.md §0.5). Computed in float64 and rounded once to float32;
 * torchvision's float32 ToTensor+Normalize can differ by one ulp.
 */
export function normalizeImageInto(
  pixels: Uint8Array,
  channels: number,
  norm: Normalization,
  out: Float32Array,
  offset: number,
): void {
  if (norm.mean.length !== channels || norm.std.length !== channels) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `normalisation has ${norm.mean.length} mean / ${norm.std.length} std values, expected ${channels} (one per channel)`,
    );
  }
  const plane = pixels.length / channels;
  for (let c = 0; c < channels; c++) {
    const mean = norm.mean[c]!;
    const std = norm.std[c]!;
    const base = c * plane;
    for (let i = 0; i < plane; i++) out[offset + base + i] = (pixels[base + i]! / 255 - mean) / std;
  }
}

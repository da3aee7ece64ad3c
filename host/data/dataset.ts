import type { NormalizationPreset } from './normalization.js';

/**
 * A labelled image set held as raw 8-bit pixels. Pixels are planar per image (all R, then all G, then all B;
 * each plane row-major), which is the CIFAR binary layout and PyTorch's CHW order, so one image is
 * `pixels.subarray(i * C*H*W, (i + 1) * C*H*W)`.
 */
export interface ImageDataset {
  /** Short name for logs and records, e.g. 'cifar10'. */
  name: string;
  /** Where the images came from (file paths or folder), for provenance. */
  source: string;
  count: number;
  channels: number;
  height: number;
  width: number;
  /** count x channels x height x width bytes. */
  pixels: Uint8Array;
  /** One label per image, 0..numClasses-1. */
  labels: Int32Array;
  numClasses: number;
  /** Class names in label order, when the format carries them (image folders) or they are well known. */
  classNames?: readonly string[];
  /** The normalisation this dataset is trained with in the reference code (ALGORITHMS.md §0.5). */
  normalization: NormalizationPreset;
}

/** One batch ready for a model: normalised float32 NCHW images and int32 labels. */
export interface DataBatch {
  /** batchSize x C x H x W, normalised. */
  images: Float32Array;
  labels: Int32Array;
  /** Index of each image in its dataset, so a run can say exactly which images it used. */
  indices: Int32Array;
  /** [N, C, H, W]. */
  shape: readonly [number, number, number, number];
}

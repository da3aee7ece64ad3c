export type { DataBatch, ImageDataset } from './dataset.js';
export {
  NORMALIZATIONS,
  NORMALIZATION_PRESETS,
  normalizeImageInto,
  resolveNormalization,
  type Normalization,
  type NormalizationPreset,
} from './normalization.js';
export {
  CIFAR10_CLASSES,
  CIFAR100_RECORD_BYTES,
  CIFAR10_RECORD_BYTES,
  parseCifar10,
  parseCifar100,
  readCifar10,
  readCifar100,
  type Cifar100Options,
  type CifarFile,
} from './cifarBinary.js';
export { readImageFolder, type ImageFolderOptions } from './imageFolder.js';
export { selectBatches, shuffledIndices, type BatchSelection } from './selectBatches.js';
export { gaussianTensor } from './gaussianInputs.js';
export { DATASET_FORMATS, DEFAULT_DATASET_PATH, openDataset, type DatasetFormat, type DatasetSpec } from './openDataset.js';

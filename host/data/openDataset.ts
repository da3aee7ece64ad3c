import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ZeronasError } from '../../shared/errors.js';
import { CIFAR100_RECORD_BYTES, CIFAR10_RECORD_BYTES, readCifar10, readCifar100 } from './cifarBinary.js';
import type { ImageDataset } from './dataset.js';
import { readImageFolder } from './imageFolder.js';
import { NORMALIZATION_PRESETS, type NormalizationPreset } from './normalization.js';

/** The CIFAR-10 sample shipped with zeronas (first 512 training images; see data/cifar10-sample/README.md). */
export const DEFAULT_DATASET_PATH = fileURLToPath(new URL('../../data/cifar10-sample/cifar10_train_512.bin', import.meta.url));

export type DatasetFormat = 'cifar10' | 'cifar100' | 'folder';
export const DATASET_FORMATS: readonly DatasetFormat[] = ['cifar10', 'cifar100', 'folder'];

export interface DatasetSpec {
  /** A CIFAR .bin file (or several), or an image folder. Omitted: the shipped CIFAR-10 sample. */
  path?: string | readonly string[];
  /** Omitted: a directory is a folder; a file is CIFAR-10 or CIFAR-100 when its size fits exactly one of them. */
  format?: DatasetFormat;
  /** Overrides the format's normalisation; required for image folders. */
  normalization?: NormalizationPreset;
}

/** Opens the dataset a user named (the CLI's `--data`), or the shipped sample when none is named. */
export function openDataset(spec: DatasetSpec = {}): ImageDataset {
  const paths = spec.path === undefined ? [DEFAULT_DATASET_PATH] : typeof spec.path === 'string' ? [spec.path] : [...spec.path];
  const format = spec.format ?? detectFormat(paths);
  let dataset: ImageDataset;
  switch (format) {
    case 'cifar10':
      dataset = readCifar10(paths);
      break;
    case 'cifar100':
      dataset = readCifar100(paths);
      break;
    case 'folder': {
      if (paths.length !== 1) {
        throw new ZeronasError('ZN_BAD_ARGUMENT', `an image folder dataset takes one folder, got ${paths.length} paths`);
      }
      if (!spec.normalization) {
        throw new ZeronasError(
          'ZN_BAD_ARGUMENT',
          `image folder '${paths[0]}' needs a normalisation preset (one of ${NORMALIZATION_PRESETS.join(', ')}): ` +
            'a folder does not say which dataset its images come from',
          { path: paths[0] },
        );
      }
      return readImageFolder(paths[0]!, { normalization: spec.normalization });
    }
    default:
      throw new ZeronasError('ZN_BAD_ARGUMENT', `unknown dataset format '${String(format)}'; known: ${DATASET_FORMATS.join(', ')}`);
  }
  return spec.normalization ? { ...dataset, normalization: spec.normalization } : dataset;
}

function detectFormat(paths: readonly string[]): DatasetFormat {
  const first = paths[0]!;
  let isDirectory: boolean;
  let size: number;
  try {
    const st = statSync(first);
    isDirectory = st.isDirectory();
    size = st.size;
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot open dataset '${first}': ${(err as Error).message}`, { path: first }, err);
  }
  if (isDirectory) return 'folder';
  const fits10 = size > 0 && size % CIFAR10_RECORD_BYTES === 0;
  const fits100 = size > 0 && size % CIFAR100_RECORD_BYTES === 0;
  if (fits10 !== fits100) return fits10 ? 'cifar10' : 'cifar100';
  throw new ZeronasError(
    'ZN_BAD_DATA',
    `cannot tell the format of '${first}' (${size} bytes) from its size: ` +
      (fits10
        ? `it is a multiple of both ${CIFAR10_RECORD_BYTES} (CIFAR-10) and ${CIFAR100_RECORD_BYTES} (CIFAR-100) byte records`
        : `it is a multiple of neither ${CIFAR10_RECORD_BYTES} (CIFAR-10 records) nor ${CIFAR100_RECORD_BYTES} (CIFAR-100 records)`) +
      '; name the format explicitly (cifar10, cifar100 or folder)',
    { path: first, sizeBytes: size },
  );
}

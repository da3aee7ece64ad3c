/**
 * Readers for the CIFAR binary formats (https://www.cs.toronto.edu/~kriz/cifar.html, "binary version"):
 *  - CIFAR-10: records of 1 label byte (0..9) + 3072 pixel bytes (1024 R, 1024 G, 1024 B; 32x32 row-major);
 *  - CIFAR-100: records of 1 coarse label byte (0..19) + 1 fine label byte (0..99) + 3072 pixel bytes.
 * A file of the wrong size or with an out-of-range label is rejected with ZN_BAD_DATA, naming the record size and
 * the total size that were expected.
 */
import { readFileSync } from 'node:fs';
import { ZeronasError } from '../../shared/errors.js';
import type { ImageDataset } from './dataset.js';

const PIXELS = 3 * 32 * 32;

export const CIFAR10_RECORD_BYTES = 1 + PIXELS;
export const CIFAR100_RECORD_BYTES = 2 + PIXELS;
const CIFAR10_OFFICIAL = 'data_batch_1..5.bin and test_batch.bin hold 10,000 records = 30,730,000 bytes each';
const CIFAR100_OFFICIAL = 'train.bin holds 50,000 records = 153,700,000 bytes, test.bin 10,000 records = 30,740,000 bytes';

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

export interface CifarFile {
  /** Shown in errors and recorded as the dataset source. */
  name: string;
  bytes: Uint8Array;
}

export interface Cifar100Options {
  /** Which label to use as the class: 'fine' (100 classes, the NB201 setting) or 'coarse' (20). Default 'fine'. */
  labels?: 'fine' | 'coarse';
}

/** Parses one or more CIFAR-10 binary files (concatenated in the order given). */
export function parseCifar10(files: CifarFile | readonly CifarFile[]): ImageDataset {
  const list = Array.isArray(files) ? (files as readonly CifarFile[]) : [files as CifarFile];
  const counts = list.map((f) => recordCount(f, 'CIFAR-10', CIFAR10_RECORD_BYTES, '1 label byte + 3072 pixel bytes', CIFAR10_OFFICIAL));
  const total = counts.reduce((a, b) => a + b, 0);
  const pixels = new Uint8Array(total * PIXELS);
  const labels = new Int32Array(total);
  let n = 0;
  for (const f of list) {
    const records = f.bytes.length / CIFAR10_RECORD_BYTES;
    for (let r = 0; r < records; r++, n++) {
      const at = r * CIFAR10_RECORD_BYTES;
      const label = f.bytes[at]!;
      if (label > 9) throw badLabel(f, 'CIFAR-10', r, label, 'label', 9);
      labels[n] = label;
      pixels.set(f.bytes.subarray(at + 1, at + CIFAR10_RECORD_BYTES), n * PIXELS);
    }
  }
  return {
    name: 'cifar10',
    source: list.map((f) => f.name).join(', '),
    count: total,
    channels: 3,
    height: 32,
    width: 32,
    pixels,
    labels,
    numClasses: 10,
    classNames: CIFAR10_CLASSES,
    normalization: 'cifar10',
  };
}

/** Parses one or more CIFAR-100 binary files; `coarseLabels` is kept alongside the chosen labels. */
export function parseCifar100(
  files: CifarFile | readonly CifarFile[],
  options: Cifar100Options = {},
): ImageDataset & { coarseLabels: Int32Array; fineLabels: Int32Array } {
  const which = options.labels ?? 'fine';
  const list = Array.isArray(files) ? (files as readonly CifarFile[]) : [files as CifarFile];
  const counts = list.map((f) =>
    recordCount(
      f,
      'CIFAR-100',
      CIFAR100_RECORD_BYTES,
      '1 coarse label byte + 1 fine label byte + 3072 pixel bytes',
      CIFAR100_OFFICIAL,
    ),
  );
  const total = counts.reduce((a, b) => a + b, 0);
  const pixels = new Uint8Array(total * PIXELS);
  const coarse = new Int32Array(total);
  const fine = new Int32Array(total);
  let n = 0;
  for (const f of list) {
    const records = f.bytes.length / CIFAR100_RECORD_BYTES;
    for (let r = 0; r < records; r++, n++) {
      const at = r * CIFAR100_RECORD_BYTES;
      const c = f.bytes[at]!;
      const fi = f.bytes[at + 1]!;
      if (c > 19) throw badLabel(f, 'CIFAR-100', r, c, 'coarse label', 19);
      if (fi > 99) throw badLabel(f, 'CIFAR-100', r, fi, 'fine label', 99);
      coarse[n] = c;
      fine[n] = fi;
      pixels.set(f.bytes.subarray(at + 2, at + CIFAR100_RECORD_BYTES), n * PIXELS);
    }
  }
  return {
    name: which === 'fine' ? 'cifar100' : 'cifar100-coarse',
    source: list.map((f) => f.name).join(', '),
    count: total,
    channels: 3,
    height: 32,
    width: 32,
    pixels,
    labels: which === 'fine' ? fine : coarse,
    numClasses: which === 'fine' ? 100 : 20,
    normalization: 'cifar100',
    coarseLabels: coarse,
    fineLabels: fine,
  };
}

export function readCifar10(paths: string | readonly string[]): ImageDataset {
  return parseCifar10(readFiles(paths));
}

export function readCifar100(paths: string | readonly string[], options: Cifar100Options = {}): ReturnType<typeof parseCifar100> {
  return parseCifar100(readFiles(paths), options);
}

function readFiles(paths: string | readonly string[]): CifarFile[] {
  const list = typeof paths === 'string' ? [paths] : [...paths];
  if (list.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', 'no CIFAR files given; pass at least one .bin path');
  return list.map((path) => {
    try {
      return { name: path, bytes: new Uint8Array(readFileSync(path)) };
    } catch (err) {
      throw new ZeronasError('ZN_IO', `cannot read CIFAR file '${path}': ${(err as Error).message}`, { path }, err);
    }
  });
}

function recordCount(f: CifarFile, format: string, recordBytes: number, layout: string, official: string): number {
  const size = f.bytes.length;
  const expected = `a ${format} binary file is a whole number of ${recordBytes}-byte records (${layout}); ${official}`;
  const details = { file: f.name, sizeBytes: size, recordBytes, format };
  if (size === 0) throw new ZeronasError('ZN_BAD_DATA', `${format} file '${f.name}' is empty; ${expected}`, details);
  if (size % recordBytes !== 0) {
    const lower = Math.floor(size / recordBytes);
    throw new ZeronasError(
      'ZN_BAD_DATA',
      `${format} file '${f.name}' has ${size} bytes, which is not a multiple of ${recordBytes} ` +
        `(${lower} records would be ${lower * recordBytes} bytes, ${lower + 1} would be ${(lower + 1) * recordBytes}); ` +
        `${expected}.${formatHint(f.bytes, format)}`,
      details,
    );
  }
  return size / recordBytes;
}

function badLabel(f: CifarFile, format: string, record: number, value: number, what: string, max: number): ZeronasError {
  return new ZeronasError(
    'ZN_BAD_DATA',
    `${format} file '${f.name}' record ${record} has ${what} ${value}, expected 0..${max}; ` +
      `this is not a ${format} binary file.${formatHint(f.bytes, format)}`,
    { file: f.name, record, label: value },
  );
}

/** Recognises files people commonly pass by mistake and says what to do instead. */
function formatHint(bytes: Uint8Array, format: string): string {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return ' It looks gzip-compressed: extract the .tar.gz first and pass the .bin files.';
  if (bytes[0] === 0x80 && bytes[1] !== undefined && bytes[1] >= 2 && bytes[1] <= 5) {
    return ' It looks like a Python pickle (the "python version" of CIFAR); download the "binary version" instead.';
  }
  if (format === 'CIFAR-10' && bytes.length % CIFAR100_RECORD_BYTES === 0) {
    return ` Its size is a multiple of ${CIFAR100_RECORD_BYTES}: is it a CIFAR-100 file?`;
  }
  if (format === 'CIFAR-100' && bytes.length % CIFAR10_RECORD_BYTES === 0) {
    return ` Its size is a multiple of ${CIFAR10_RECORD_BYTES}: is it a CIFAR-10 file?`;
  }
  return '';
}

import { describe, expect, it } from 'vitest';
import { ZeronasError } from '../../../../shared/errors.js';
import {
  CIFAR100_RECORD_BYTES,
  CIFAR10_RECORD_BYTES,
  DEFAULT_DATASET_PATH,
  parseCifar10,
  parseCifar100,
  readCifar10,
} from '../../../../host/data/index.js';

/** n CIFAR-10 records; record r has label labels[r] and every pixel byte of channel c equal to (r + c) % 256. */
function cifar10Bytes(labels: number[]): Uint8Array {
  const out = new Uint8Array(labels.length * CIFAR10_RECORD_BYTES);
  labels.forEach((label, r) => {
    const at = r * CIFAR10_RECORD_BYTES;
    out[at] = label;
    for (let c = 0; c < 3; c++) out.fill((r + c) % 256, at + 1 + c * 1024, at + 1 + (c + 1) * 1024);
  });
  return out;
}

function expectZn(fn: () => unknown, code: string, ...fragments: string[]): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ZeronasError);
    expect((err as ZeronasError).code).toBe(code);
    for (const f of fragments) expect((err as Error).message).toContain(f);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('CIFAR-10 binary reader', () => {
  it('reads the shipped 512-image sample (first labels 6,9,9,4,1,1,2,7,8,3 as in data_batch_1)', () => {
    const ds = readCifar10(DEFAULT_DATASET_PATH);
    expect(ds.count).toBe(512);
    expect([ds.channels, ds.height, ds.width]).toEqual([3, 32, 32]);
    expect(Array.from(ds.labels.subarray(0, 10))).toEqual([6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    expect(ds.pixels.length).toBe(512 * 3072);
    expect(ds.normalization).toBe('cifar10');
    expect(ds.numClasses).toBe(10);
  });

  it('keeps the planar R, G, B layout and concatenates several files in order', () => {
    const ds = parseCifar10([
      { name: 'a.bin', bytes: cifar10Bytes([3, 7]) },
      { name: 'b.bin', bytes: cifar10Bytes([9]) },
    ]);
    expect(ds.count).toBe(3);
    expect(Array.from(ds.labels)).toEqual([3, 7, 9]);
    expect(ds.pixels[0]).toBe(0); // record 0, R
    expect(ds.pixels[1024]).toBe(1); // record 0, G
    expect(ds.pixels[3072 + 2048]).toBe(3); // record 1, B
    expect(ds.pixels[2 * 3072]).toBe(0); // file b, record 0, R
    expect(ds.source).toBe('a.bin, b.bin');
  });

  it('rejects a 3000-byte file (ZN_BAD_DATA naming record size 3073 and the official 30,730,000-byte size)', () => {
    expectZn(() => parseCifar10({ name: 'short.bin', bytes: new Uint8Array(3000) }), 'ZN_BAD_DATA', 'short.bin', '3000 bytes', '3073', '30,730,000');
  });

  it('rejects an empty file (ZN_BAD_DATA)', () => {
    expectZn(() => parseCifar10({ name: 'empty.bin', bytes: new Uint8Array(0) }), 'ZN_BAD_DATA', "'empty.bin' is empty", '3073');
  });

  it('rejects label 10 in record 1 (ZN_BAD_DATA naming the record and the label)', () => {
    expectZn(() => parseCifar10({ name: 'x.bin', bytes: cifar10Bytes([1, 10]) }), 'ZN_BAD_DATA', 'record 1', 'label 10', '0..9');
  });

  it('rejects a CIFAR-100 file given as CIFAR-10 and says so', () => {
    expectZn(
      () => parseCifar10({ name: 'c100.bin', bytes: new Uint8Array(3 * CIFAR100_RECORD_BYTES) }),
      'ZN_BAD_DATA',
      'not a multiple of 3073',
      'is it a CIFAR-100 file?',
    );
  });

  it('rejects a gzip archive with a hint to extract it', () => {
    const bytes = new Uint8Array(100);
    bytes[0] = 0x1f;
    bytes[1] = 0x8b;
    expectZn(() => parseCifar10({ name: 'cifar-10-binary.tar.gz', bytes }), 'ZN_BAD_DATA', 'gzip');
  });

  it('reports a missing file as ZN_IO naming the path', () => {
    expectZn(() => readCifar10('/nonexistent/data_batch_1.bin'), 'ZN_IO', '/nonexistent/data_batch_1.bin');
  });
});

describe('CIFAR-100 binary reader', () => {
  const bytes = new Uint8Array(2 * CIFAR100_RECORD_BYTES);
  bytes[0] = 4; // coarse
  bytes[1] = 57; // fine
  bytes[2] = 200; // first R pixel
  bytes[CIFAR100_RECORD_BYTES] = 19;
  bytes[CIFAR100_RECORD_BYTES + 1] = 99;

  it('uses fine labels (100 classes) by default and keeps the coarse ones', () => {
    const ds = parseCifar100({ name: 't.bin', bytes });
    expect(ds.count).toBe(2);
    expect(Array.from(ds.labels)).toEqual([57, 99]);
    expect(Array.from(ds.coarseLabels)).toEqual([4, 19]);
    expect(ds.numClasses).toBe(100);
    expect(ds.pixels[0]).toBe(200);
    expect(ds.normalization).toBe('cifar100');
  });

  it('uses coarse labels (20 classes) on request', () => {
    const ds = parseCifar100({ name: 't.bin', bytes }, { labels: 'coarse' });
    expect(Array.from(ds.labels)).toEqual([4, 19]);
    expect(ds.numClasses).toBe(20);
  });

  it('rejects a CIFAR-10-sized file (ZN_BAD_DATA naming record size 3074 and 153,700,000-byte train.bin)', () => {
    expectZn(
      () => parseCifar100({ name: 'c10.bin', bytes: new Uint8Array(2 * CIFAR10_RECORD_BYTES) }),
      'ZN_BAD_DATA',
      '3074',
      '153,700,000',
      'is it a CIFAR-10 file?',
    );
  });

  it('rejects fine label 100 (ZN_BAD_DATA)', () => {
    const bad = bytes.slice();
    bad[1] = 100;
    expectZn(() => parseCifar100({ name: 'bad.bin', bytes: bad }), 'ZN_BAD_DATA', 'record 0', 'fine label 100', '0..99');
  });
});

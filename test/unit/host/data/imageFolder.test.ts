import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ZeronasError } from '../../../../shared/errors.js';
import { DEFAULT_DATASET_PATH, openDataset, readImageFolder } from '../../../../host/data/index.js';

const root = mkdtempSync(join(tmpdir(), 'zeronas-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function writePng(path: string, width: number, height: number, rgb: [number, number, number]): void {
  const png = new pngjs.PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
  writeFileSync(path, pngjs.PNG.sync.write(png));
}

function folder(name: string, layout: Record<string, [number, number][]>): string {
  const dir = join(root, name);
  for (const [cls, sizes] of Object.entries(layout)) {
    mkdirSync(join(dir, cls), { recursive: true });
    sizes.forEach(([w, h], i) => writePng(join(dir, cls, `img${i}.png`), w, h, [10 * i, 100, 200]));
  }
  return dir;
}

function caught(fn: () => unknown): ZeronasError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ZeronasError);
    return err as ZeronasError;
  }
  throw new Error('expected a throw');
}

describe('image folder reader', () => {
  it('reads <root>/<class>/*.png with classes sorted by name and planar RGB pixels', () => {
    const dir = folder('ok', { zebra: [[4, 3]], ant: [[4, 3], [4, 3]] });
    const ds = readImageFolder(dir, { normalization: 'imagenet16' });
    expect(ds.classNames).toEqual(['ant', 'zebra']);
    expect(Array.from(ds.labels)).toEqual([0, 0, 1]);
    expect([ds.count, ds.channels, ds.height, ds.width]).toEqual([3, 3, 3, 4]);
    expect(ds.pixels[0]).toBe(0); // image 0 = ant/img0.png, R plane (4x3 = 12 pixels per plane)
    expect(ds.pixels[36]).toBe(10); // ant/img1.png R
    expect(ds.pixels[36 + 12]).toBe(100); // G plane
    expect(ds.pixels[36 + 24]).toBe(200); // B plane
    expect(ds.normalization).toBe('imagenet16');
  });

  it('rejects a 5x3 image among 4x3 ones (ZN_BAD_DATA naming the file and both sizes)', () => {
    const dir = folder('mixed', { a: [[4, 3]], b: [[5, 3]] });
    const err = caught(() => readImageFolder(dir, { normalization: 'cifar10' }));
    expect(err.code).toBe('ZN_BAD_DATA');
    expect(err.message).toContain(join('b', 'img0.png'));
    expect(err.message).toContain('is 5x3');
    expect(err.message).toContain('expected 4x3');
  });

  it('rejects images that differ from a required 32x32 size (ZN_BAD_DATA)', () => {
    const dir = folder('small', { a: [[4, 3]] });
    const err = caught(() => readImageFolder(dir, { normalization: 'cifar10', size: { height: 32, width: 32 } }));
    expect(err.code).toBe('ZN_BAD_DATA');
    expect(err.message).toContain('expected 32x32, the required size');
  });

  it('rejects a folder without class subfolders (ZN_BAD_DATA)', () => {
    const dir = join(root, 'flat');
    mkdirSync(dir);
    writePng(join(dir, 'x.png'), 2, 2, [0, 0, 0]);
    const err = caught(() => readImageFolder(dir, { normalization: 'cifar10' }));
    expect(err.code).toBe('ZN_BAD_DATA');
    expect(err.message).toContain('no class subfolders');
  });

  it('rejects a file that is not a PNG (ZN_BAD_DATA naming it)', () => {
    const dir = join(root, 'corrupt');
    mkdirSync(join(dir, 'a'), { recursive: true });
    writeFileSync(join(dir, 'a', 'bad.png'), 'not a png');
    const err = caught(() => readImageFolder(dir, { normalization: 'cifar10' }));
    expect(err.code).toBe('ZN_BAD_DATA');
    expect(err.message).toContain('bad.png');
  });
});

describe('openDataset', () => {
  it('opens the shipped CIFAR-10 sample when no path is given', () => {
    const ds = openDataset();
    expect(ds.source).toBe(DEFAULT_DATASET_PATH);
    expect(ds.count).toBe(512);
  });

  it('detects an image folder and requires a normalisation preset for it (ZN_BAD_ARGUMENT)', () => {
    const dir = folder('detect', { a: [[2, 2]] });
    const err = caught(() => openDataset({ path: dir }));
    expect(err.code).toBe('ZN_BAD_ARGUMENT');
    expect(err.message).toContain('needs a normalisation preset');
    expect(openDataset({ path: dir, normalization: 'cifar100' }).count).toBe(1);
  });

  it('rejects a file whose size fits neither CIFAR format (ZN_BAD_DATA naming 3073 and 3074)', () => {
    const path = join(root, 'odd.bin');
    writeFileSync(path, new Uint8Array(1000));
    const err = caught(() => openDataset({ path }));
    expect(err.code).toBe('ZN_BAD_DATA');
    expect(err.message).toMatch(/1000 bytes.*3073.*3074/);
  });
});

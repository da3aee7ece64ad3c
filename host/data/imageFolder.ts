/**
 * A plain image folder: `<root>/<class>/*.png`, one subfolder per class. As torchvision's ImageFolder does, classes
 * are the subfolder names sorted by code point and label i is the i-th class; files are read in sorted order.
 * Images are not resized: every image must have the same size (the one given, or else the first image's), and a
 * mismatch is rejected with ZN_BAD_DATA naming the file. Colour images keep RGB (alpha is dropped); grey images
 * are expanded to three equal channels by pngjs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { ZeronasError } from '../../shared/errors.js';
import type { ImageDataset } from './dataset.js';
import type { NormalizationPreset } from './normalization.js';

export interface ImageFolderOptions {
  /** Required image size; by default the size of the first image read. */
  size?: { height: number; width: number };
  /** The normalisation the images need (ALGORITHMS.md §0.5); a folder does not say which dataset it is. */
  normalization: NormalizationPreset;
  /** Dataset name for logs and records; default 'folder'. */
  name?: string;
}

export function readImageFolder(root: string, options: ImageFolderOptions): ImageDataset {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot read image folder '${root}': ${(err as Error).message}`, { path: root }, err);
  }
  const classes = entries.filter((e) => !e.startsWith('.') && statSync(join(root, e)).isDirectory()).sort();
  if (classes.length === 0) {
    throw new ZeronasError(
      'ZN_BAD_DATA',
      `image folder '${root}' has no class subfolders; expected '${root}/<class>/*.png' with one subfolder per class`,
      { path: root },
    );
  }
  const files: { path: string; label: number }[] = [];
  classes.forEach((cls, label) => {
    const dir = join(root, cls);
    const pngs = readdirSync(dir)
      .filter((f) => !f.startsWith('.') && f.toLowerCase().endsWith('.png'))
      .sort();
    if (pngs.length === 0) {
      throw new ZeronasError('ZN_BAD_DATA', `class folder '${dir}' holds no .png files; every class needs at least one image`, {
        path: dir,
      });
    }
    for (const f of pngs) files.push({ path: join(dir, f), label });
  });

  let height = options.size?.height;
  let width = options.size?.width;
  let pixels: Uint8Array | undefined;
  const labels = new Int32Array(files.length);
  files.forEach(({ path, label }, n) => {
    const png = decodePng(path);
    if (height === undefined || width === undefined) {
      height = png.height;
      width = png.width;
    }
    if (png.height !== height || png.width !== width) {
      const whence = options.size ? 'the required size' : `the size of the first image ('${files[0]!.path}')`;
      throw new ZeronasError(
        'ZN_BAD_DATA',
        `image '${path}' is ${png.width}x${png.height} (width x height), expected ${width}x${height}, ${whence}; ` +
          'zeronas does not resize images: resize them beforehand',
        { file: path, width: png.width, height: png.height, expectedWidth: width, expectedHeight: height },
      );
    }
    pixels ??= new Uint8Array(files.length * 3 * height * width);
    const plane = height * width;
    const base = n * 3 * plane;
    for (let i = 0; i < plane; i++) {
      pixels[base + i] = png.data[4 * i]!;
      pixels[base + plane + i] = png.data[4 * i + 1]!;
      pixels[base + 2 * plane + i] = png.data[4 * i + 2]!;
    }
    labels[n] = label;
  });
  return {
    name: options.name ?? 'folder',
    source: root,
    count: files.length,
    channels: 3,
    height: height!,
    width: width!,
    pixels: pixels!,
    labels,
    numClasses: classes.length,
    classNames: classes,
    normalization: options.normalization,
  };
}

function decodePng(path: string): { width: number; height: number; data: Uint8Array } {
  try {
    // pngjs always returns 8-bit RGBA: palette, grey and 16-bit images are converted.
    return pngjs.PNG.sync.read(readFileSync(path));
  } catch (err) {
    throw new ZeronasError('ZN_BAD_DATA', `cannot decode '${path}' as PNG: ${(err as Error).message}`, { file: path }, err);
  }
}

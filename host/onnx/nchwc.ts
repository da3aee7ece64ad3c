/**
 * onnxruntime's blocked-channel ("NCHWc") convolution, emitted directly. At graph optimisation level 'all', ORT
 * rewrites every eligible Conv into ReorderInput -> com.microsoft.nchwc Conv -> ReorderOutput on its own, but that
 * rewrite (and the level-1/2 passes it needs) costs ~80 ms per session on a typical ZiCo training graph. A training
 * graph that already holds the blocked convs runs the same kernels with optimisation disabled.
 *
 * Layouts (MLAS): an NCHWc tensor [N, C, H, W] is stored as [N, C/B, H, W, B]; conv filters for blocked inputs as
 * OIHWBiBo [O/B, I/B, kh, kw, B(i), B(o)], and for plain NCHW inputs (fewer than B input channels, e.g. an RGB stem)
 * as OIHWBo [O/B, I, kh, kw, B(o)]. B is the CPU's block size (16 with AVX-512, 8 with AVX2); see nchwcBlockSize.
 */

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/** W [O, I, kh, kw] (O and I multiples of B) -> OIHWBiBo. */
export function reorderFilterOIHWBiBo(w: Float32Array, o: number, i: number, kk: number, block: number): Float32Array {
  const out = new Float32Array(w.length);
  const ib = i / block;
  for (let oo = 0; oo < o; oo++) {
    const ob = Math.floor(oo / block);
    const bo = oo % block;
    for (let ii = 0; ii < i; ii++) {
      const base = (ob * ib + Math.floor(ii / block)) * kk;
      const bi = ii % block;
      for (let t = 0; t < kk; t++) out[((base + t) * block + bi) * block + bo] = w[(oo * i + ii) * kk + t]!;
    }
  }
  return out;
}

/** W [O, I, kh, kw] (O a multiple of B) -> OIHWBo. */
export function reorderFilterOIHWBo(w: Float32Array, o: number, i: number, kk: number, block: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let oo = 0; oo < o; oo++) {
    const ob = Math.floor(oo / block);
    const bo = oo % block;
    for (let ii = 0; ii < i; ii++) {
      for (let t = 0; t < kk; t++) out[((ob * i + ii) * kk + t) * block + bo] = w[(oo * i + ii) * kk + t]!;
    }
  }
  return out;
}

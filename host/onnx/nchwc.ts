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

/** W [O, I, kh, kw] (O and I multiples of B) -> OIHWBiBo. Writes the output in order (export-time hot loop). */
export function reorderFilterOIHWBiBo(w: Float32Array, o: number, i: number, kk: number, block: number): Float32Array {
  const out = new Float32Array(w.length);
  const oStride = i * kk; // source distance between consecutive output channels
  let d = 0;
  for (let ob = 0; ob < o / block; ob++) {
    for (let ib = 0; ib < i / block; ib++) {
      for (let t = 0; t < kk; t++) {
        for (let bi = 0; bi < block; bi++) {
          let src = ob * block * oStride + (ib * block + bi) * kk + t;
          for (let bo = 0; bo < block; bo++, src += oStride) out[d++] = w[src]!;
        }
      }
    }
  }
  return out;
}

/** W [O, I, kh, kw] (O a multiple of B) -> OIHWBo. */
export function reorderFilterOIHWBo(w: Float32Array, o: number, i: number, kk: number, block: number): Float32Array {
  const out = new Float32Array(w.length);
  const oStride = i * kk;
  let d = 0;
  for (let ob = 0; ob < o / block; ob++) {
    for (let ii = 0; ii < i; ii++) {
      for (let t = 0; t < kk; t++) {
        let src = ob * block * oStride + ii * kk + t;
        for (let bo = 0; bo < block; bo++, src += oStride) out[d++] = w[src]!;
      }
    }
  }
  return out;
}

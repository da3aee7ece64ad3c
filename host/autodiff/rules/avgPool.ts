import type { OpRule } from '../rule.js';

/**
 * y = Σ_window x / count, count = k² (countIncludePad) or the number of real pixels in the window. With z = dy/count
 * (the border count map is a build-time constant [1,1,Ho,Wo]), each output spreads its share back over its window:
 *  - stride 1 with "same" padding (2p = k−1, the NAS-Bench-201 cell pool): the windows are symmetric, so
 *    dx = Σ_{|t|≤p} z[i+t] = k² · AveragePool(z, count_include_pad) — a plain pool, 5× faster than the depthwise
 *    ConvTranspose on a [64,16,32,32] tensor (scripts/bench/trainingGraph.ts profile);
 *  - otherwise dx = ConvTranspose(z, ones[C,1,k,k], group C, same stride/padding) with
 *    output_padding = H − ((Ho−1)s − 2p + k).
 */
export const avgPoolRule: OpRule<'avgPool'> = {
  forward: (ctx) => {
    const a = ctx.node.attrs;
    const extra = { count_include_pad: a.countIncludePad ? 1 : 0 };
    return { output: ctx.g.pool('AveragePool', ctx.inputs[0]!, a, extra, ctx.outputName) };
  },
  backward: (ctx) => {
    if (!ctx.needsInput[0]) return { inputs: [null] };
    const { g } = ctx;
    const a = ctx.node.attrs;
    const [, c, h, w] = ctx.inputShapes[0]! as [number, number, number, number];
    const [, , ho, wo] = ctx.outputShape as [number, number, number, number];
    let inv: string;
    if (a.countIncludePad) inv = g.constF([1 / (a.kernel * a.kernel)]);
    else {
      const map = new Float32Array(ho * wo);
      const real = (o: number, size: number): number => {
        const lo = o * a.stride - a.padding;
        return Math.min(lo + a.kernel, size) - Math.max(lo, 0);
      };
      for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) map[i * wo + j] = 1 / (real(i, h) * real(j, w));
      inv = g.constF(Array.from(map), [1, 1, ho, wo]);
    }
    const z = g.mul(ctx.dy, inv);
    const k = a.kernel;
    if (a.stride === 1 && 2 * a.padding === k - 1) {
      const sumPool = g.pool('AveragePool', z, { kernel: k, stride: 1, padding: a.padding }, { count_include_pad: 1 });
      return { inputs: [g.mul(sumPool, g.constF([k * k]))] };
    }
    const ones = g.constF(new Array<number>(c * a.kernel * a.kernel).fill(1), [c, 1, a.kernel, a.kernel]);
    const conv = { kernel: a.kernel, stride: a.stride, padding: a.padding, dilation: 1, groups: c };
    const outputPadding = h - ((ho - 1) * a.stride - 2 * a.padding + a.kernel);
    return { inputs: [g.convTranspose(z, ones, conv, outputPadding)] };
  },
};

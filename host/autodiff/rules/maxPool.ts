import type { OpRule } from '../rule.js';

/**
 * y = max over the window (padding never wins). dx scatters dy back to the arg-max positions that MaxPool reports
 * as flat NCHW indices, adding where overlapping windows pick the same pixel (ScatterElements, reduction 'add').
 */
export const maxPoolRule: OpRule<'maxPool'> = {
  forward: (ctx) => {
    const [y, indices] = ctx.g.maxPoolWithIndices(ctx.inputs[0]!, ctx.node.attrs, ctx.outputName);
    return { output: y, saved: { indices } };
  },
  backward: (ctx) => {
    if (!ctx.needsInput[0]) return { inputs: [null] };
    const { g } = ctx;
    const xs = ctx.inputShapes[0]!;
    const total = xs.reduce((a, b) => a * b, 1);
    const outTotal = ctx.outputShape.reduce((a, b) => a * b, 1);
    const flat = g.scatterAdd(g.zeros([total]), g.reshape(ctx.saved.indices!, [outTotal]), g.reshape(ctx.dy, [outTotal]));
    return { inputs: [g.reshape(flat, xs)] };
  },
};

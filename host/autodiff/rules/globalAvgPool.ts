import type { OpRule } from '../rule.js';

/** y[n,c] = mean_{h,w} x[n,c,h,w]; dx = broadcast(dy / (H·W)). */
export const globalAvgPoolRule: OpRule<'globalAvgPool'> = {
  forward: (ctx) => ({ output: ctx.g.globalAvgPool(ctx.inputs[0]!, ctx.outputName) }),
  backward: (ctx) => {
    if (!ctx.needsInput[0]) return { inputs: [null] };
    const { g } = ctx;
    const s = ctx.inputShapes[0]!;
    const scaled = g.mul(ctx.dy, g.constF([1 / (s[2]! * s[3]!)]));
    return { inputs: [g.expand(scaled, s)] };
  },
};

import type { OpRule } from '../rule.js';

/** y = min(max(x, 0), 6); dx = dy where 0 < x < 6, else 0 (PyTorch's hardtanh_backward). */
export const relu6Rule: OpRule<'relu6'> = {
  forward: (ctx) => ({ output: ctx.g.clip(ctx.inputs[0]!, 0, 6, ctx.outputName) }),
  backward: (ctx) => {
    if (!ctx.needsInput[0]) return { inputs: [null] };
    const { g } = ctx;
    const x = ctx.inputs[0]!;
    const zero = g.constF([0]);
    const inside = g.binary('And', g.binary('Greater', x, zero), g.binary('Less', x, g.constF([6])));
    return { inputs: [g.where(inside, ctx.dy, zero)] };
  },
};

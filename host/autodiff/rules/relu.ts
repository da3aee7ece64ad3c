import type { OpRule } from '../rule.js';

/** y = max(x, 0); dx = dy where y > 0, else 0 (PyTorch's threshold_backward on the output). */
export const reluRule: OpRule<'relu'> = {
  forward: (ctx) => ({ output: ctx.g.unary('Relu', ctx.inputs[0]!, {}, ctx.outputName) }),
  backward: (ctx) => {
    if (!ctx.needsInput[0]) return { inputs: [null] };
    const { g } = ctx;
    const zero = g.constF([0]);
    return { inputs: [g.where(g.binary('Greater', ctx.output, zero), ctx.dy, zero)] };
  },
};

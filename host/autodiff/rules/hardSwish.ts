import type { OpRule } from '../rule.js';

/**
 * y = x · relu6(x + 3) / 6. dx = dy · f(x) with f = 0 for x < −3, x/3 + 1/2 for −3 ≤ x ≤ 3, 1 above
 * (PyTorch's hardswish_backward, including its choice of one-sided slopes at the kinks).
 */
export const hardSwishRule: OpRule<'hardSwish'> = {
  forward: (ctx) => ({ output: ctx.g.unary('HardSwish', ctx.inputs[0]!, {}, ctx.outputName) }),
  backward: (ctx) => {
    if (!ctx.needsInput[0]) return { inputs: [null] };
    const { g } = ctx;
    const x = ctx.inputs[0]!;
    const middle = g.add(g.mul(x, g.constF([1 / 3])), g.constF([0.5]));
    const upper = g.where(g.binary('LessOrEqual', x, g.constF([3])), middle, g.constF([1]));
    const factor = g.where(g.binary('Less', x, g.constF([-3])), g.constF([0]), upper);
    return { inputs: [g.mul(ctx.dy, factor)] };
  },
};

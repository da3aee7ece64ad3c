import type { OpRule } from '../rule.js';

/** y = x Wᵀ + b (Gemm). dx = dy W; dW = dyᵀ x; db = Σ_n dy. */
export const linearRule: OpRule<'linear'> = {
  forward: (ctx) => {
    const b = ctx.node.attrs.bias ? ctx.param('bias') : undefined;
    return { output: ctx.g.gemm(ctx.inputs[0]!, ctx.param('weight'), b, false, true, ctx.outputName) };
  },
  backward: (ctx) => {
    const { g } = ctx;
    const params: Record<string, string> = {};
    if (ctx.needsParam('weight')) params.weight = g.gemm(ctx.dy, ctx.inputs[0]!, undefined, true, false);
    if (ctx.node.attrs.bias && ctx.needsParam('bias')) params.bias = g.reduceSum(ctx.dy, [0], false);
    return { inputs: [ctx.needsInput[0] ? g.matmul(ctx.dy, ctx.param('weight')) : null], params };
  },
};

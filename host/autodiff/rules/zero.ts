import type { OpRule } from '../rule.js';

/**
 * y = x[:, :, ::s, ::s] · 0, emitted as a constant zero tensor (equal for finite x, which is all we feed).
 * dx = 0: reported as a structural zero (null), so nothing upstream is built for it and convs reached only through
 * `none` edges get exact-zero gradients, as in PyTorch.
 */
export const zeroRule: OpRule<'zero'> = {
  forward: (ctx) => ({ output: ctx.g.zeros(ctx.outputShape, ctx.outputName) }),
  backward: () => ({ inputs: [null] }),
};

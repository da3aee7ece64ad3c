import type { OpRule } from '../rule.js';
import { onlyNeeded } from '../rule.js';

/**
 * y = Σ_i x_i (same shapes, Add or Sum); dx_i = dy. Structural zeros (the outputs of `none` edges) are left out of
 * the sum: an NB201 node fed by `none` edges then reads nothing it does not need, and the zero tensors are never
 * materialised (for finite inputs, x + 0 = x exactly).
 */
export const addRule: OpRule<'add'> = {
  forward: (ctx) => {
    const live = ctx.inputs.filter((x) => !ctx.g.isZeros(x));
    // One live input: y is that tensor (aliased, as identity does; no Identity node to create and run).
    if (live.length === 1) return { output: live[0]! };
    return { output: live.length ? ctx.g.sum(live, ctx.outputName) : ctx.g.zeros(ctx.outputShape, ctx.outputName) };
  },
  backward: (ctx) => ({ inputs: onlyNeeded(ctx, () => ctx.dy) }),
};

import type { OpRule } from '../rule.js';
import { onlyNeeded } from '../rule.js';

/** y = Σ_i x_i (same shapes, Add or Sum); dx_i = dy. */
export const addRule: OpRule<'add'> = {
  forward: (ctx) => ({ output: ctx.g.sum([...ctx.inputs], ctx.outputName) }),
  backward: (ctx) => ({ inputs: onlyNeeded(ctx, () => ctx.dy) }),
};

import type { OpRule } from '../rule.js';
import { onlyNeeded } from '../rule.js';

/** y = concat_channels(x_1..x_n); dx_i = dy[:, c_i : c_i + C_i] (one Split). */
export const concatRule: OpRule<'concat'> = {
  forward: (ctx) => ({ output: ctx.g.concat([...ctx.inputs], 1, ctx.outputName) }),
  backward: (ctx) => {
    if (ctx.inputs.length === 1) return { inputs: onlyNeeded(ctx, () => ctx.dy) };
    const parts = ctx.g.split(ctx.dy, 1, ctx.inputShapes.map((s) => s[1]!));
    return { inputs: onlyNeeded(ctx, (i) => parts[i]!) };
  },
};

import type { OpRule } from '../rule.js';

/** y = reshape(x, [N, −1]); dx = reshape(dy, shape(x)). */
export const flattenRule: OpRule<'flatten'> = {
  forward: (ctx) => ({ output: ctx.g.reshape(ctx.inputs[0]!, ctx.outputShape, ctx.outputName) }),
  backward: (ctx) => ({ inputs: [ctx.needsInput[0] ? ctx.g.reshape(ctx.dy, ctx.inputShapes[0]!) : null] }),
};

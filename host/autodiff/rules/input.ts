import { DataType } from '../emitter.js';
import type { OpRule } from '../rule.js';

/** The graph input: a float graph input [N, ...shape]; nothing to differentiate through. */
export const inputRule: OpRule<'input'> = {
  forward: (ctx) => ({ output: ctx.g.input(ctx.outputName, DataType.FLOAT, ctx.outputShape) }),
  backward: () => ({ inputs: [] }),
};

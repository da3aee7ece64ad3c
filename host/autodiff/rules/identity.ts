import type { OpRule } from '../rule.js';

/** y = x (aliased: no node is emitted); dx = dy. */
export const identityRule: OpRule<'identity'> = {
  forward: (ctx) => ({ output: ctx.inputs[0]! }),
  backward: (ctx) => ({ inputs: [ctx.needsInput[0] ? ctx.dy : null] }),
};

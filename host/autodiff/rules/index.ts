/**
 * The backward-rule registry: one rule per IR op type, as a typed object literal (STYLE.md §6.2). A missing op
 * is a compile error (`satisfies BackwardRuleTable`); TypeScript rejects a duplicate key.
 */
import type { BackwardRuleTable } from '../rule.js';
import { addRule } from './add.js';
import { avgPoolRule } from './avgPool.js';
import { batchNormRule } from './batchNorm.js';
import { concatRule } from './concat.js';
import { conv2dRule } from './conv2d.js';
import { flattenRule } from './flatten.js';
import { globalAvgPoolRule } from './globalAvgPool.js';
import { hardSwishRule } from './hardSwish.js';
import { identityRule } from './identity.js';
import { inputRule } from './input.js';
import { linearRule } from './linear.js';
import { maxPoolRule } from './maxPool.js';
import { reluRule } from './relu.js';
import { relu6Rule } from './relu6.js';
import { zeroRule } from './zero.js';

export const backwardRules = {
  input: inputRule,
  conv2d: conv2dRule,
  batchNorm: batchNormRule,
  relu: reluRule,
  relu6: relu6Rule,
  hardSwish: hardSwishRule,
  add: addRule,
  concat: concatRule,
  avgPool: avgPoolRule,
  maxPool: maxPoolRule,
  globalAvgPool: globalAvgPoolRule,
  flatten: flattenRule,
  linear: linearRule,
  identity: identityRule,
  zero: zeroRule,
} as const satisfies BackwardRuleTable;

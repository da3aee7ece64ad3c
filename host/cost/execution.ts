/**
 * Which nodes of an IR graph a runtime actually executes. A cost model must count what the device runs, not what
 * the architecture string names: NAS-Bench-201's `none` edge is `x * 0`, and a model converter may or may not
 * fold it, which in turn may or may not make whole branches dead code. Three hypotheses, each a graph pass:
 *
 *  - `all`:    every node runs, `zero` included as a Mul kernel (a runtime that folds nothing; onnxruntime's
 *              optimiser does not treat `x * 0` as a constant).
 *  - `live`:   only nodes that depend on the input and reach the output without passing through a `zero`
 *              (perfect dead-code elimination; for nb201 exactly the ops on `liveEdgesNb201` edges plus the
 *              fixed skeleton). A graph whose output does not depend on its input runs nothing (fully folded).
 *  - `folded`: the behaviour of the TFLite conversion used by HW-NAS-Bench (Pi 4, Pixel 3), found by testing the
 *              hypotheses against all 15,625 measured cells (see scripts/bench/costmodelHypotheses.md): `x * 0`
 *              becomes a constant; a merge (add) left with one non-constant term is a pass-through; an add of two
 *              or more non-constant terms whose result only feeds `x * 0` is removed with everything only it needs;
 *              but a single op result that only feeds `x * 0` is still computed (its output is kept by the Mul).
 *              A graph whose output does not depend on the input is folded to a constant and runs nothing.
 *
 * On HW-NAS-Bench's Raspberry Pi 4 column a 5-parameter linear model on kernel counts explains Spearman 0.977 of the
 * ranking under `folded`, 0.920 under `all`, 0.908 under `live` (in-sample, least squares).
 */
import type { Graph } from '../ir/graph.js';
import type { IrNode } from '../ir/ops.js';

export const EXECUTION_HYPOTHESES = ['all', 'live', 'folded'] as const;
export type ExecutionHypothesis = (typeof EXECUTION_HYPOTHESES)[number];

/** Ops that cost nothing at run time (views and copies a runtime elides). */
const FREE_OPS: ReadonlySet<IrNode['op']> = new Set(['input', 'identity', 'flatten']);

export interface ExecutionPlan {
  hypothesis: ExecutionHypothesis;
  /** Names of the nodes that run (inputs of the graph excluded). */
  executed: Set<string>;
  /** Nodes whose value is a constant under the hypothesis (`zero` and merges/copies of constants only). */
  constant: Set<string>;
  /** True when the graph output does not depend on its input at all. */
  isConstantOutput: boolean;
}

function consumersOf(graph: Graph): Map<string, IrNode[]> {
  const consumers = new Map<string, IrNode[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      const users = consumers.get(i);
      if (users) users.push(n);
      else consumers.set(i, [n]);
    }
  }
  return consumers;
}

/**
 * Shallow constants: `zero` nodes and adds/copies whose inputs are all shallow constants. Compute ops (conv, pool,
 * ReLU) on a constant are NOT constant here: the measured TFLite models still run a conv whose input is `x * 0`.
 */
function shallowConstants(graph: Graph): Set<string> {
  const constant = new Set<string>();
  for (const n of graph.nodes) {
    if (n.op === 'zero') constant.add(n.name);
    else if ((n.op === 'add' || n.op === 'identity' || n.op === 'flatten') && n.inputs.every((i) => constant.has(i))) {
      constant.add(n.name);
    }
  }
  return constant;
}

/** Nodes whose value does not depend on the graph input (full constant propagation from `zero`). */
function inputIndependent(graph: Graph): Set<string> {
  const independent = new Set<string>();
  for (const n of graph.nodes) {
    if (n.op === 'zero' || (n.op !== 'input' && n.inputs.length > 0 && n.inputs.every((i) => independent.has(i)))) {
      independent.add(n.name);
    }
  }
  return independent;
}

/** Marks `seeds` and everything they need, walking inputs but never through a `zero` node or into a constant. */
function neededFrom(graph: Graph, seeds: Iterable<string>, constant: Set<string>): Set<string> {
  const byName = new Map(graph.nodes.map((n) => [n.name, n] as const));
  const needed = new Set<string>();
  const stack = [...seeds];
  while (stack.length) {
    const name = stack.pop()!;
    if (needed.has(name) || constant.has(name)) continue;
    needed.add(name);
    const node = byName.get(name)!;
    if (node.op === 'zero') continue;
    for (const i of node.inputs) stack.push(i);
  }
  return needed;
}

/** The execution plan of `graph` under one hypothesis (see the file comment for the rules). */
export function executionPlan(graph: Graph, hypothesis: ExecutionHypothesis): ExecutionPlan {
  const independent = inputIndependent(graph);
  const isConstantOutput = independent.has(graph.output);
  const byName = new Map(graph.nodes.map((n) => [n.name, n] as const));
  const runs = (names: Iterable<string>): Set<string> =>
    new Set([...names].filter((n) => !FREE_OPS.has(byName.get(n)!.op) && byName.get(n)!.op !== 'input'));
  if (hypothesis === 'all') {
    return { hypothesis, executed: runs(graph.nodes.map((n) => n.name)), constant: new Set(), isConstantOutput };
  }
  const constant = shallowConstants(graph);
  if (isConstantOutput) return { hypothesis, executed: new Set(), constant, isConstantOutput };
  if (hypothesis === 'live') {
    const needed = neededFrom(graph, [graph.output], constant);
    return {
      hypothesis,
      executed: runs([...needed].filter((n) => !independent.has(n))),
      constant: new Set([...constant, ...independent]),
      isConstantOutput,
    };
  }
  // folded
  const consumers = consumersOf(graph);
  const nonConstantInputs = (n: IrNode): number => n.inputs.filter((i) => !constant.has(i)).length;
  const seeds = [graph.output];
  for (const n of graph.nodes) {
    if (n.op === 'input' || n.op === 'zero' || constant.has(n.name)) continue;
    const users = consumers.get(n.name) ?? [];
    const isEffectiveAdd = n.op === 'add' && nonConstantInputs(n) >= 2;
    if (users.length > 0 && users.every((u) => u.op === 'zero') && !isEffectiveAdd) seeds.push(n.name);
  }
  const needed = neededFrom(graph, seeds, constant);
  return { hypothesis, executed: runs([...needed].filter((n) => byName.get(n)!.op !== 'zero')), constant, isConstantOutput };
}

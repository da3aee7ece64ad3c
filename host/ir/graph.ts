import { ZeronasError } from '../../shared/errors.js';
import type { IrNode, Shape } from './ops.js';
import { inferShapes } from './shapeInference.js';

/** A typed DAG: nodes in topological order, one input node, one output tensor. */
export interface Graph {
  /** Human-readable model name (an arch string, say); also the ONNX graph name. */
  name: string;
  nodes: IrNode[];
  output: string;
  /** Free-form facts about where the graph came from (space, arch, dataset). */
  meta?: Record<string, string | number | boolean>;
}

export interface ValidatedGraph {
  graph: Graph;
  shapes: Map<string, Shape>;
  byName: Map<string, IrNode>;
}

/** Checks names, topological order and shapes; returns the shape of every tensor. */
export function validateGraph(graph: Graph): ValidatedGraph {
  const byName = new Map<string, IrNode>();
  let inputs = 0;
  for (const node of graph.nodes) {
    if (byName.has(node.name)) {
      throw new ZeronasError('ZN_BAD_GRAPH', `duplicate node name '${node.name}' in graph '${graph.name}'`, {
        node: node.name,
      });
    }
    for (const input of node.inputs) {
      if (!byName.has(input)) {
        throw new ZeronasError(
          'ZN_BAD_GRAPH',
          `node '${node.name}' reads '${input}', which is not produced by an earlier node`,
          { node: node.name, input },
        );
      }
    }
    if (node.op === 'input') inputs++;
    byName.set(node.name, node);
  }
  if (inputs !== 1) {
    throw new ZeronasError('ZN_BAD_GRAPH', `graph '${graph.name}' has ${inputs} input nodes, expected exactly 1`);
  }
  if (!byName.has(graph.output)) {
    throw new ZeronasError('ZN_BAD_GRAPH', `graph output '${graph.output}' is not a node of '${graph.name}'`);
  }
  const shapes = inferShapes(graph.nodes);
  return { graph, shapes, byName };
}

export function graphToJson(graph: Graph): string {
  return JSON.stringify(graph);
}

export function graphFromJson(text: string): Graph {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ZeronasError('ZN_BAD_GRAPH', `graph JSON does not parse: ${(err as Error).message}`);
  }
  const g = parsed as Graph;
  if (!g || typeof g !== 'object' || !Array.isArray(g.nodes) || typeof g.output !== 'string') {
    throw new ZeronasError('ZN_BAD_GRAPH', 'graph JSON must be an object with "nodes" (array) and "output" (string)');
  }
  validateGraph(g);
  return g;
}

/** The unique input node. */
export function inputNode(graph: Graph): Extract<IrNode, { op: 'input' }> {
  const node = graph.nodes.find((n) => n.op === 'input');
  if (!node || node.op !== 'input') throw new ZeronasError('ZN_BAD_GRAPH', `graph '${graph.name}' has no input node`);
  return node;
}

/** Names of nodes whose value can reach the output (others are dead code the runtime may skip). */
export function liveNodes(graph: Graph): Set<string> {
  const byName = new Map(graph.nodes.map((n) => [n.name, n] as const));
  const live = new Set<string>();
  const stack = [graph.output];
  while (stack.length) {
    const name = stack.pop()!;
    if (live.has(name)) continue;
    live.add(name);
    for (const input of byName.get(name)?.inputs ?? []) stack.push(input);
  }
  return live;
}

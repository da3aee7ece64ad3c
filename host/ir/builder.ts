import type {
  AvgPoolAttrs,
  BatchNormAttrs,
  Conv2dAttrs,
  IrNode,
  LinearAttrs,
  MaxPoolAttrs,
  Shape,
} from './ops.js';
import type { Graph } from './graph.js';
import { validateGraph } from './graph.js';

/**
 * Builds a graph node by node with PyTorch's defaults. Every method takes the node name explicitly: names are the
 * module paths of the reference model (`cells.3.edges.1<-0.op.1`), which makes parameter names deterministic and
 * equal to the reference state-dict keys.
 */
export class GraphBuilder {
  private readonly nodes: IrNode[] = [];
  constructor(private readonly graphName: string) {}

  private push(node: IrNode): string {
    this.nodes.push(node);
    return node.name;
  }

  input(shape: Shape, name = 'input'): string {
    return this.push({ name, op: 'input', inputs: [], attrs: { shape: [...shape] } });
  }

  conv2d(name: string, x: string, attrs: Pick<Conv2dAttrs, 'outChannels' | 'kernel'> & Partial<Conv2dAttrs>): string {
    const full: Conv2dAttrs = { stride: 1, padding: 0, dilation: 1, groups: 1, bias: true, ...attrs };
    return this.push({ name, op: 'conv2d', inputs: [x], attrs: full });
  }

  batchNorm(name: string, x: string, attrs: Partial<BatchNormAttrs> = {}): string {
    return this.push({ name, op: 'batchNorm', inputs: [x], attrs: { eps: 1e-5, momentum: 0.1, ...attrs } });
  }

  relu(name: string, x: string): string {
    return this.push({ name, op: 'relu', inputs: [x], attrs: {} });
  }

  relu6(name: string, x: string): string {
    return this.push({ name, op: 'relu6', inputs: [x], attrs: {} });
  }

  hardSwish(name: string, x: string): string {
    return this.push({ name, op: 'hardSwish', inputs: [x], attrs: {} });
  }

  add(name: string, xs: string[]): string {
    return this.push({ name, op: 'add', inputs: xs, attrs: {} });
  }

  concat(name: string, xs: string[]): string {
    return this.push({ name, op: 'concat', inputs: xs, attrs: {} });
  }

  avgPool(name: string, x: string, attrs: Pick<AvgPoolAttrs, 'kernel'> & Partial<AvgPoolAttrs>): string {
    const full: AvgPoolAttrs = { stride: attrs.kernel, padding: 0, countIncludePad: true, ...attrs };
    return this.push({ name, op: 'avgPool', inputs: [x], attrs: full });
  }

  maxPool(name: string, x: string, attrs: Pick<MaxPoolAttrs, 'kernel'> & Partial<MaxPoolAttrs>): string {
    const full: MaxPoolAttrs = { stride: attrs.kernel, padding: 0, ...attrs };
    return this.push({ name, op: 'maxPool', inputs: [x], attrs: full });
  }

  globalAvgPool(name: string, x: string): string {
    return this.push({ name, op: 'globalAvgPool', inputs: [x], attrs: {} });
  }

  flatten(name: string, x: string): string {
    return this.push({ name, op: 'flatten', inputs: [x], attrs: {} });
  }

  linear(name: string, x: string, attrs: Pick<LinearAttrs, 'outFeatures'> & Partial<LinearAttrs>): string {
    return this.push({ name, op: 'linear', inputs: [x], attrs: { bias: true, ...attrs } });
  }

  identity(name: string, x: string): string {
    return this.push({ name, op: 'identity', inputs: [x], attrs: {} });
  }

  zero(name: string, x: string, stride = 1): string {
    return this.push({ name, op: 'zero', inputs: [x], attrs: { stride } });
  }

  /** Finishes the graph and validates it (names, order, shapes). */
  build(output: string, meta?: Graph['meta']): Graph {
    const graph: Graph = { name: this.graphName, nodes: [...this.nodes], output, ...(meta ? { meta } : {}) };
    validateGraph(graph);
    return graph;
  }
}

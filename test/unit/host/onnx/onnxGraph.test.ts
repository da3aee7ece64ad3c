/**
 * OnnxGraph's pruning before serialisation: dead nodes and their initializers are dropped, an Identity that only
 * renames a node's result to an output name is folded into the producer, and the model still computes the same
 * outputs in onnxruntime-node.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType, OnnxGraph, f32 } from '../../../../host/onnx/onnxGraph.js';

function buildGraph(): OnnxGraph {
  const g = new OnnxGraph('prune');
  const x = g.addInput('x', DataType.FLOAT, [4]);
  const relu = g.op('Relu', [x]);
  // Dead: nothing below reaches an output.
  const unused = g.addInitializer('only_for_dead', f32([4], [1, 2, 3, 4]));
  g.op('Neg', [g.op('Add', [relu, unused])]);
  // Renames: of a node result (folded), of a graph input (kept), and a second rename of the same result (kept).
  const two = g.constant(f32([], [2]));
  const doubled = g.op('Mul', [relu, two]);
  g.op('Identity', [doubled], {}, 'y');
  g.op('Identity', [doubled], {}, 'y_again');
  g.op('Identity', [x], {}, 'x_echo');
  g.op('Identity', [relu], {}, 'relu_out');
  for (const name of ['y', 'y_again', 'x_echo', 'relu_out']) g.addOutput(name, DataType.FLOAT, [4]);
  return g;
}

describe('OnnxGraph pruning', () => {
  it('drops dead nodes, unread initializers and foldable Identity renames', () => {
    const g = buildGraph();
    // Kept: Relu, Mul, Identity(doubled -> y_again), Identity(x -> x_echo). Dropped: Add, Neg (dead), the Identities
    // to 'y' and 'relu_out' (folded into Mul and Relu).
    expect(g.nodeCount).toBe(4);
    const text = new TextDecoder('latin1').decode(g.toBytes());
    expect(text).not.toContain('only_for_dead');
    expect(text).not.toContain('Neg');
  });

  it('merges duplicate nodes (same op, inputs and attributes) and keeps the outputs right', async () => {
    const g = new OnnxGraph('cse');
    const x = g.addInput('x', DataType.FLOAT, [4]);
    const a = g.op('Relu', [x]);
    const b = g.op('Relu', [x]); // duplicate of a
    const c = g.op('LeakyRelu', [x], { alpha: { f: 0.1 } });
    const d = g.op('LeakyRelu', [x], { alpha: { f: 0.2 } }); // different attribute: kept
    g.op('Add', [g.op('Mul', [a, c]), g.op('Mul', [b, d])], {}, 'y');
    g.addOutput('y', DataType.FLOAT, [4]);
    expect(g.nodeCount).toBe(6); // Relu, LeakyRelu x2, Mul x2, Add
    const session = await ort.InferenceSession.create(g.toBytes(), { graphOptimizationLevel: 'disabled' });
    try {
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 1, 2, -2]), [4]) });
      // relu(x)·leaky_0.1(x) + relu(x)·leaky_0.2(x) = 2x² for x > 0, 0 otherwise
      expect(Array.from(out.y!.data as Float32Array, (v) => v + 0)).toEqual([0, 2, 8, 0]);
    } finally {
      await session.release();
    }
  });

  it('computes the same outputs after pruning', async () => {
    const session = await ort.InferenceSession.create(buildGraph().toBytes(), { graphOptimizationLevel: 'disabled' });
    try {
      const x = Float32Array.from([-1, 0.5, 2, -3]);
      const out = await session.run({ x: new ort.Tensor('float32', x, [4]) });
      expect(Array.from(out.y!.data as Float32Array)).toEqual([0, 1, 4, 0]);
      expect(Array.from(out.y_again!.data as Float32Array)).toEqual([0, 1, 4, 0]);
      expect(Array.from(out.x_echo!.data as Float32Array)).toEqual(Array.from(x));
      expect(Array.from(out.relu_out!.data as Float32Array)).toEqual([0, 0.5, 2, 0]);
    } finally {
      await session.release();
    }
  });
});

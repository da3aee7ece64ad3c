import { describe, expect, it } from 'vitest';
import { ZeronasError } from '../../../../shared/errors.js';
import { GraphBuilder } from '../../../../host/ir/builder.js';
import { graphFromJson, graphToJson, validateGraph } from '../../../../host/ir/graph.js';
import { listParams } from '../../../../host/ir/params.js';
import { initWeights } from '../../../../host/ir/init.js';

function expectCode(fn: () => unknown, code: string, fragment: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ZeronasError);
    expect((err as ZeronasError).code).toBe(code);
    expect((err as Error).message).toContain(fragment);
    return;
  }
  throw new Error('expected an error');
}

describe('shape inference', () => {
  it('Conv x=[3,8,8] k3 stride 2 pad 1 dilation 1 -> [4,4,4]; dilation 2 pad 2 keeps 8x8', () => {
    const b = new GraphBuilder('t');
    const x = b.input([3, 8, 8]);
    const a = b.conv2d('a', x, { outChannels: 4, kernel: 3, stride: 2, padding: 1 });
    const d = b.conv2d('d', x, { outChannels: 6, kernel: 3, padding: 2, dilation: 2, groups: 3 });
    const { shapes } = validateGraph(b.build(a));
    expect(shapes.get(a)).toEqual([4, 4, 4]);
    expect(shapes.get(d)).toEqual([6, 8, 8]);
  });

  it('pools, concat, flatten, linear, zero with stride', () => {
    const b = new GraphBuilder('t');
    const x = b.input([4, 7, 7]);
    const p = b.avgPool('p', x, { kernel: 3, stride: 2, padding: 1, countIncludePad: false });
    const m = b.maxPool('m', x, { kernel: 3, stride: 2, padding: 1 });
    const c = b.concat('c', [p, m]);
    const z = b.zero('z', x, 2);
    const g = b.globalAvgPool('g', c);
    const f = b.flatten('f', g);
    const l = b.linear('l', f, { outFeatures: 5 });
    const { shapes } = validateGraph(b.build(l));
    expect(shapes.get(p)).toEqual([4, 4, 4]);
    expect(shapes.get(c)).toEqual([8, 4, 4]);
    expect(shapes.get(z)).toEqual([4, 4, 4]);
    expect(shapes.get(f)).toEqual([8]);
    expect(shapes.get(l)).toEqual([5]);
  });

  it('add of [4,8,8] and [4,4,4] names the node and both shapes (ZN_SHAPE_MISMATCH)', () => {
    const b = new GraphBuilder('t');
    const x = b.input([4, 8, 8]);
    const s = b.conv2d('strided', x, { outChannels: 4, kernel: 1, stride: 2 });
    b.add('merge', [x, s]);
    expectCode(() => b.build('merge'), 'ZN_SHAPE_MISMATCH', "node 'merge' (add): input 0 has shape [4,8,8] but input 1 ('strided') has [4,4,4]");
  });

  it('conv with groups that do not divide channels is refused', () => {
    const b = new GraphBuilder('t');
    const x = b.input([6, 8, 8]);
    b.conv2d('c', x, { outChannels: 4, kernel: 3, groups: 4 });
    expectCode(() => b.build('c'), 'ZN_SHAPE_MISMATCH', 'groups=4 must divide input channels 6');
  });

  it('linear on a feature map is refused with the shape', () => {
    const b = new GraphBuilder('t');
    const x = b.input([6, 8, 8]);
    b.linear('fc', x, { outFeatures: 3 });
    expectCode(() => b.build('fc'), 'ZN_SHAPE_MISMATCH', "node 'fc' (linear): expects a rank-1 input per sample, got [6,8,8]");
  });

  it('duplicate names and unknown inputs are refused (ZN_BAD_GRAPH)', () => {
    const b = new GraphBuilder('t');
    const x = b.input([3, 4, 4]);
    b.relu('r', x);
    b.relu('r', x);
    expectCode(() => b.build('r'), 'ZN_BAD_GRAPH', "duplicate node name 'r'");
    const json = JSON.stringify({ name: 'j', output: 'y', nodes: [{ name: 'y', op: 'relu', inputs: ['nope'], attrs: {} }] });
    expectCode(() => graphFromJson(json), 'ZN_BAD_GRAPH', "reads 'nope'");
  });
});

describe('serialisation, parameters and init', () => {
  it('JSON round trip keeps the graph', () => {
    const b = new GraphBuilder('t');
    const x = b.input([3, 8, 8]);
    const c = b.conv2d('c', x, { outChannels: 4, kernel: 3, padding: 1, bias: false });
    const n = b.batchNorm('bn', c);
    const g = b.build(b.relu('r', n));
    expect(graphFromJson(graphToJson(g))).toEqual(g);
  });

  it('lists parameters with PyTorch names and initialises deterministically within PyTorch bounds', () => {
    const b = new GraphBuilder('t');
    const x = b.input([3, 8, 8]);
    const c = b.conv2d('conv', x, { outChannels: 4, kernel: 3, padding: 1 });
    const n = b.batchNorm('bn', c);
    const g = b.build(n);
    expect(listParams(g).map((p) => p.name)).toEqual([
      'conv.weight',
      'conv.bias',
      'bn.weight',
      'bn.bias',
      'bn.running_mean',
      'bn.running_var',
    ]);
    const w1 = initWeights(g, 7);
    const w2 = initWeights(g, 7);
    const w3 = initWeights(g, 8);
    expect(w1.get('conv.weight')).toEqual(w2.get('conv.weight'));
    expect(w1.get('conv.weight')).not.toEqual(w3.get('conv.weight'));
    const bound = 1 / Math.sqrt(27); // kaiming_uniform_(a=sqrt(5)) on fan_in = 3*3*3
    const values = Array.from(w1.get('conv.weight')!);
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(bound * 0.8);
    expect(Array.from(w1.get('bn.weight')!)).toEqual([1, 1, 1, 1]);
    expect(Array.from(w1.get('bn.running_var')!)).toEqual([1, 1, 1, 1]);
    expect(Array.from(w1.get('bn.bias')!)).toEqual([0, 0, 0, 0]);
  });
});

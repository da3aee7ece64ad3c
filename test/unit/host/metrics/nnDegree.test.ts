import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../../host/ir/builder.js';
import type { Graph } from '../../../../host/ir/graph.js';
import { validateGraph } from '../../../../host/ir/graph.js';
import { nnDegreeCount } from '../../../../host/metrics/nnDegree.js';
import { buildNb201Network } from '../../../../host/spaces/nb201.js';
import { mulberry32 } from '../../../../host/ir/init.js';

/**
 * Brute force: build the explicit channel-level graph (one vertex per channel of every tensor, one edge per
 * channel-level link of every op), then for each conv/linear output channel walk backwards through vertices of
 * parameter-free ops and collect the distinct source vertices it reaches (input channels or conv/linear channels).
 */
function bruteForceNnDegree(graph: Graph): { edges: number; neurons: number } {
  const { shapes } = validateGraph(graph);
  const preds = new Map<string, string[]>(); // vertex "tensor#c" -> predecessor vertices
  const vertex = (t: string, c: number): string => `${t}#${c}`;
  const isSource = new Set<string>();
  const neurons: string[] = [];
  for (const node of graph.nodes) {
    const outC = shapes.get(node.name)![0]!;
    const link = (v: string, p: string): void => void preds.set(v, [...(preds.get(v) ?? []), p]);
    for (let c = 0; c < outC; c++) preds.set(vertex(node.name, c), []);
    switch (node.op) {
      case 'input':
        for (let c = 0; c < outC; c++) isSource.add(vertex(node.name, c));
        break;
      case 'conv2d':
      case 'linear': {
        const x = node.inputs[0]!;
        const inShape = shapes.get(x)!;
        const inC = inShape[0]!;
        const groups = node.op === 'conv2d' ? node.attrs.groups : 1;
        for (let o = 0; o < outC; o++) {
          const g = Math.floor(o / (outC / groups));
          for (let i = g * (inC / groups); i < (g + 1) * (inC / groups); i++) link(vertex(node.name, o), vertex(x, i));
          isSource.add(vertex(node.name, o));
          neurons.push(vertex(node.name, o));
        }
        break;
      }
      case 'add':
        for (let c = 0; c < outC; c++) for (const x of node.inputs) link(vertex(node.name, c), vertex(x, c));
        break;
      case 'concat': {
        let offset = 0;
        for (const x of node.inputs) {
          const cx = shapes.get(x)![0]!;
          for (let c = 0; c < cx; c++) link(vertex(node.name, offset + c), vertex(x, c));
          offset += cx;
        }
        break;
      }
      case 'zero':
        break;
      case 'flatten': {
        const inShape = shapes.get(node.inputs[0]!)!;
        const per = inShape.slice(1).reduce((a, b) => a * b, 1);
        for (let f = 0; f < outC; f++) link(vertex(node.name, f), vertex(node.inputs[0]!, Math.floor(f / per)));
        break;
      }
      default:
        for (let c = 0; c < outC; c++) link(vertex(node.name, c), vertex(node.inputs[0]!, c));
    }
  }
  let edges = 0;
  for (const n of neurons) {
    const found = new Set<string>();
    const seen = new Set<string>();
    const stack = [...preds.get(n)!];
    while (stack.length) {
      const v = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      if (isSource.has(v)) found.add(v);
      else stack.push(...preds.get(v)!);
    }
    edges += found.size;
  }
  return { edges, neurons: neurons.length };
}

function randomGraph(seed: number): Graph {
  const rand = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const b = new GraphBuilder(`random-${seed}`);
  const tensors: { name: string; c: number }[] = [{ name: b.input([4, 6, 6]), c: 4 }];
  for (let i = 0; i < 8; i++) {
    const x = pick(tensors);
    const kind = pick(['conv', 'dw', 'add', 'concat', 'zero', 'bnrelu', 'pool']);
    const name = `n${i}`;
    if (kind === 'conv') tensors.push({ name: b.conv2d(name, x.name, { outChannels: pick([2, 4, 6]), kernel: pick([1, 3]), padding: 0, bias: false }), c: 0 });
    else if (kind === 'dw') tensors.push({ name: b.conv2d(name, x.name, { outChannels: x.c, kernel: 3, padding: 1, groups: x.c }), c: x.c });
    else if (kind === 'add') {
      const y = tensors.find((t) => t.c === x.c && t.name !== x.name);
      if (y) tensors.push({ name: b.add(name, [x.name, y.name]), c: x.c });
    } else if (kind === 'concat') {
      const y = pick(tensors);
      tensors.push({ name: b.concat(name, [x.name, y.name]), c: 0 });
    } else if (kind === 'zero') tensors.push({ name: b.zero(name, x.name), c: x.c });
    else if (kind === 'bnrelu') tensors.push({ name: b.relu(`${name}r`, b.batchNorm(name, x.name)), c: x.c });
    else tensors.push({ name: b.avgPool(name, x.name, { kernel: 3, stride: 1, padding: 1 }), c: x.c });
    // Recompute channel counts from shapes (1x1/3x3 valid convs may shrink spatial size: keep same-size only).
    const { shapes } = validateGraph(b.build(tensors.at(-1)!.name));
    for (const t of tensors) t.c = shapes.get(t.name)![0]!;
    if (shapes.get(tensors.at(-1)!.name)![1] !== 6) tensors.pop();
  }
  const last = tensors.at(-1)!.name;
  const f = b.flatten('flat', b.globalAvgPool('gap', last));
  return b.build(b.linear('fc', f, { outFeatures: 3 }));
}

describe('NN-Degree', () => {
  it('equals the brute-force count of an explicit channel graph on 40 random small networks', () => {
    let checked = 0;
    for (let seed = 1; seed <= 40; seed++) {
      let g: Graph;
      try {
        g = randomGraph(seed);
      } catch {
        continue; // a random op did not fit; the next seed covers it
      }
      const { shapes } = validateGraph(g);
      const exact = nnDegreeCount(g, shapes);
      const brute = bruteForceNnDegree(g);
      expect({ edges: exact.edges, neurons: exact.neurons }, g.name).toEqual(brute);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(30);
  });

  it('equals the brute-force count on small NAS-Bench-201 networks with skip, none and pooling edges', () => {
    for (const arch of [
      '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|',
      '|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|',
      '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|',
    ]) {
      const g = buildNb201Network(arch, { channels: 4, cellsPerStage: 1, numClasses: 3, inputSize: 8 });
      const { shapes } = validateGraph(g);
      const exact = nnDegreeCount(g, shapes);
      expect({ edges: exact.edges, neurons: exact.neurons }, arch).toEqual(bruteForceNnDegree(g));
    }
  });

  it("a DenseNet-type cell gives FLASH's per-cell degree w + (sum_j t_j)/d", () => {
    // d = 4 layers of width w = 4; layers 2 and 3 also read the channels of an older layer (concat).
    const b = new GraphBuilder('dense');
    const x = b.input([4, 5, 5]);
    const l0 = b.conv2d('l0', x, { outChannels: 4, kernel: 3, padding: 1 });
    const l1 = b.conv2d('l1', l0, { outChannels: 4, kernel: 3, padding: 1 });
    // The IR has no channel slice, so each skip link carries all w channels of an older layer (t = 4).
    const in2 = b.concat('in2', [l1, l0]);
    const l2 = b.conv2d('l2', in2, { outChannels: 4, kernel: 3, padding: 1 });
    const in3 = b.concat('in3', [l2, l1]);
    const l3 = b.conv2d('l3', in3, { outChannels: 4, kernel: 3, padding: 1 });
    const g = b.build(l3);
    const { shapes } = validateGraph(g);
    const { nnDegree } = nnDegreeCount(g, shapes);
    // in-degrees: l0 reads 4 input channels, l1 4, l2 4+4, l3 4+4 -> (4+4+8+8)/4 = 6 = w + (4+4)/4.
    expect(nnDegree).toBe(4 + (4 + 4) / 4);
  });
});

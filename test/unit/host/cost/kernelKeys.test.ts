import { describe, expect, it } from 'vitest';
import { buildKernelModel, enumerateSpaceKernels, kernelsOf, parseKernelKey } from '../../../../host/cost/kernelKeys.js';
import { EXECUTION_HYPOTHESES } from '../../../../host/cost/execution.js';
import { validateGraph } from '../../../../host/ir/graph.js';
import { initWeights, mulberry32 } from '../../../../host/ir/init.js';
import { exportInference } from '../../../../host/onnx/exportInference.js';
import { buildNb201Network, cellFromCode, NB201_SPACE_SIZE } from '../../../../host/spaces/nb201.js';

const CELL_CONVS = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|';

function counts(arch: string, execution: (typeof EXECUTION_HYPOTHESES)[number]): Record<string, number> {
  return Object.fromEntries(kernelsOf(buildNb201Network(arch), { execution }).map((k) => [k.key, k.count]));
}

describe('kernelsOf (nb201, cifar10)', () => {
  it("groups ReLU-Conv-BN into one kernel and counts 15 cells' convs under 'all'", () => {
    const c = counts(CELL_CONVS, 'all');
    // 3 convs per cell in 5 cells of stage 1; stage 2 also has the reduction block's second conv (same shape).
    expect(c['relu_conv_bn|k3s1p1d1g1|16x32x32>16x32x32']).toBe(15);
    expect(c['relu_conv_bn|k3s1p1d1g1|32x16x16>32x16x16']).toBe(16);
    expect(c['mul_zero|s1|16x32x32>16x32x32']).toBe(10);
    expect(c['conv_bn|k3s1p1d1g1|3x32x32>16x32x32']).toBe(1);
    expect(c['gemm|bias|64>10']).toBe(1);
    expect(Object.keys(c).some((k) => k.startsWith('relu|') || k.startsWith('bn|'))).toBe(false);
  });

  it("drops a dead merge and its exclusive inputs under 'folded' but keeps a single op that only feeds x*0", () => {
    // node2 = conv(x) + conv(node1) feeds only `none`: removed, and node1's conv with it.
    expect(counts(CELL_CONVS, 'folded')['relu_conv_bn|k3s1p1d1g1|16x32x32>16x32x32']).toBeUndefined();
    // node1 = conv(x) feeds only `none` edges: still computed on the TFLite devices.
    const single = counts('|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|', 'folded');
    expect(single['relu_conv_bn|k3s1p1d1g1|16x32x32>16x32x32']).toBe(5);
    expect(counts('|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|', 'live')['relu_conv_bn|k3s1p1d1g1|16x32x32>16x32x32']).toBeUndefined();
  });

  it('runs nothing under live/folded when the output does not depend on the input', () => {
    const arch = '|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|none~2|';
    expect(kernelsOf(buildNb201Network(arch), { execution: 'folded' })).toEqual([]);
    expect(kernelsOf(buildNb201Network(arch), { execution: 'live' })).toEqual([]);
    expect(kernelsOf(buildNb201Network(arch), { execution: 'all' }).length).toBeGreaterThan(0);
  });
});

describe('enumerateSpaceKernels', () => {
  const table = enumerateSpaceKernels('nb201', { datasets: ['cifar10'] });
  const keys = new Set(table.map((k) => k.key));

  it('lists the 28 kernels of the cifar10 space (skeleton + 6 cell kernels per stage)', () => {
    const stages = ['16x32x32', '32x16x16', '64x8x8'];
    const expected = new Set([
      'conv_bn|k3s1p1d1g1|3x32x32>16x32x32',
      'relu_conv_bn|k3s2p1d1g1|16x32x32>32x16x16',
      'relu_conv_bn|k3s2p1d1g1|32x16x16>64x8x8',
      'avg_pool|k2s2p0cip1|16x32x32>16x16x16',
      'avg_pool|k2s2p0cip1|32x16x16>32x8x8',
      'conv|k1s1p0d1g1|16x16x16>32x16x16',
      'conv|k1s1p0d1g1|32x8x8>64x8x8',
      'bn_relu||64x8x8>64x8x8',
      'global_avg_pool||64x8x8>64x1x1',
      'gemm|bias|64>10',
      ...stages.flatMap((s) => [
        `relu_conv_bn|k3s1p1d1g1|${s}>${s}`,
        `relu_conv_bn|k1s1p0d1g1|${s}>${s}`,
        `avg_pool|k3s1p1cip0|${s}>${s}`,
        `add|n2|${s}>${s}`,
        `add|n3|${s}>${s}`,
        `mul_zero|s1|${s}>${s}`,
      ]),
    ]);
    expect(keys).toEqual(expected);
  });

  it('contains every kernel of 300 random full (5 cells per stage) networks under every hypothesis', () => {
    const rand = mulberry32(9);
    for (let i = 0; i < 300; i++) {
      const graph = buildNb201Network(cellFromCode(Math.floor(rand() * NB201_SPACE_SIZE)));
      for (const execution of EXECUTION_HYPOTHESES) {
        for (const k of kernelsOf(graph, { execution })) expect(keys.has(k.key), `${graph.name} ${execution}: ${k.key}`).toBe(true);
      }
    }
  });

  it('builds a micro model per kernel whose output shape matches its key, and exports it', () => {
    for (const { key } of table) {
      const graph = buildKernelModel(key);
      const { shapes } = validateGraph(graph);
      expect(shapes.get(graph.output)!.join('x'), key).toBe(parseKernelKey(key).outputShape.join('x'));
      const bytes = exportInference(graph, initWeights(graph, 0), { batch: 1, foldBatchNorm: true });
      expect(bytes.length).toBeGreaterThan(0);
    }
  });

  it("rejects a malformed key (ZN_BAD_ARGUMENT) naming it: 'conv3x3'", () => {
    expect(() => parseKernelKey('conv3x3')).toThrow(expect.objectContaining({ code: 'ZN_BAD_ARGUMENT', message: expect.stringContaining("'conv3x3'") }));
  });
});

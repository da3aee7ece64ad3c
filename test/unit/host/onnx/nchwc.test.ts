/**
 * Training graphs emitted in onnxruntime's blocked (NCHWc) layout (blocked convs and pools, batch-norm and ReLU
 * on blocked values), run with ORT's optimiser disabled, against the plain graphs run at level 'all' (where ORT
 * applies its own NCHWc rewrite to the convs alone): same loss, logits, BN statistics and gradients. Also the
 * filter layouts on a block size small enough to check by hand.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../../host/ir/builder.js';
import type { Graph } from '../../../../host/ir/graph.js';
import { initWeights, type WeightMap } from '../../../../host/ir/init.js';
import { listParams } from '../../../../host/ir/params.js';
import { reorderFilterOIHWBiBo, reorderFilterOIHWBo } from '../../../../host/onnx/nchwc.js';
import { exportTraining, type TrainingExportOptions, type TrainingModel } from '../../../../host/onnx/exportTraining.js';
import { nchwcBlockSize } from '../../../../host/proxies/nchwcSupport.js';
import { buildFlashNetwork } from '../../../../host/spaces/flash.js';
import { buildIdwNetwork, IDW_INITIAL_STRUCTURE } from '../../../../host/spaces/idw.js';
import { buildNb201Network } from '../../../../host/spaces/nb201.js';

describe('NCHWc filter layouts', () => {
  // W[o, i, t] = 100·o + 10·i + t, O = I = 4, two taps, block 2.
  const w = Float32Array.from({ length: 4 * 4 * 2 }, (_, k) => 100 * Math.floor(k / 8) + 10 * (Math.floor(k / 2) % 4) + (k % 2));

  it('OIHWBiBo puts output channels innermost, then input channels, within 2x2 channel blocks', () => {
    const r = reorderFilterOIHWBiBo(w, 4, 4, 2, 2);
    // [O/B=2, I/B=2, taps=2, Bi=2, Bo=2]: the first 8 values are block (o 0-1, i 0-1), tap 0 then tap 1.
    expect(Array.from(r.slice(0, 8))).toEqual([0, 100, 10, 110, 1, 101, 11, 111]);
    expect(r[((((1 * 2 + 1) * 2 + 1) * 2 + 1) * 2) + 0]).toBe(100 * 2 + 10 * 3 + 1); // o=2, i=3, tap 1
  });

  it('OIHWBo keeps every input channel and blocks only the outputs', () => {
    const r = reorderFilterOIHWBo(w, 4, 4, 2, 2);
    expect(Array.from(r.slice(0, 4))).toEqual([0, 100, 1, 101]); // o 0-1 of input 0, tap 0 then tap 1
    expect(r[(((1 * 4 + 2) * 2 + 1) * 2) + 1]).toBe(100 * 3 + 10 * 2 + 1); // o=3, i=2, tap 1
  });
});

/** Runs one training step of the exported graph at the optimisation level the export asks for. */
async function runTraining(
  graph: Graph,
  weights: WeightMap,
  feeds: Record<string, ort.Tensor>,
  options: TrainingExportOptions,
): Promise<{ model: TrainingModel; values: Record<string, Float32Array> }> {
  const model = exportTraining(graph, weights, options);
  const session = await ort.InferenceSession.create(model.bytes, { graphOptimizationLevel: model.graphOptimizationLevel, intraOpNumThreads: 1 });
  const result = await session.run(feeds);
  await session.release();
  return { model, values: Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v.data as Float32Array])) };
}

/** An image batch (sine pattern) and labels 0, 1, 2, ... mod 10. */
function trainingFeeds(batch: number, image: [number, number, number], frequency: number): Record<string, ort.Tensor> {
  return {
    input: new ort.Tensor('float32', Float32Array.from({ length: batch * image[0] * image[1] * image[2] }, (_, i) => Math.sin(i * frequency)), [batch, ...image]),
    labels: new ort.Tensor('int64', BigInt64Array.from({ length: batch }, (_, i) => BigInt(i % 10)), [batch]),
  };
}

/**
 * Every output within `relative` L2 of the plain graph's, with an absolute floor for values that vanish in exact
 * arithmetic and are pure rounding in both (a BN's Σdy when another BN follows; the batch mean of a sum of BN
 * outputs): the summation order differs.
 */
function expectSameOutputs(blocked: Record<string, Float32Array>, plain: Record<string, Float32Array>, relative: number): void {
  expect(Object.keys(blocked).sort()).toEqual(Object.keys(plain).sort());
  for (const [name, want] of Object.entries(plain)) {
    const got = blocked[name]!;
    const err = Math.sqrt(want.reduce((acc, w, i) => acc + (got[i]! - w) ** 2, 0));
    const norm = Math.sqrt(want.reduce((acc, w) => acc + w * w, 0));
    expect(err, name).toBeLessThan(relative * norm + 1e-6);
  }
}

describe('blocked training graphs', async () => {
  const block = await nchwcBlockSize();
  const cells = [
    '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|',
    '|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|+|nor_conv_3x3~0|none~1|nor_conv_1x1~2|',
  ];

  // PyTorch init (γ ≡ 1, β ≡ 0: BN in its x̂ form), trained-looking γ and β (the general BN form), and eval-mode
  // BN (running statistics).
  const variants = cells.flatMap((arch) => [
    { arch, bn: 'init' as const },
    { arch, bn: 'trained' as const },
    { arch, bn: 'eval' as const },
  ]);

  it.skipIf(block === 0).each(variants)('give what the plain graph gives under ORT\'s own rewrite: $bn BN, $arch', async ({ arch, bn }) => {
    // C=16, one cell per stage: the stem (3 input channels, read as NCHW), stride-2 residual blocks and pools.
    const graph = buildNb201Network(arch, { channels: 16, cellsPerStage: 1 });
    const weights = initWeights(graph, 3);
    if (bn !== 'init') {
      for (const p of listParams(graph)) {
        const v = weights.get(p.name)!;
        if (p.kind === 'bnWeight') v.forEach((_, i) => (v[i] = 1 + 0.3 * Math.sin(i + 1)));
        if (p.kind === 'bnBias' || p.kind === 'bnRunningMean') v.forEach((_, i) => (v[i] = 0.1 * Math.cos(i)));
        if (p.kind === 'bnRunningVar') v.forEach((_, i) => (v[i] = 0.5 + 0.25 * Math.sin(i)));
      }
    }
    const batch = 8;
    const feeds = trainingFeeds(batch, [3, 32, 32], 0.37);
    const tensors = ['stem.1', 'lastact.0', 'lastact.1'];
    const options: TrainingExportOptions = { batch, paramGrads: 'trainable', activations: tensors, activationGrads: tensors, bnMode: bn === 'eval' ? 'eval' : 'train' };
    const plain = await runTraining(graph, weights, feeds, { ...options, nchwcBlock: 0 });
    const blocked = await runTraining(graph, weights, feeds, { ...options, nchwcBlock: block });
    const nchwcOps = (m: TrainingModel): string[] => {
      const text = Buffer.from(m.bytes).toString('latin1');
      return ['com.microsoft.nchwc', 'ReorderInput'].filter((op) => text.includes(op));
    };
    expect(plain.model.graphOptimizationLevel).toBe('all');
    expect(nchwcOps(plain.model)).toHaveLength(0);
    expect(blocked.model.graphOptimizationLevel).toBe('disabled');
    expect(nchwcOps(blocked.model)).toHaveLength(2);
    expectSameOutputs(blocked.values, plain.values, 1e-5);
  });

  it.skipIf(block === 0)('mixes plain and blocked tensors correctly: a ReLU on a plain input whose gradient comes back blocked', async () => {
    // The graph input is plain, so the ReLU's output (and its mask) are plain, while the conv after it is blocked
    // and returns a blocked gradient: the backward's Where must not try to reorder a bool mask.
    const b = new GraphBuilder('mixed');
    let x = b.input([16, 8, 8]);
    x = b.relu('act', x);
    x = b.conv2d('conv', x, { outChannels: 16, kernel: 3, padding: 1, bias: false });
    x = b.batchNorm('bn', x);
    x = b.relu('act2', x);
    x = b.globalAvgPool('gap', x);
    x = b.flatten('flat', x);
    x = b.linear('fc', x, { outFeatures: 10 });
    const graph = b.build(x);
    const weights = initWeights(graph, 1);
    const feeds = trainingFeeds(4, [16, 8, 8], 0.91);
    const options: TrainingExportOptions = { batch: 4, paramGrads: 'trainable', inputGrad: true };
    const plain = await runTraining(graph, weights, feeds, { ...options, nchwcBlock: 0 });
    const blocked = await runTraining(graph, weights, feeds, { ...options, nchwcBlock: block });
    expectSameOutputs(blocked.values, plain.values, 1e-5);
  });

  // Other spaces mix blockable and unblockable widths, depthwise convs, hard-swish and concatenation, so plain and
  // blocked tensors meet in every combination.
  it.skipIf(block === 0).each([
    ['IDW (ZiCo\'s initial structure)', () => buildIdwNetwork(IDW_INITIAL_STRUCTURE, { inputSize: 32, numClasses: 10 })],
    ['FLASH', () => buildFlashNetwork({ depth: [2, 2, 2], width: [16, 24, 32], skip: [2, 3, 4] })],
  ] as const)('matches the plain graph on %s', async (_label, build) => {
    const graph = build();
    const weights = initWeights(graph, 2);
    const feeds = trainingFeeds(4, [3, 32, 32], 0.53);
    const plain = await runTraining(graph, weights, feeds, { batch: 4, paramGrads: 'weights', nchwcBlock: 0 });
    const blocked = await runTraining(graph, weights, feeds, { batch: 4, paramGrads: 'weights', nchwcBlock: block });
    expectSameOutputs(blocked.values, plain.values, 1e-4);
  });

  it.skipIf(block === 0)('keeps ORT\'s optimiser on when a conv could not be blocked (channels not a multiple of the block)', () => {
    const graph = buildNb201Network(cells[0]!, { channels: block / 2, cellsPerStage: 1 });
    const model = exportTraining(graph, initWeights(graph, 0), { batch: 2, nchwcBlock: block });
    expect(model.graphOptimizationLevel).toBe('all');
  });
});

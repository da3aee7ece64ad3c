/**
 * Checks our NB201 pipeline against the PyTorch golden values in test/fixtures/golden/nb201_golden.json (made by
 * `npx tsx scripts/golden/exportGoldenModels.ts && /usr/bin/python3 scripts/golden/nb201_golden.py`; see the
 * fixture's `conventions`). Everything here runs without Python: batches come from the shipped sample, Gaussian
 * inputs from gaussianTensor, weights from initWeights. The gradient-based values (ZiCo, grad_norm, snip, ...) are
 * compared once the ONNX training graph exists; this file checks inputs, weights, module order, eval-mode logits
 * and the aggregation formulas on the reference's own intermediate values.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { gaussianTensor, openDataset, selectBatches } from '../../../../host/data/index.js';
import { initWeights } from '../../../../host/ir/init.js';
import { listParams } from '../../../../host/ir/params.js';
import { exportInference } from '../../../../host/onnx/exportInference.js';
import { zenScore } from '../../../../host/proxies/math/zen.js';
import {
  buildNb201Network,
  isNb201Disconnected,
  liveEdgesNb201,
  parseNb201,
  type Nb201NetworkConfig,
} from '../../../../host/spaces/nb201.js';

/** The fixture writes non-finite numbers as 'nan', 'inf', '-inf'. */
type GoldenNumber = number | 'nan' | 'inf' | '-inf';
const num = (v: GoldenNumber): number =>
  typeof v === 'number' ? v : v === 'nan' ? NaN : v === 'inf' ? Infinity : -Infinity;

interface Checksum {
  count: number;
  sum: number;
  absSum: number;
}
interface GoldenModel {
  id: string;
  arch: string;
  config: Nb201NetworkConfig;
  stateDictEntries: number;
  weights: Checksum;
  gaussianWeights: Checksum;
  layers: string[];
  forward: Record<'eval' | 'train', { logitsFirstRows: number[][]; sum: number; absSum: number }>;
  zico: { value: number; layerS: number[]; gradNorms: number[][]; skippedLayers: number };
  grad_norm: number;
  ntk: { value: GoldenNumber; condition: GoldenNumber } | { error: string };
  zen: { value: GoldenNumber; delta: number; logBnScaling: number; bnRunningVarMeans: number[] };
}
interface Golden {
  _generatedBy: string;
  weightSeed: number;
  data: {
    selection: { batchSize: number; batches: number; seed: 'first' | number };
    labels: number[];
    batchChecksums: Checksum[];
  };
  gaussianInputs: {
    shape: number[];
    zenX: { seed: number };
    zenEps: { seed: number };
    linearRegionsX: { seed: number };
    checksums: Record<'zenX' | 'zenEps' | 'linearRegionsX', Checksum>;
  };
  models: GoldenModel[];
}

const golden = JSON.parse(
  readFileSync(new URL('../../../fixtures/golden/nb201_golden.json', import.meta.url), 'utf8'),
) as Golden;

function checksum(arrays: Iterable<ArrayLike<number>>): Checksum {
  let count = 0;
  let sum = 0;
  let absSum = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      sum += a[i]!;
      absSum += Math.abs(a[i]!);
    }
    count += a.length;
  }
  return { count, sum, absSum };
}

/** The fixture stores 10 significant digits; sums of float32 data agree to far better than 1e-7 relative. */
function expectChecksum(got: Checksum, want: Checksum): void {
  expect(got.count).toBe(want.count);
  expect(Math.abs(got.sum - want.sum)).toBeLessThanOrEqual(1e-7 * want.absSum + 1e-9);
  expect(Math.abs(got.absSum - want.absSum)).toBeLessThanOrEqual(1e-7 * want.absSum);
}

describe(`NB201 golden values (${golden._generatedBy})`, () => {
  const batches = selectBatches(openDataset(), golden.data.selection);

  it('the TypeScript batch selection reproduces the reference batches (labels and checksums)', () => {
    expect(batches.flatMap((b) => Array.from(b.labels))).toEqual(golden.data.labels);
    batches.forEach((b, i) => expectChecksum(checksum([b.images]), golden.data.batchChecksums[i]!));
  });

  it('gaussianTensor reproduces the Gaussian inputs fed to PyTorch', () => {
    const g = golden.gaussianInputs;
    expectChecksum(checksum([gaussianTensor(g.shape, g.zenX.seed)]), g.checksums.zenX);
    expectChecksum(checksum([gaussianTensor(g.shape, g.zenEps.seed)]), g.checksums.zenEps);
    expectChecksum(checksum([gaussianTensor(g.shape, g.linearRegionsX.seed)]), g.checksums.linearRegionsX);
  });

  for (const model of golden.models) {
    describe(`${model.id} ${model.arch}`, () => {
      const graph = buildNb201Network(model.arch, model.config);
      const weights = initWeights(graph, golden.weightSeed);

      it('initWeights(seed) gives the weights the reference loaded (count, sum, |sum|), for both inits', () => {
        expect(weights.size).toBe(model.stateDictEntries);
        expectChecksum(checksum(weights.values()), model.weights);
        expectChecksum(checksum(initWeights(graph, golden.weightSeed, 'gaussian').values()), model.gaussianWeights);
      });

      it('conv/linear layers are listed in PyTorch module-registration order', () => {
        const ours = listParams(graph)
          .filter((p) => p.kind === 'convWeight' || p.kind === 'linearWeight')
          .map((p) => p.name);
        expect(ours).toEqual(model.layers);
      });

      it('eval-mode logits from onnxruntime match PyTorch model.eval() on batch 1', async () => {
        const session = await ort.InferenceSession.create(exportInference(graph, weights));
        try {
          const b = batches[0]!;
          const out = await session.run({ input: new ort.Tensor('float32', b.images, [...b.shape]) });
          const logits = out.logits!.data as Float32Array;
          const classes = model.config.numClasses;
          const want = model.forward.eval;
          want.logitsFirstRows.forEach((row, r) =>
            row.forEach((v, c) =>
              expect(Math.abs(logits[r * classes + c]! - v)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(v))),
            ),
          );
          const got = checksum([logits]);
          expect(Math.abs(got.absSum - want.absSum)).toBeLessThanOrEqual(1e-5 * want.absSum);
          expect(Math.abs(got.sum - want.sum)).toBeLessThanOrEqual(1e-5 * want.absSum);
        } finally {
          await session.release();
        }
      });

      it('aggregations agree with the reference intermediates (ZiCo from S_l, grad_norm, NTK, Zen)', () => {
        const fromS = model.zico.layerS.reduce((acc, s) => (s === 0 ? acc : acc + Math.log(s)), 0);
        expect(fromS).toBeCloseTo(model.zico.value, 5);
        expect(model.zico.layerS.filter((s) => s === 0)).toHaveLength(model.zico.skippedLayers);
        expect(model.zico.gradNorms[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(model.grad_norm, 5);
        if ('condition' in model.ntk && typeof model.ntk.condition === 'number')
          expect(num(model.ntk.value)).toBe(-model.ntk.condition);
        const zen = zenScore(model.zen.delta, model.zen.bnRunningVarMeans);
        expect(zen.logBnScaling).toBeCloseTo(model.zen.logBnScaling, 6);
        if (typeof model.zen.value === 'number') expect(zen.value).toBeCloseTo(model.zen.value, 6);
        else expect([zen.value, typeof zen.reason]).toEqual([num(model.zen.value), 'string']);
      });

      it('ZiCo skips exactly the convs the cell structure predicts (exact-zero gradients, §A.1)', () => {
        const cell = parseNb201(model.arch);
        const skipped = model.layers.filter((_, l) => model.zico.layerS[l] === 0);
        if (isNb201Disconnected(cell)) {
          expect(skipped).toEqual(model.layers); // every layer, so ZiCo is exactly 0
          expect(model.zico.value).toBe(0);
          return;
        }
        const live = liveEdgesNb201(cell);
        const dead = model.layers.filter((name) => {
          const m = /^cells\.\d+\.layers\.(\d)\.op\.1\.weight$/.exec(name);
          return m !== null && !live[Number(m[1])];
        });
        expect(skipped).toEqual(dead);
        skipped.forEach((name) => expect(model.zico.gradNorms[0]![model.layers.indexOf(name)]).toBe(0));
      });
    });
  }
});

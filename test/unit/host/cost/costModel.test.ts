import { describe, expect, it } from 'vitest';
import { CostFeatureExtractor } from '../../../../host/cost/costFeatures.js';
import { AutoCostModel, ForestCostModel, LinearCostModel, LutCostModel, shuffled, type CostSample } from '../../../../host/cost/costModel.js';
import { kernelsOf } from '../../../../host/cost/kernelKeys.js';
import type { LookupTable } from '../../../../host/cost/lookupTable.js';
import { fitLinear } from '../../../../host/cost/regression.js';
import type { Graph } from '../../../../host/ir/graph.js';
import { buildNb201Network, cellFromCode, NB201_SPACE_SIZE } from '../../../../host/spaces/nb201.js';
import { spearman } from '../../../../host/stats/index.js';

/** A synthetic device: each kernel costs a known amount that depends on its kind and shape (cost ∝ MAC-ish size). */
function kernelCostMs(key: string): number {
  const [kind, attrs, shapes] = key.split('|') as [string, string, string];
  const elements = shapes.split('>')[1]!.split('x').reduce((a, b) => a * Number(b), 1);
  const base = kind.includes('conv') ? (attrs.startsWith('k3') ? 9 : 1) * 4e-5 : kind === 'add' ? 5e-6 * Number(attrs.slice(1)) : 1e-5;
  return base * elements;
}

/** End-to-end "measurement": 0.8 ms fixed + 1.3 x the kernel sum under the hypothesis the device follows. */
function measure(graph: Graph, execution: 'all' | 'live' | 'folded'): number {
  return 0.8 + 1.3 * kernelsOf(graph, { execution }).reduce((s, k) => s + k.count * kernelCostMs(k.key), 0);
}

const graphs = shuffled(NB201_SPACE_SIZE, 3)
  .slice(0, 220)
  .map((code) => buildNb201Network(cellFromCode(code), { cellsPerStage: 2 }));
const extractor = new CostFeatureExtractor();
const samples = (execution: 'all' | 'live' | 'folded', from: number, to: number): CostSample[] =>
  graphs.slice(from, to).map((graph) => ({ graph, value: measure(graph, execution) }));

const maxRelError = (model: { predict(g: Graph): { value: number } }, test: CostSample[]): number =>
  Math.max(...test.map((s) => Math.abs(model.predict(s.graph).value - s.value) / s.value));

describe('regression', () => {
  it('relL1 recovers y = 2 + 3x despite 20% gross outliers', () => {
    const x = Array.from({ length: 50 }, (_, i) => [1, i + 1]);
    const y = x.map(([, v], i) => (2 + 3 * v!) * (i % 5 === 0 ? 1.8 : 1));
    const [a, b] = fitLinear(x, y, 'relL1', 0, [false, false]);
    expect(a).toBeCloseTo(2, 3);
    expect(b).toBeCloseTo(3, 4);
  });
});

describe('LinearCostModel', () => {
  it("few-shot: 10 samples of a 'folded' device give exact predictions on 150 others", () => {
    const model = new LinearCostModel({ execution: 'folded', extractor, ridge: 0 });
    model.fit(samples('folded', 0, 10));
    const test = samples('folded', 70, 220).filter((s) => !extractor.features(s.graph, 'folded').isFolded);
    expect(maxRelError(model, test)).toBeLessThan(1e-6);
    const p = model.predict(test[0]!.graph);
    expect(p.uncertainty).toBeGreaterThanOrEqual(0);
  });

  it("predicts a fully folded network (output independent of input) as the median of such training samples", () => {
    const folded = buildNb201Network('|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|none~2|', { cellsPerStage: 2 });
    const model = new LinearCostModel({ execution: 'folded', extractor });
    const connected = samples('folded', 0, 20).filter((s) => !extractor.features(s.graph, 'folded').isFolded);
    model.fit([...connected, { graph: folded, value: 0.02 }]);
    expect(model.predict(folded).value).toBe(0.02);
  });
});

describe('LutCostModel', () => {
  const syntheticLut = (): LookupTable => {
    const entries: LookupTable['entries'] = {};
    for (const g of graphs) for (const k of kernelsOf(g, { execution: 'all' })) entries[k.key] = { medianMs: kernelCostMs(k.key), p90Ms: kernelCostMs(k.key), n: 5 };
    return {
      format: 'zeronas-lut',
      version: 1,
      device: { fingerprint: 'synthetic' },
      runtime: { name: 'onnxruntime-node', version: '1.30.0' },
      executionProvider: 'cpu',
      threads: 1,
      measurement: { warmupRuns: 1, repeats: 5, batch: 1, foldBatchNorm: true },
      execution: 'all',
      createdAt: '2025-01-01',
      entries,
    };
  };

  it('fits the end-to-end correction a + b·sum (0.8 + 1.3·sum) exactly from 5 samples', () => {
    const model = new LutCostModel(syntheticLut());
    model.fit(samples('all', 0, 5));
    expect(model.describe()).toMatchObject({ correction: 'sum', intercept: expect.closeTo(0.8, 3), slope: expect.closeTo(1.3, 4) });
    expect(maxRelError(model, samples('all', 100, 150))).toBeLessThan(1e-4);
  });

  it('chooses per-kind slopes by cross-validation when convs and the rest scale differently (0.5 + 2·convs + 0.4·others)', () => {
    const lut = syntheticLut();
    const device = (graph: Graph): number =>
      0.5 +
      kernelsOf(graph, { execution: 'all' }).reduce((s, k) => s + k.count * kernelCostMs(k.key) * (k.kind.includes('conv') ? 2 : 0.4), 0);
    const train = graphs.slice(0, 40).map((graph) => ({ graph, value: device(graph) }));
    const model = new LutCostModel(lut);
    model.fit(train);
    const d = model.describe() as { correction: string; slopes: Record<string, number>; cvMape: Record<string, number> };
    expect(d, JSON.stringify(d)).toMatchObject({ correction: 'per-kind' });
    expect(d.cvMape['per-kind']).toBeLessThan(d.cvMape.sum!);
    expect(d.slopes.relu_conv_bn).toBeCloseTo(2, 4);
    expect(maxRelError(model, graphs.slice(100, 160).map((graph) => ({ graph, value: device(graph) })))).toBeLessThan(1e-4);
    // restricted to the single-slope form it cannot be exact
    const plain = new LutCostModel(lut, ['sum']);
    plain.fit(train);
    expect(maxRelError(plain, graphs.slice(100, 160).map((graph) => ({ graph, value: device(graph) })))).toBeGreaterThan(0.01);
  });
});

describe('ForestCostModel', () => {
  it('ranks 70 unseen architectures of a synthetic device (Spearman > 0.9) after 150 samples', () => {
    const model = new ForestCostModel({ extractor, nEstimators: 30, seed: 1 });
    model.fit(samples('live', 0, 150));
    const test = samples('live', 150, 220);
    const preds = model.predictMany(test.map((s) => s.graph));
    expect(spearman(preds.map((p) => p.value), test.map((s) => s.value))).toBeGreaterThan(0.9);
    expect(preds.every((p) => p.uncertainty >= 0)).toBe(true);
  });
});

describe('AutoCostModel', () => {
  it("picks the linear model of the hypothesis the synthetic device follows ('all') by cross-validation", () => {
    const model = new AutoCostModel({ extractor, seed: 0 });
    model.fit(samples('all', 0, 25));
    expect(model.selected.name).toBe('linear(all,counts,relL1)');
    expect(maxRelError(model, samples('all', 100, 160))).toBeLessThan(1e-4);
  });
});

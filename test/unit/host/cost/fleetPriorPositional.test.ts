/**
 * The prior's second basis (kernel counts + nb201 positional features): file section, Bayesian model averaging over
 * both bases, leave-one-device-out on both. Synthetic devices on small networks (2 cells per stage), as in
 * fleetPrior.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { fullSizePriorFeatures, measurementSets } from '../../../helpers/priorFeatures.js';
import { parsePriorBasis } from '../../../../host/cli/commands/benchCostmodel.js';
import { CostFeatureExtractor } from '../../../../host/cost/costFeatures.js';
import { shuffled } from '../../../../host/cost/costModel.js';
import { benchFleetPrior } from '../../../../host/cost/prior/benchPrior.js';
import { buildFleetPrior, type DeviceMeasurements } from '../../../../host/cost/prior/buildPrior.js';
import { PriorCostModel } from '../../../../host/cost/prior/priorCostModel.js';
import { selectMeasurements } from '../../../../host/cost/prior/selectMeasurements.js';
import { featureBasis, isConstantOutput, priorFeatureRow, validateFleetPrior, type FleetPrior } from '../../../../host/cost/prior/priorFile.js';
import type { Graph } from '../../../../host/ir/graph.js';
import { buildNb201Network, cellFromCode, formatNb201, NB201_SPACE_SIZE } from '../../../../host/spaces/nb201.js';

const codes = shuffled(NB201_SPACE_SIZE, 23).slice(0, 120);
const graphs: Graph[] = codes.map((c) => buildNb201Network(cellFromCode(c), { cellsPerStage: 2 }));
const extractor = new CostFeatureExtractor();
const kernels = featureBasis(graphs, extractor);
const positional = featureBasis(graphs, extractor, 'kernels+position');
const rows = graphs.map((g) => priorFeatureRow(kernels, g, extractor));
const live = graphs.map((g) => !isConstantOutput(g, extractor));
/** Which op sits on each edge, from the positional one-hots (independent of the prior's code: read off the graph's meta). */
const edgeOp = (i: number, edge: number): string =>
  (graphs[i]!.meta!.arch as string)
    .split('+')
    .flatMap((node) => node.split('|').filter(Boolean))
    .map((t) => t.split('~')[0]!)[edge]!;

function deviceWeights(seed: number): number[] {
  let s = seed;
  const rand = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  return Array.from({ length: kernels.features.length + 1 }, (_, j) => (j === 0 ? 2 : 0.05 + rand()));
}
const kernelCost = (w: readonly number[], i: number): number => (live[i] ? rows[i]!.reduce((a, v, j) => a + v * w[j]!, 0) : 0.3);
const typical = (w: readonly number[]): number => [...graphs.keys()].filter((i) => live[i]).map((i) => kernelCost(w, i)).sort((a, b) => a - b)[40]!;
/** 0-8% of a typical network per (edge, op): a fixed pseudo-random amount per pair. */
const edgeEffect = (edge: number, op: string): number => ((edge * 31 + op.length * 7 + op.charCodeAt(op.length - 1)) % 5) * 0.02;
/** A TensorRT-like device: kernel costs plus a surcharge that depends on which op sits on which cell edge. */
const positionalCost = (w: readonly number[], i: number): number =>
  kernelCost(w, i) + (live[i] ? typical(w) * [0, 1, 2, 3, 4, 5].reduce((a, e) => a + edgeEffect(e, edgeOp(i, e)), 0) : 0);
const measurements = (device: string, cost: (i: number) => number, metric: 'latency' | 'energy' = 'latency'): DeviceMeasurements => ({
  device,
  dataset: 'cifar10',
  metric,
  source: `synthetic ${device}`,
  samples: graphs.map((graph, i) => ({ graph, value: cost(i) })),
});
const refW = [1, 2, 3, 4].map(deviceWeights);
const heldW = deviceWeights(9);
/** `poisoned`: the held-out device's energy column, with a positional shape of its own, replaced by another shape. */
const fleetPrior = (poisoned = false): FleetPrior =>
  buildFleetPrior(
    [
      ...refW.map((w, d) => measurements('abcd'[d]!, (i) => kernelCost(w, i))),
      measurements('held', (i) => (poisoned ? kernelCost(deviceWeights(99), i) * (live[i] && edgeOp(i, 2) === 'avg_pool_3x3' ? 3 : 1) : positionalCost(heldW, i)), 'energy'),
    ],
    { description: 'synthetic', extractor, positional: true },
  );
const prior = fleetPrior();
const liveIdx = graphs.map((_, i) => i).filter((i) => live[i]);
const train = liveIdx.slice(0, 20);
const test = liveIdx.slice(40);

function fitted(device: (i: number) => number, pr: FleetPrior = prior, positionalOn = true, exclude = ['held'], on = train): PriorCostModel {
  const model = new PriorCostModel(pr, { excludeDevices: exclude, extractor, positional: positionalOn });
  model.fit(on.map((i) => ({ graph: graphs[i]!, value: device(i) })));
  return model;
}
const meanRelError = (model: PriorCostModel, device: (i: number) => number): number => test.reduce((a, i) => a + Math.abs(model.predict(graphs[i]!).value / device(i) - 1), 0) / test.length;
const positionalWeight = (model: PriorCostModel): number => (model.describe().basisWeights as Record<string, number>)['kernels+position']!;

describe('positional basis', () => {
  it('extends the kernel basis by nb201 edge one-hots, listed once under all/', () => {
    expect(positional.features.filter((f) => !f.startsWith('all/e:'))).toEqual(kernels.features);
    const edges = positional.features.filter((f) => f.startsWith('all/e:'));
    expect(edges).toHaveLength(6 * 4); // 6 edges × the 4 ops other than 'none'
    expect(edges).toContain('all/e:0:nor_conv_3x3');
  });

  it('the file carries both bases with the same references; the section is optional and validated by name', () => {
    const kept = JSON.parse(JSON.stringify(prior)) as FleetPrior;
    expect(validateFleetPrior(kept).positional!.references.map((r) => r.device)).toEqual(prior.references.map((r) => r.device));
    expect(kept.positional!.references[0]!.weights).toHaveLength(positional.features.length + 1);
    const kernelOnly = { ...kept, positional: undefined };
    delete kernelOnly.positional;
    expect(validateFleetPrior(kernelOnly).positional).toBeUndefined();
    expect(() => new PriorCostModel(kernelOnly, { positional: true })).toThrow(/no positional basis.*rebuild it with scripts\/buildCostPrior.ts/);
    // default: both bases when the file has the section, the kernel basis alone when it has not (old files)
    expect(new PriorCostModel(kernelOnly, { excludeDevices: ['held'] }).describe().bases).toEqual(['kernels']);
    expect(new PriorCostModel(kept, { excludeDevices: ['held'] }).describe().bases).toEqual(['kernels', 'kernels+position']);
    expect(new PriorCostModel(kept, { excludeDevices: ['held'], positional: false }).describe().bases).toEqual(['kernels']);
    const bad = JSON.parse(JSON.stringify(prior)) as FleetPrior;
    bad.positional!.references[2]!.weights.pop();
    expect(() => validateFleetPrior(bad, 'x.json')).toThrow(/positional.reference 2 \(c\): 'weights' must hold/);
    expect(() => validateFleetPrior({ ...kept, positional: { ...kept.positional!, features: ['all/x:1'] } }, 'x.json')).toThrow(/'positional.features' must be/);
  });
});

describe('model averaging over both bases', () => {
  it('a device whose cost depends on position moves its weight to the positional components and is priced better', () => {
    // a reference device (c) plus a positional surcharge: only the surcharge is outside the kernel basis
    const device = (i: number): number => 2.5 * positionalCost(refW[2]!, i);
    // 40 measurements: enough to see 24 positional coefficients (the bench figures say what 10 do on real devices)
    const on = liveIdx.slice(0, 40);
    const both = fitted(device, prior, true, ['held'], on);
    const kernelOnly = fitted(device, prior, false, ['held'], on);
    expect(positionalWeight(both)).toBeGreaterThan(0.9);
    expect(meanRelError(both, device)).toBeLessThan(0.5 * meanRelError(kernelOnly, device));
  });

  it('a device the kernel basis explains keeps its weight there: the evidence penalises the unused coefficients', () => {
    // exact (a scaled copy of a reference) and with 3% Gaussian noise (seeded Box–Muller)
    let seed = 5;
    const uniform = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const noise = graphs.map(() => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
    for (const level of [0, 0.03]) {
      const device = (i: number): number => 3 * kernelCost(refW[3]!, i) * (1 + level * noise[i]!);
      const both = fitted(device);
      expect(positionalWeight(both)).toBeLessThan(0.5);
      // and averaging costs it (almost) nothing against the kernel-only model
      expect(meanRelError(both, device)).toBeLessThan(meanRelError(fitted(device, prior, false), device) + 0.005);
    }
  });

  it('leave-one-device-out holds on both bases: poisoning the held-out device leaves predictions unchanged', () => {
    const device = (i: number): number => positionalCost(heldW, i);
    const predict = (pr: FleetPrior, exclude: string[]): number[] => {
      const model = fitted(device, pr, true, exclude);
      return test.map((i) => model.predict(graphs[i]!).value);
    };
    const poisoned = fleetPrior(true);
    // the poisoned column differs on the positional basis as well, so a leak through it would show
    const heldPos = (pr: FleetPrior): number[] => pr.positional!.references.find((r) => r.device === 'held')!.weights;
    expect(Math.max(...heldPos(poisoned).map((v, j) => Math.abs(v - heldPos(prior)[j]!)))).toBeGreaterThan(0.1);
    expect(predict(poisoned, ['held'])).toEqual(predict(prior, ['held']));
    const a = predict(poisoned, []);
    const b = predict(prior, []);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!) / b[i]!))).toBeGreaterThan(0.01);
  });

  it('the benchmark scores both prior models on the same cells, and poisoning the held-out device changes neither', async () => {
    const sub = codes.slice(0, 100).map((c) => formatNb201(cellFromCode(c)));
    const { full, ex, fb, rows: fr, constant: cst } = fullSizePriorFeatures(sub);
    const onEdge0 = sub.map((a) => a.startsWith('|nor_conv_3x3~0|'));
    const ws = [1, 2, 3, 5].map((seed) => Array.from({ length: fb.features.length + 1 }, (_, j) => (j === 0 ? 2 : 0.05 + ((seed * 7919 * (j + 1)) % 97) / 97)));
    const col = (w: number[], pos: number): number[] => fr.map((r, i) => (cst[i] ? 0.2 : r.reduce((a, v, j) => a + v * w[j]!, 0) * (onEdge0[i] ? pos : 1)));
    const run = async (poisoned: boolean): Promise<unknown> => {
      const columns = new Map<string, number[]>([
        ['cifar10_a_latency', col(ws[0]!, 1)],
        ['cifar10_b_latency', col(ws[1]!, 1)],
        ['cifar10_c_latency', col(ws[2]!, 1)],
        ['cifar10_held_latency', col(ws[3]!, 1.5)],
        ['cifar10_held_energy', poisoned ? col(ws[3]!.map((v, j) => (j % 2 ? 40 * v : v)), 4) : col(ws[3]!, 1.5)],
      ]);
      const sets = measurementSets(columns, full);
      const pr = buildFleetPrior(sets, { description: 'synthetic', extractor: ex, basisGraphs: full, positional: true });
      const out = await benchFleetPrior({
        truth: { archs: sub, columns },
        prior: pr,
        columns: ['cifar10_held_latency'],
        trains: [8],
        repeats: 2,
        seed: 0,
        baseline: 'none',
        autoWithPrior: false,
        priorBases: ['kernels', 'kernels+position'],
        select: 'random',
        extractor: ex,
      });
      return out.map((r) => ({ model: r.model, mean: r.mean, basisWeights: r.basisWeights }));
    };
    const clean = (await run(false)) as { model: string; basisWeights?: Record<string, number> }[];
    expect(clean.map((r) => r.model)).toEqual(['prior', 'prior+position']);
    expect(clean[0]!.basisWeights).toBeUndefined();
    expect(Object.keys(clean[1]!.basisWeights!).sort()).toEqual(['kernels', 'kernels+position']);
    expect(await run(true)).toEqual(clean);
  });
});

describe('measurement selection on the positional basis (experiment)', () => {
  it('picks k distinct input-dependent cells, deterministically, and refuses a prior without the section', () => {
    const picked = selectMeasurements(prior, graphs, 10, { excludeDevices: ['held'], extractor, positional: true });
    expect(new Set(picked).size).toBe(10);
    for (const i of picked) expect(live[i]).toBe(true);
    expect(selectMeasurements(prior, graphs, 10, { excludeDevices: ['held'], extractor, positional: true })).toEqual(picked);
    const kernelOnly = { ...prior, positional: undefined };
    expect(() => selectMeasurements(kernelOnly, graphs, 10, { extractor, positional: true })).toThrow(/needs a fleet prior with a 'positional' section/);
  });
});

describe('--prior-basis', () => {
  it('parses the list and names a bad entry', () => {
    expect(parsePriorBasis('kernels,kernels+position')).toEqual(['kernels', 'kernels+position']);
    expect(parsePriorBasis('kernels+position')).toEqual(['kernels+position']);
    expect(() => parsePriorBasis('kernels,position')).toThrow(/'position' is not 'kernels' or 'kernels\+position'/);
  });
});

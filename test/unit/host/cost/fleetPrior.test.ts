import { describe, expect, it } from 'vitest';
import { fullSizePriorFeatures, measurementSets } from '../../../helpers/priorFeatures.js';
import { join } from 'node:path';
import { parseTrain } from '../../../../host/cli/commands/benchCostmodel.js';
import { CostFeatureExtractor } from '../../../../host/cost/costFeatures.js';
import { createCostModel, shuffled } from '../../../../host/cost/costModel.js';
import { buildFleetPrior, type DeviceMeasurements } from '../../../../host/cost/prior/buildPrior.js';
import { benchFleetPrior } from '../../../../host/cost/prior/benchPrior.js';
import { choleskySolve, cholesky, inverseDiagonalFromCholesky } from '../../../../host/cost/prior/linalg.js';
import { looSpreadFactor, posterior, PriorCostModel } from '../../../../host/cost/prior/priorCostModel.js';
import {
  featureBasis,
  FLEET_PRIOR_VERSION,
  HWNASBENCH_PRIOR_PATH,
  isConstantOutput,
  loadFleetPrior,
  priorFeatureRow,
  validateFleetPrior,
  type FleetPrior,
} from '../../../../host/cost/prior/priorFile.js';
import { selectMeasurements } from '../../../../host/cost/prior/selectMeasurements.js';
import type { Graph } from '../../../../host/ir/graph.js';
import { buildNb201Network, cellFromCode, formatNb201, NB201_SPACE_SIZE } from '../../../../host/spaces/nb201.js';
import { runCli } from '../../../helpers/runCli.js';

// Small networks (2 cells per stage) keep feature extraction cheap; the prior's math does not depend on size.
const codes = shuffled(NB201_SPACE_SIZE, 11).slice(0, 120);
const graphs: Graph[] = codes.map((c) => buildNb201Network(cellFromCode(c), { cellsPerStage: 2 }));
const extractor = new CostFeatureExtractor();
const basis = featureBasis(graphs, extractor);
const p = basis.features.length + 1;
const rows = graphs.map((g) => priorFeatureRow(basis, g, extractor));
const live = graphs.map((g) => !isConstantOutput(g, extractor));

/** A synthetic device: exactly linear on the basis with positive per-feature costs drawn from `seed`. */
function deviceWeights(seed: number, n = p): number[] {
  let s = seed;
  const rand = (): number => ((s = (s * 16807) % 2147483647) / 2147483647);
  return Array.from({ length: n }, (_, j) => (j === 0 ? 2 : 0.05 + rand()));
}
const cost = (w: readonly number[], i: number): number => (live[i] ? rows[i]!.reduce((a, v, j) => a + v * w[j]!, 0) : 0.3);
const measurements = (device: string, w: readonly number[], metric: 'latency' | 'energy' = 'latency'): DeviceMeasurements => ({
  device,
  dataset: 'cifar10',
  metric,
  source: `synthetic ${device}`,
  samples: graphs.map((graph, i) => ({ graph, value: cost(w, i) })),
});

const refW = [deviceWeights(1), deviceWeights(2), deviceWeights(3), deviceWeights(4)];
/** `poisoned`: the held-out device's energy column replaced by another shape (not a rescaling, which references normalise away). */
const fleetPrior = (poisoned = false): FleetPrior =>
  buildFleetPrior(
    [
      measurements('a', refW[0]!),
      measurements('b', refW[1]!),
      measurements('c', refW[2]!),
      measurements('d', refW[3]!),
      // the held-out device's other metric: the same device, must never inform a model of 'held'
      measurements('held', poisoned ? deviceWeights(99).map((v, j) => (j % 2 ? 40 * v : v)) : deviceWeights(9), 'energy'),
    ],
    { description: 'synthetic', extractor },
  );

describe('fleet prior: linear algebra', () => {
  it('Cholesky solve matches a hand-solved 2×2 system', () => {
    const x = choleskySolve(cholesky([[4, 2], [2, 3]]), [2, 5]);
    expect(x[0]).toBeCloseTo(-0.5, 6);
    expect(x[1]).toBeCloseTo(2, 6);
  });

  it('posterior equals the weight-space (information form) solution', () => {
    // mean = (ΦᵀD⁻¹Φ + S⁻¹)⁻¹ (ΦᵀD⁻¹y + S⁻¹m0) for S = I: an independent formula for the same posterior
    const phi = [[1, 2], [1, -1], [1, 0.5]];
    const y = [3, 1, 2];
    const sigma = 0.1;
    const post = posterior(phi, y, [0.5, 0.5], [[1, 0], [0, 1]], sigma);
    const d = y.map((v) => (sigma * v) ** 2);
    const a = [[1, 0], [0, 1]];
    const b = [0.5, 0.5];
    phi.forEach((f, i) => {
      for (let r = 0; r < 2; r++) {
        b[r]! += (f[r]! * y[i]!) / d[i]!;
        for (let c = 0; c < 2; c++) a[r]![c]! += (f[r]! * f[c]!) / d[i]!;
      }
    });
    const expected = choleskySolve(cholesky(a), b);
    expect(post.mean[0]).toBeCloseTo(expected[0]!, 8);
    expect(post.mean[1]).toBeCloseTo(expected[1]!, 8);
  });
});

describe('fleet prior: leave-one-out and the calibrated spread', () => {
  it('the closed-form leave-one-out predictive equals refitting without the point', () => {
    const phi = [[1, 2, 0.3], [1, -1, 0.8], [1, 0.5, -0.2], [1, 1.5, 1.1], [1, -0.4, 0.6], [1, 0.9, -0.7]];
    const y = [3, 1, 2, 4.2, 0.9, 1.7];
    const m0 = [0.5, 0.5, 0.1];
    const s = [[1, 0.2, 0], [0.2, 0.5, 0.1], [0, 0.1, 2]];
    const sigma = 0.07;
    const { loo } = posterior(phi, y, m0, s, sigma);
    y.forEach((yi, i) => {
      const rest = posterior(phi.filter((_, j) => j !== i), y.filter((_, j) => j !== i), m0, s, sigma);
      const f = phi[i]!;
      const mean = f.reduce((a, v, j) => a + v * rest.mean[j]!, 0);
      const variance = f.reduce((a, v, r) => a + v * f.reduce((b, w, c) => b + w * rest.cov[r]![c]!, 0), 0) + (sigma * yi) ** 2;
      // 1e-7: the Cholesky factorisation's jitter (1e-10 of the mean diagonal) differs between the two fits
      expect(loo.mean[i]).toBeCloseTo(mean, 7);
      expect(loo.variance[i]).toBeCloseTo(variance, 7);
    });
  });

  it('the inverse diagonal from a Cholesky factor matches solving for each unit vector', () => {
    const a = [[4, 2, 0.5], [2, 3, 0.1], [0.5, 0.1, 2]];
    const l = cholesky(a);
    const diag = inverseDiagonalFromCholesky(l);
    diag.forEach((d, i) => expect(d).toBeCloseTo(choleskySolve(l, a.map((_, j) => (j === i ? 1 : 0)))[i]!, 12));
  });

  it('keeps the spread when Σz² is plausible for χ²ₙ, else rescales by median|z| / 0.6745; 1 below 5 measurements', () => {
    // one component with unit variance: z_i = |y_i|; Σz² = 7.4 for n = 10 (χ²₁₀'s central 95%: 3.2..20.5)
    const unit = (y: readonly number[]): { weight: number; loo: { mean: number[]; variance: number[] } }[] => [{ weight: 1, loo: { mean: y.map(() => 0), variance: y.map(() => 1) } }];
    const plausible = [0.1, -0.5, 0.2, 2.0, -0.05, 0.7, -1.2, 0.3, 0.9, -1.1];
    expect(looSpreadFactor(unit(plausible), plausible).factor).toBe(1);
    // ten times smaller: Σz² = 0.074, rejected; median |z| = (0.5 + 0.7)/2 / 10
    const tight = plausible.map((v) => v / 10);
    expect(looSpreadFactor(unit(tight), tight).factor).toBeCloseTo(0.06 / 0.6745, 12);
    // ten times larger: rejected the other way
    const wide = plausible.map((v) => v * 10);
    expect(looSpreadFactor(unit(wide), wide).factor).toBeCloseTo(6 / 0.6745, 12);
    expect(looSpreadFactor(unit(tight.slice(0, 4)), tight.slice(0, 4)).factor).toBe(1);
  });

  it('with several components, z is the residual under the mixture refitted without the point (brute force)', () => {
    const phi = [[1, 2, 0.3], [1, -1, 0.8], [1, 0.5, -0.2], [1, 1.5, 1.1], [1, -0.4, 0.6], [1, 0.9, -0.7], [1, 0.1, 0.2]];
    const y = [3, 1, 2, 4.2, 0.9, 1.7, 1.4];
    const designs = [
      { m0: [0.5, 0.5, 0.1], s: [[1, 0.2, 0], [0.2, 0.5, 0.1], [0, 0.1, 2]], sigma: 0.05 },
      { m0: [1, 1, 1], s: [[0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]], sigma: 0.2 },
      { m0: [2, 0, 0], s: [[0.5, 0, 0], [0, 2, 0], [0, 0, 2]], sigma: 0.01 },
    ];
    const fits = designs.map((d) => posterior(phi, y, d.m0, d.s, d.sigma));
    const top = Math.max(...fits.map((f) => f.logLik));
    const total = fits.reduce((a, f) => a + Math.exp(f.logLik - top), 0);
    const { z } = looSpreadFactor(fits.map((f) => ({ weight: Math.exp(f.logLik - top) / total, loo: f.loo })), y);
    y.forEach((yi, i) => {
      const keep = (_: unknown, j: number): boolean => j !== i;
      const f = phi[i]!;
      // each design refitted on the other points: its evidence of those points and its predictive of point i
      const parts = designs.map((d) => {
        const rest = posterior(phi.filter(keep), y.filter(keep), d.m0, d.s, d.sigma);
        const mean = f.reduce((a, v, j) => a + v * rest.mean[j]!, 0);
        const variance = f.reduce((a, v, r) => a + v * f.reduce((b, w, c) => b + w * rest.cov[r]![c]!, 0), 0) + (d.sigma * yi) ** 2;
        return { logLik: rest.logLik, mean, variance };
      });
      const best = Math.max(...parts.map((q) => q.logLik));
      const weights = parts.map((q) => Math.exp(q.logLik - best));
      const sum = weights.reduce((a, v) => a + v, 0);
      const mean = parts.reduce((a, q, c) => a + (weights[c]! / sum) * q.mean, 0);
      const second = parts.reduce((a, q, c) => a + (weights[c]! / sum) * (q.variance + q.mean ** 2), 0);
      expect(z[i]).toBeCloseTo(Math.abs(yi - mean) / Math.sqrt(second - mean * mean), 5);
    });
  });

  it('a model whose noise grid is far too wide for the device gets a band that covers about 68%, not all', () => {
    // noise-free device (a scaled reference) modelled with σ fixed at 25%: the uncalibrated band covers ~everything
    const trainSet = graphs.map((_, i) => i).filter((i) => live[i]).slice(0, 40);
    const testSet = graphs.map((_, i) => i).filter((i) => live[i] && !trainSet.includes(i));
    const value = (i: number): number => 2 * cost(refW[2]!, i) * (1 + 0.04 * Math.sin(7 * i));
    const coverage = (calibrateSpread: boolean): number => {
      const model = new PriorCostModel(fleetPrior(), { excludeDevices: ['held'], extractor, sigmas: [0.25], calibrateSpread });
      model.fit(trainSet.map((i) => ({ graph: graphs[i]!, value: value(i) })));
      return testSet.filter((i) => {
        const p = model.predict(graphs[i]!);
        return Math.abs(p.value - value(i)) <= p.uncertainty;
      }).length / testSet.length;
    };
    expect(coverage(false)).toBeGreaterThan(0.97);
    const calibrated = coverage(true);
    expect(calibrated).toBeGreaterThan(0.45);
    expect(calibrated).toBeLessThan(0.9);
  });
});

describe('fleet prior model', () => {
  const prior = fleetPrior();
  const train = graphs.map((_, i) => i).filter((i) => live[i]).slice(0, 10);
  const test = graphs.map((_, i) => i).filter((i) => live[i] && !train.includes(i));

  it('recovers a device that is an exact linear combination of reference devices from 10 measurements', () => {
    const w = refW[0]!.map((v, j) => 7 * (0.5 * v + 0.3 * refW[1]![j]! + 0.2 * refW[2]![j]!));
    const model = new PriorCostModel(prior, { excludeDevices: ['held'], extractor });
    model.fit(train.map((i) => ({ graph: graphs[i]!, value: cost(w, i) })));
    const errors = test.map((i) => Math.abs(model.predict(graphs[i]!).value - cost(w, i)) / cost(w, i));
    // not exactly 0: the references are ridge fits (priorFile.ts), so the fleet's span is the shrunk one
    expect(Math.max(...errors)).toBeLessThan(0.02);
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeLessThan(0.005);
  });

  it('puts its weight on the reference a device copies (scaled)', () => {
    const model = new PriorCostModel(prior, { excludeDevices: ['held'], extractor });
    model.fit(train.map((i) => ({ graph: graphs[i]!, value: 3 * cost(refW[3]!, i) })));
    const families = model.describe().familyWeights as Record<string, number>;
    expect(Object.keys(families)[0]).toBe('d/cifar10/latency');
    // within the ridge shrinkage of the reference fit
    for (const i of test) expect(Math.abs(model.predict(graphs[i]!).value / (3 * cost(refW[3]!, i)) - 1)).toBeLessThan(0.02);
  });

  it('leave-one-device-out never reads the held-out device: poisoning its columns leaves predictions unchanged', () => {
    const w = deviceWeights(9);
    const fit = (pr: FleetPrior): number[] => {
      const model = new PriorCostModel(pr, { excludeDevices: ['held'], extractor });
      model.fit(train.map((i) => ({ graph: graphs[i]!, value: cost(w, i) })));
      return test.map((i) => model.predict(graphs[i]!).value);
    };
    expect(fit(fleetPrior(true))).toEqual(fit(prior));
    // and it would matter if it were read
    const leaky = (pr: FleetPrior): number[] => {
      const model = new PriorCostModel(pr, { extractor });
      model.fit(train.map((i) => ({ graph: graphs[i]!, value: cost(w, i) })));
      return test.map((i) => model.predict(graphs[i]!).value);
    };
    const a = leaky(fleetPrior(true));
    const b = leaky(prior);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!) / b[i]!))).toBeGreaterThan(0.01);
  });

  it('uncertainty is positive and grows when measurements contradict the fleet', () => {
    const model = new PriorCostModel(prior, { excludeDevices: ['held'], extractor });
    model.fit(train.map((i) => ({ graph: graphs[i]!, value: cost(refW[0]!, i) * (1 + 0.3 * Math.sin(i)) })));
    const noisy = test.map((i) => model.predict(graphs[i]!).uncertainty / model.predict(graphs[i]!).value);
    const clean = new PriorCostModel(prior, { excludeDevices: ['held'], extractor });
    clean.fit(train.map((i) => ({ graph: graphs[i]!, value: cost(refW[0]!, i) })));
    const exact = test.map((i) => clean.predict(graphs[i]!).uncertainty / clean.predict(graphs[i]!).value);
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    expect(Math.min(...noisy)).toBeGreaterThan(0);
    expect(mean(noisy)).toBeGreaterThan(3 * mean(exact));
  });

  it("createCostModel('prior') needs a prior and builds the model; auto can select it", () => {
    expect(() => createCostModel('prior')).toThrow(/needs a fleet prior/);
    expect(createCostModel('prior', { prior, extractor }).name).toBe('prior');
    const w = refW[1]!.map((v) => 4 * v);
    const auto = createCostModel('auto', { prior, priorOptions: { excludeDevices: ['held'] }, extractor, execution: 'folded' });
    auto.fit(train.map((i) => ({ graph: graphs[i]!, value: cost(w, i) })));
    expect(auto.describe().selected).toBe('prior');
  });

  it('refuses a prior with no usable reference, naming what it holds', () => {
    expect(() => new PriorCostModel(prior, { excludeDevices: ['a', 'b', 'c', 'd', 'held'] })).toThrow(/no reference left.*a\/cifar10\/latency/);
  });
});

describe('measurement selection', () => {
  const prior = fleetPrior();
  it('picks k distinct input-dependent architectures, the first being the one the fleet disagrees about most', () => {
    const picked = selectMeasurements(prior, graphs, 10, { excludeDevices: ['held'], extractor });
    expect(new Set(picked).size).toBe(10);
    for (const i of picked) expect(live[i]).toBe(true);
    expect(selectMeasurements(prior, graphs, 10, { excludeDevices: ['held'], extractor })).toEqual(picked);
    // independent check of the first pick: relative costs of the reference devices, largest variance across them + iso
    const refs = prior.references.filter((r) => r.device !== 'held');
    const mean = refs[0]!.weights.map((_, j) => refs.reduce((a, r) => a + r.weights[j]!, 0) / refs.length);
    const iso = mean.reduce((acc, _, j) => acc + refs.reduce((a, r) => a + (r.weights[j]! - mean[j]!) ** 2, 0) / (refs.length - 1), 0) / mean.length;
    const score = (i: number): number => {
      const m = rows[i]!.reduce((a, v, j) => a + v * mean[j]!, 0);
      const psi = rows[i]!.map((v) => v / m);
      const dev = refs.map((r) => psi.reduce((a, v, j) => a + v * (r.weights[j]! - mean[j]!), 0));
      return dev.reduce((a, d) => a + d * d, 0) / (refs.length - 1) + iso * psi.reduce((a, v) => a + v * v, 0);
    };
    const best = graphs.map((_, i) => i).filter((i) => live[i]).reduce((b, i) => (score(i) > score(b) ? i : b));
    expect(picked[0]).toBe(best);
  });

  it('names the problem when too few candidates are usable', () => {
    expect(() => selectMeasurements(prior, graphs.slice(0, 3), 5, { extractor })).toThrow(/cannot select 5/);
    expect(() => selectMeasurements(prior, graphs, 0, { extractor })).toThrow(/positive integer, got 0/);
  });
});

describe('fleet prior file', () => {
  it('the shipped HW-NAS-Bench prior loads, validates and stays small', async () => {
    const prior = await loadFleetPrior('hwnasbench');
    expect(prior.version).toBe(FLEET_PRIOR_VERSION);
    const devices = new Set(prior.references.map((r) => r.device));
    for (const d of ['edgegpu', 'raspi4', 'edgetpu', 'pixel3', 'eyeriss', 'fpga']) expect(devices.has(d)).toBe(true);
    const { statSync } = await import('node:fs');
    expect(statSync(HWNASBENCH_PRIOR_PATH).size).toBeLessThan(200_000);
  });

  it('a wrong version or a malformed reference is a clear error', () => {
    const good = JSON.parse(JSON.stringify(fleetPrior())) as FleetPrior;
    expect(() => validateFleetPrior({ ...good, version: 99 }, 'x.json')).toThrow(/version 99 is not supported.*reads version 1/);
    expect(() => validateFleetPrior({ ...good, format: 'other' }, 'x.json')).toThrow(/format is "other"/);
    const bad = JSON.parse(JSON.stringify(good)) as FleetPrior;
    bad.references[1]!.weights.pop();
    expect(() => validateFleetPrior(bad, 'x.json')).toThrow(/reference 1 \(b\): 'weights' must hold/);
    expect(validateFleetPrior(good).references).toHaveLength(5);
  });
});

describe('bench costmodel --prior', () => {
  it('parses --train lists and names a bad entry', () => {
    expect(parseTrain('10,25,100')).toEqual([10, 25, 100]);
    expect(parseTrain('10')).toEqual([10]);
    expect(() => parseTrain('10,x')).toThrow(/'x' is not an integer/);
  });

  it('the CLI routes --prior to the fleet benchmark and names a bad prior file or --train entry', async () => {
    const hw = join(import.meta.dirname, '../../../../../shared/data/hw/hwnasbench_nb201.csv');
    const missing = await runCli(['bench', 'costmodel', '--truth', hw, '--prior', '/nonexistent/prior.json', '--train', '10,25', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ code: 'ZN_IO', message: expect.stringMatching(/cannot read fleet prior '\/nonexistent\/prior.json'/) });
    const badTrain = await runCli(['bench', 'costmodel', '--truth', hw, '--prior', 'hwnasbench', '--train', '10,x', '--json']);
    expect(JSON.parse(badTrain.stdout)).toMatchObject({ code: 'ZN_BAD_ARGUMENT', message: expect.stringMatching(/--train: 'x' is not an integer/) });
    const noColumn = await runCli(['bench', 'costmodel', '--truth', hw, '--train', '10', '--json']);
    expect(JSON.parse(noColumn.stdout)).toMatchObject({ code: 'ZN_BAD_ARGUMENT', message: expect.stringMatching(/--column is required/) });
  });

  it('the benchmark holds the device out: poisoning its other columns changes no prior figure', async () => {
    // A truth table with the synthetic devices as HW-NAS-Bench-style columns (full-size nb201 names, 2-cell graphs are
    // rebuilt by the bench at full size, so the table gets its values from full-size graphs too).
    const sub = codes.slice(0, 40).map((c) => formatNb201(cellFromCode(c)));
    const { full, ex, fb, rows: fr, constant: cst } = fullSizePriorFeatures(sub);
    const ws = [1, 2, 3, 5].map((seed) => deviceWeights(seed, fb.features.length + 1));
    const col = (w: number[]): number[] => fr.map((r, i) => (cst[i] ? 0.2 : r.reduce((a, v, j) => a + v * w[j]!, 0)));
    const run = async (poisoned: boolean): Promise<unknown> => {
      const columns = new Map<string, number[]>([
        ['cifar10_a_latency', col(ws[0]!)],
        ['cifar10_b_latency', col(ws[1]!)],
        ['cifar10_c_latency', col(ws[2]!)],
        ['cifar10_held_latency', col(ws[3]!)],
        ['cifar10_held_energy', col(poisoned ? ws[3]!.map((v, j) => (j % 2 ? 40 * v : v)) : ws[3]!)],
      ]);
      const truth = { archs: sub, columns };
      const sets = measurementSets(columns, full);
      const prior = buildFleetPrior(sets, { description: 'synthetic', extractor: ex, basisGraphs: full });
      const rows = await benchFleetPrior({ truth, prior, columns: ['cifar10_held_latency'], trains: [8], repeats: 2, seed: 0, baseline: 'none', select: 'random', extractor: ex });
      return rows.map((r) => r.mean);
    };
    expect(await run(true)).toEqual(await run(false));
  });
});

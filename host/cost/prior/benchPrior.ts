/**
 * `zeronas bench costmodel --prior`: the fleet prior against today's per-device model, leave-one-device-out.
 * For each held-out cost column (device D, dataset, metric) and each k: the prior model uses only references of
 * other devices (every column of D — other datasets, the other metric — is excluded, PriorCostModel's
 * `excludeDevices`), and the per-device baseline (`auto` by default) sees only D's k measurements. Both models get
 * the same k architectures per repeat: a seeded random draw, or the prior's D-optimal selection
 * (selectMeasurements.ts, computed with D excluded too) from a seeded random pool. Scored on every other
 * architecture: Spearman, Kendall, share within ±10%, MAPE, RMSE, and the share of truths inside the ±1σ band of
 * the model's own uncertainty. `priorBases` scores the prior model once per basis choice on the same cells: row
 * `prior` (kernel counts) and row `prior+position` (averaging over kernel-count and positional components).
 */
import { ZeronasError } from '../../../shared/errors.js';
import type { Graph } from '../../ir/graph.js';
import { buildNb201Network, NB201_DATASETS } from '../../spaces/nb201.js';
import { predictAll, scorePredictions, type BenchMetrics, type TruthTable } from '../benchCostModel.js';
import { CostFeatureExtractor } from '../costFeatures.js';
import { createCostModel, shuffled, type CostModel, type CostModelKind } from '../costModel.js';
import { parseCostColumn } from './buildPrior.js';
import { PriorCostModel } from './priorCostModel.js';
import type { BasisKind, FleetPrior } from './priorFile.js';
import { selectMeasurements } from './selectMeasurements.js';

/** random; prior: D-optimal on the kernel basis; prior+position: D-optimal on the positional basis (experiment). */
export type MeasurementSelection = 'random' | 'prior' | 'prior+position';

export interface FleetBenchOptions {
  truth: TruthTable;
  prior: FleetPrior;
  /** Cost columns to hold out in turn; default every latency/energy column of `dataset`. */
  columns?: readonly string[];
  /** Dataset whose columns are evaluated when `columns` is not given; default cifar10. */
  dataset?: string;
  trains: readonly number[];
  repeats: number;
  seed: number;
  /** Per-device model printed beside the prior; 'none' to skip it. */
  baseline: CostModelKind | 'none';
  /** Also score `auto` with the prior model among its candidates (row 'auto+prior'); default true. */
  autoWithPrior?: boolean;
  select: MeasurementSelection;
  /** Prior models to score: 'kernels' (row 'prior') and/or 'kernels+position' (row 'prior+position'); default ['kernels+position'] when the prior has the section, else ['kernels']. auto+prior uses the first. */
  priorBases?: readonly BasisKind[];
  /** Candidate pool for `select: prior` (seeded random subset of the valid architectures); default 3000. */
  pool?: number;
  extractor?: CostFeatureExtractor;
  onProgress?: (message: string) => void;
}

export interface FleetMetrics extends BenchMetrics {
  /** Share of test architectures whose truth lies within prediction ± uncertainty. */
  coverage1Sigma: number;
}

export interface FleetBenchRow {
  column: string;
  device: string;
  train: number;
  model: string;
  select: MeasurementSelection;
  test: number;
  repeats: number;
  mean: FleetMetrics;
  std: FleetMetrics;
  /** Prior model: mean weight of each prior family (fleet, or a reference device) over repeats. */
  familyWeights?: Record<string, number>;
  /** Prior model with both bases: mean weight of each basis over repeats. */
  basisWeights?: Record<string, number>;
  /** auto models: how often each candidate was selected over repeats. */
  selected?: Record<string, number>;
  /** Prior model: mean ±1σ coverage of the mixture's own spread, before the leave-one-out calibration (priorCostModel.ts looSpreadFactor). */
  coverage1SigmaUncalibrated?: number;
  /** Prior model: mean calibration factor applied to the mixture's spread. */
  spreadFactor?: number;
}

const METRICS = ['rmse', 'mape', 'within10', 'spearman', 'kendall', 'coverage1Sigma'] as const;

/** Row name of the prior model on a basis choice. */
export function priorRowName(basis: BasisKind): string {
  return basis === 'kernels' ? 'prior' : 'prior+position';
}

export function costColumns(truth: TruthTable, dataset: string): string[] {
  return [...truth.columns.keys()].filter((c) => parseCostColumn(c)?.dataset === dataset);
}

export async function benchFleetPrior(options: FleetBenchOptions): Promise<FleetBenchRow[]> {
  const { truth, prior, repeats, seed } = options;
  const columns = options.columns ?? costColumns(truth, options.dataset ?? 'cifar10');
  if (columns.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', `no latency/energy column of dataset '${options.dataset ?? 'cifar10'}' in the ground-truth table`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new ZeronasError('ZN_BAD_ARGUMENT', `--repeats must be a positive integer, got ${repeats}`);
  const extractor = options.extractor ?? new CostFeatureExtractor();
  const graphsByDataset = new Map<string, Graph[]>();
  const rows: FleetBenchRow[] = [];
  for (const column of columns) {
    const parsed = parseCostColumn(column);
    const values = truth.columns.get(column);
    if (!parsed || !values) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `column '${column}' is not a <dataset>_<device>_<latency|energy> column of the ground-truth table; cost columns: ${[...truth.columns.keys()].filter((c) => parseCostColumn(c)).join(', ')}`);
    }
    let graphs = graphsByDataset.get(parsed.dataset);
    if (!graphs) {
      graphs = truth.archs.map((a) => buildNb201Network(a, NB201_DATASETS[parsed.dataset]));
      graphsByDataset.set(parsed.dataset, graphs);
    }
    const valid = values.map((_, i) => i).filter((i) => Number.isFinite(values[i]!) && values[i]! > 0);
    for (const train of options.trains) {
      if (!Number.isInteger(train) || train < 3 || train >= valid.length) throw new ZeronasError('ZN_BAD_ARGUMENT', `--train must hold integers in 3..${valid.length - 1}, got ${train}`);
      const per = new Map<string, (FleetMetrics & { families?: Record<string, number>; basisWeights?: Record<string, number>; selected?: string; spreadFactor?: number; rawCoverage?: number })[]>();
      for (let r = 0; r < repeats; r++) {
        const order = shuffled(valid.length, seed * 1000 + r).map((i) => valid[i]!);
        let trainIdx: number[];
        if (options.select === 'prior' || options.select === 'prior+position') {
          const pool = order.slice(0, Math.min(order.length, options.pool ?? 3000));
          const picked = selectMeasurements(prior, pool.map((i) => graphs[i]!), train, { excludeDevices: [parsed.device], dataset: parsed.dataset, extractor, positional: options.select === 'prior+position' });
          trainIdx = picked.map((j) => pool[j]!);
        } else {
          trainIdx = order.slice(0, train);
        }
        const inTrain = new Set(trainIdx);
        const testIdx = valid.filter((i) => !inTrain.has(i));
        const samples = trainIdx.map((i) => ({ graph: graphs[i]!, value: values[i]! }));
        const truthTest = testIdx.map((i) => values[i]!);
        const bases = options.priorBases ?? [prior.positional ? 'kernels+position' : 'kernels'];
        const priorOptions = { excludeDevices: [parsed.device], dataset: parsed.dataset, positional: bases[0] === 'kernels+position' };
        const models: [string, CostModel][] = bases.map((b) => [priorRowName(b), new PriorCostModel(prior, { ...priorOptions, positional: b === 'kernels+position', extractor })]);
        if (options.baseline !== 'none') models.push([options.baseline, createCostModel(options.baseline, { extractor, seed: seed * 1000 + r })]);
        if (options.autoWithPrior ?? true) models.push(['auto+prior', createCostModel('auto', { extractor, seed: seed * 1000 + r, prior, priorOptions })]);
        for (const [name, model] of models) {
          model.fit(samples);
          const preds = predictAll(model, testIdx.map((i) => graphs[i]!));
          const m = scorePredictions(preds.map((p) => p.value), truthTest);
          const coverage1Sigma = preds.filter((p, t) => Math.abs(p.value - truthTest[t]!) <= p.uncertainty).length / preds.length;
          const d = model.describe();
          const families = model instanceof PriorCostModel ? (d.familyWeights as Record<string, number>) : undefined;
          const basisWeights = model instanceof PriorCostModel && (d.bases as string[]).length > 1 ? (d.basisWeights as Record<string, number>) : undefined;
          const selected = typeof d.selected === 'string' ? d.selected : undefined;
          // the same predictions with the mixture's own spread (the calibration only scales the spread)
          const spreadFactor = model instanceof PriorCostModel ? (d.spreadFactor as number) : undefined;
          const rawCoverage = spreadFactor === undefined ? undefined : preds.filter((p, t) => Math.abs(p.value - truthTest[t]!) <= p.uncertainty / spreadFactor).length / preds.length;
          if (!per.has(name)) per.set(name, []);
          per.get(name)!.push({ ...m, coverage1Sigma, ...(families ? { families } : {}), ...(basisWeights ? { basisWeights } : {}), ...(selected ? { selected } : {}), ...(spreadFactor === undefined ? {} : { spreadFactor, rawCoverage }) });
          const onPosition = basisWeights ? `, weight on positional components ${(basisWeights['kernels+position'] ?? 0).toFixed(2)}` : '';
          const raw = rawCoverage === undefined ? '' : ` (uncalibrated ${(100 * rawCoverage).toFixed(1)}%, spread ×${spreadFactor!.toFixed(2)})`;
          options.onProgress?.(`${column} k=${train} repeat ${r + 1}/${repeats} ${name}${selected ? ` (${selected})` : ''}${onPosition}: spearman ${m.spearman.toFixed(3)}, within ±10% ${(100 * m.within10).toFixed(1)}%, ±1σ coverage ${(100 * coverage1Sigma).toFixed(1)}%${raw}`);
        }
      }
      for (const [model, list] of per) {
        type Entry = (typeof list)[number];
        const mean = (f: (x: Entry) => number): number => list.reduce((a, x) => a + f(x), 0) / list.length;
        const std = (f: (x: Entry) => number): number => {
          const m = mean(f);
          return list.length > 1 ? Math.sqrt(list.reduce((a, x) => a + (f(x) - m) ** 2, 0) / (list.length - 1)) : 0;
        };
        const selected = new Map<string, number>();
        for (const x of list) if (x.selected) selected.set(x.selected, (selected.get(x.selected) ?? 0) + 1);
        const families = new Map<string, number>();
        for (const x of list) for (const [k, v] of Object.entries(x.families ?? {})) families.set(k, (families.get(k) ?? 0) + v / list.length);
        const basisWeights = new Map<string, number>();
        for (const x of list) for (const [k, v] of Object.entries(x.basisWeights ?? {})) basisWeights.set(k, (basisWeights.get(k) ?? 0) + v / list.length);
        rows.push({
          column,
          device: parsed.device,
          train,
          model,
          select: options.select,
          test: valid.length - train,
          repeats,
          mean: Object.fromEntries(METRICS.map((k) => [k, mean((x) => x[k])])) as unknown as FleetMetrics,
          std: Object.fromEntries(METRICS.map((k) => [k, std((x) => x[k])])) as unknown as FleetMetrics,
          ...(selected.size > 0 ? { selected: Object.fromEntries(selected) } : {}),
          ...(list.every((x) => x.rawCoverage !== undefined) ? { coverage1SigmaUncalibrated: mean((x) => x.rawCoverage!), spreadFactor: Number(mean((x) => x.spreadFactor!).toFixed(4)) } : {}),
          ...(basisWeights.size > 0 ? { basisWeights: Object.fromEntries([...basisWeights].map(([k, v]) => [k, Number(v.toFixed(3))])) } : {}),
          ...(families.size > 0 ? { familyWeights: Object.fromEntries([...families].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => [k, Number(v.toFixed(3))])) } : {}),
        });
      }
    }
  }
  return rows;
}

/**
 * `zeronas bench costmodel`: how well a cost model predicts measured costs of a whole search space. For each
 * repeat r: draw k architectures at random (seed + r), fit, predict all the others, and score RMSE, MAPE, the share
 * within ±10% (|ŷ − y| ≤ 0.1·y), Spearman's ρ and Kendall's τ-b (host/stats, ALGORITHMS.md §0.6). Reports the mean
 * and standard deviation over repeats, beside the noise ceiling: how well the same device's CIFAR-10 and CIFAR-100
 * measurements of the same network agree (same work up to the 10-vs-100-way classifier), i.e. how reproducible
 * the ground truth itself is. Ground truth is used only to fit on the k training architectures and to score the rest.
 */
import { readFile } from 'node:fs/promises';
import { ZeronasError } from '../../shared/errors.js';
import type { Graph } from '../ir/graph.js';
import { buildNb201Network, isNb201Disconnected, NB201_DATASETS, parseNb201, type Nb201Dataset } from '../spaces/nb201.js';
import { kendallTauB, spearman } from '../stats/index.js';
import { CostFeatureExtractor } from './costFeatures.js';
import { createCostModel, ForestCostModel, shuffled, type CostModel, type CostModelKind, type CostPrediction } from './costModel.js';
import { EXECUTION_HYPOTHESES, type ExecutionHypothesis } from './execution.js';
import { loadLookupTable } from './lookupTable.js';

export interface TruthTable {
  archs: string[];
  columns: Map<string, number[]>;
}

/** Reads a CSV keyed by `arch_str` (HW-NAS-Bench layout); numeric columns only, empty or non-numeric cells NaN. */
export async function loadTruthCsv(path: string): Promise<TruthTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot read ground-truth CSV '${path}': ${(err as Error).message}`, { path }, err);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]?.split(',') ?? [];
  const archIndex = header.indexOf('arch_str');
  if (archIndex < 0) throw new ZeronasError('ZN_BAD_DATA', `ground-truth CSV '${path}' has no 'arch_str' column; columns: ${header.join(', ')}`);
  const archs: string[] = [];
  const columns = new Map<string, number[]>(header.map((h) => [h, [] as number[]]));
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    archs.push(cells[archIndex]!);
    header.forEach((h, j) => columns.get(h)!.push(cells[j] === undefined || cells[j] === '' ? NaN : Number(cells[j])));
  }
  return { archs, columns };
}

export interface BenchMetrics {
  rmse: number;
  mape: number;
  within10: number;
  spearman: number;
  kendall: number;
}

const METRIC_NAMES = ['rmse', 'mape', 'within10', 'spearman', 'kendall'] as const;

export function scorePredictions(predicted: readonly number[], truth: readonly number[]): BenchMetrics {
  let se = 0;
  let ape = 0;
  let within = 0;
  truth.forEach((y, i) => {
    const d = predicted[i]! - y;
    se += d * d;
    ape += Math.abs(d) / y;
    if (Math.abs(d) <= 0.1 * y) within++;
  });
  const n = truth.length;
  return { rmse: Math.sqrt(se / n), mape: ape / n, within10: within / n, spearman: spearman(predicted, truth), kendall: kendallTauB(predicted, truth) };
}

export interface NoiseCeiling {
  reference: string;
  other: string;
  /** Architectures with a valid value in both columns. */
  n: number;
  /** Share with |other − reference| ≤ 0.1·reference, over all cells, and over cells whose output depends on the input. */
  within10: number;
  within10Connected: number;
  spearman: number;
  kendall: number;
}

/** The CIFAR-10 vs CIFAR-100 agreement for the device/metric of `column` (e.g. cifar10_raspi4_latency). */
export function noiseCeiling(truth: TruthTable, column: string): NoiseCeiling | undefined {
  const m = /^(cifar10|cifar100|imagenet16)_(.+)$/.exec(column);
  if (!m) return undefined;
  const reference = `cifar10_${m[2]}`;
  const other = `cifar100_${m[2]}`;
  const a = truth.columns.get(reference);
  const b = truth.columns.get(other);
  if (!a || !b) return undefined;
  const idx = a.map((_, i) => i).filter((i) => a[i]! > 0 && b[i]! > 0);
  const connected = idx.filter((i) => !isNb201Disconnected(parseNb201(truth.archs[i]!)));
  const within = (ids: number[]): number => ids.filter((i) => Math.abs(b[i]! - a[i]!) <= 0.1 * a[i]!).length / ids.length;
  const xa = idx.map((i) => a[i]!);
  const xb = idx.map((i) => b[i]!);
  return { reference, other, n: idx.length, within10: within(idx), within10Connected: within(connected), spearman: spearman(xb, xa), kendall: kendallTauB(xb, xa) };
}

export interface CostModelBenchOptions {
  truth: TruthTable;
  column: string;
  train: number;
  repeats: number;
  model: CostModelKind;
  seed: number;
  execution?: ExecutionHypothesis | 'auto';
  lutPath?: string;
  /** Reuse features across calls on the same architectures (a script benchmarking several columns). */
  extractor?: CostFeatureExtractor;
  /** Called after each repeat (progress to stderr). */
  onRepeat?: (r: number, metrics: BenchMetrics, selected: string) => void;
}

export interface CostModelBenchResult {
  column: string;
  model: CostModelKind;
  execution: string;
  train: number;
  test: number;
  repeats: number;
  seed: number;
  mean: BenchMetrics;
  std: BenchMetrics;
  perRepeat: (BenchMetrics & { selected: string })[];
  noiseCeiling?: NoiseCeiling;
}

function datasetOfColumn(column: string): Nb201Dataset {
  const prefix = column.split('_')[0]!;
  if (!(prefix in NB201_DATASETS)) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `column '${column}' does not start with a dataset (${Object.keys(NB201_DATASETS).join(', ')})`);
  }
  return prefix as Nb201Dataset;
}

/** Runs the benchmark; pure apart from reading an optional LUT file. */
export async function benchCostModel(options: CostModelBenchOptions): Promise<CostModelBenchResult> {
  const { truth, column, train, repeats, seed } = options;
  const values = truth.columns.get(column);
  if (!values || column === 'arch_str') {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `column '${column}' is not in the ground-truth CSV; numeric columns: ${[...truth.columns.keys()].filter((c) => c !== 'arch_str' && c !== 'index').join(', ')}`);
  }
  const valid = values.map((_, i) => i).filter((i) => Number.isFinite(values[i]!) && values[i]! > 0);
  if (!Number.isInteger(train) || train < 3 || train >= valid.length) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--train must be an integer in 3..${valid.length - 1}, got ${train}`);
  }
  if (!Number.isInteger(repeats) || repeats < 1) throw new ZeronasError('ZN_BAD_ARGUMENT', `--repeats must be a positive integer, got ${repeats}`);
  const dataset = datasetOfColumn(column);
  const graphs: Graph[] = valid.map((i) => buildNb201Network(truth.archs[i]!, NB201_DATASETS[dataset]));
  const y = valid.map((i) => values[i]!);
  const extractor = options.extractor ?? new CostFeatureExtractor();
  const lut = options.lutPath ? await loadLookupTable(options.lutPath) : undefined;
  const perRepeat: CostModelBenchResult['perRepeat'] = [];
  for (let r = 0; r < repeats; r++) {
    const order = shuffled(graphs.length, seed * 1000 + r);
    const trainIdx = order.slice(0, train);
    const testIdx = order.slice(train);
    const model: CostModel = createCostModel(options.model, {
      extractor,
      seed: seed * 1000 + r,
      ...(options.execution ? { execution: options.execution } : {}),
      ...(lut ? { lut } : {}),
    });
    model.fit(trainIdx.map((i) => ({ graph: graphs[i]!, value: y[i]! })));
    const testGraphs = testIdx.map((i) => graphs[i]!);
    const preds: CostPrediction[] = predictAll(model, testGraphs);
    const metrics = scorePredictions(preds.map((p) => p.value), testIdx.map((i) => y[i]!));
    const d = model.describe();
    const selected = String(d.selected ?? d.model ?? model.name);
    perRepeat.push({ ...metrics, selected });
    options.onRepeat?.(r, metrics, selected);
  }
  const stat = (f: (v: number[]) => number): BenchMetrics =>
    Object.fromEntries(METRIC_NAMES.map((m) => [m, f(perRepeat.map((p) => p[m]))])) as unknown as BenchMetrics;
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const std = (v: number[]): number => {
    const m = mean(v);
    return v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0;
  };
  const ceiling = noiseCeiling(truth, column);
  return {
    column,
    model: options.model,
    execution: options.execution ?? 'auto',
    train,
    test: graphs.length - train,
    repeats,
    seed,
    mean: stat(mean),
    std: stat(std),
    perRepeat,
    ...(ceiling ? { noiseCeiling: ceiling } : {}),
  };
}

/** Predictions for many graphs (a forest, also inside `auto`, predicts them in one batch). */
export function predictAll(model: CostModel, graphs: Graph[]): CostPrediction[] {
  const inner = (model.describe().selected !== undefined && 'selected' in model ? (model as unknown as { selected: CostModel }).selected : model);
  if (inner instanceof ForestCostModel) return inner.predictMany(graphs);
  return graphs.map((g) => model.predict(g));
}

export { EXECUTION_HYPOTHESES };

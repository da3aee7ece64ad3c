/**
 * Cost models (latency or energy) behind one interface: fit on measured architectures, predict value ± uncertainty.
 *  - `linear` (regression on kernel counts, optionally plus analytic totals): y ≈ w₀ + Σ_c w_c·n_c, n_c the
 *    executed kernels of class c under an execution hypothesis (execution.ts), fitted to minimise the mean absolute
 *    percentage error with a small ridge (regression.ts explains why L1 on relative error). Few parameters, so it
 *    fits from ~10 architectures (few-shot mode).
 *  - `forest` (ml-random-forest): a tree ensemble on all feature families of all hypotheses (+ the LUT sum when a
 *    table is given); captures interactions and positional effects given a few hundred architectures.
 *  - `lut`: the lookup-table sum with a fitted end-to-end correction y ≈ a + b·Σ_k n_k·median_k (HARDWARE.md §5.3:
 *    per-kernel sums are biased by fusion and per-run overheads; calibrate against whole-model runs).
 *  - `prior`: starts from the fleet's reference devices and adapts from the device's own measurements
 *    (prior/priorCostModel.ts); needs a fleet prior file (prior/priorFile.ts).
 *  - `auto`: picks among candidates by cross-validation on the training set only (leave-one-out up to 30 samples,
 *    else 3-fold), by out-of-fold Spearman (MAPE as tie-break) or MAPE, then refits the winner on all samples.
 * Architectures whose output does not depend on their input form their own group in every model: a converter may
 * fold them to a constant (HW-NAS-Bench's TFLite devices time most of them at ~0.01 ms) or run them in full, so
 * they are predicted as the median of such training samples; without any, as 0 when the hypothesis runs no
 * kernel, else by the fitted model.
 * Energy models use the same classes; only the target column differs.
 */
import { RandomForestRegression } from 'ml-random-forest';
import { ZeronasError } from '../../shared/errors.js';
import { mulberry32 } from '../ir/init.js';
import { spearman } from '../stats/index.js';
import type { Graph } from '../ir/graph.js';
import { CostFeatureExtractor, featureNames, featureRow, type CostFeatures } from './costFeatures.js';
import { EXECUTION_HYPOTHESES, type ExecutionHypothesis } from './execution.js';
import { predictFromLut, type LookupTable, type LutPrediction } from './lookupTable.js';
import { PriorCostModel, type PriorCostModelOptions } from './prior/priorCostModel.js';
import type { FleetPrior } from './prior/priorFile.js';
import { dot, fitLinear, median, type RegressionLoss } from './regression.js';

export interface CostSample {
  graph: Graph;
  /** Measured latency (ms) or energy (mJ). */
  value: number;
}

export interface CostPrediction {
  value: number;
  /** One-sigma-like spread in the unit of `value` (model-specific, see each class). */
  uncertainty: number;
}

export interface CostModel {
  readonly name: string;
  fit(samples: readonly CostSample[]): void;
  predict(graph: Graph): CostPrediction;
  describe(): Record<string, unknown>;
}

export const COST_MODEL_KINDS = ['auto', 'linear', 'forest', 'lut', 'prior'] as const;
export type CostModelKind = (typeof COST_MODEL_KINDS)[number];

function checkSamples(samples: readonly CostSample[], min: number, model: string): void {
  if (samples.length < min) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `${model} cost model needs at least ${min} measured architectures, got ${samples.length}`);
  }
  samples.forEach((s, i) => {
    if (!Number.isFinite(s.value) || s.value < 0) {
      throw new ZeronasError('ZN_BAD_DATA', `sample ${i} ('${s.graph.name}') has value ${s.value}; expected a finite non-negative measurement`);
    }
  });
}

/** Median of the folded group's training values (0 when the training set has none). */
class FoldedGroup {
  private values: number[] = [];
  get size(): number {
    return this.values.length;
  }
  fit(values: number[]): void {
    this.values = values;
  }
  predict(fallbackSpread: number): CostPrediction {
    if (this.values.length === 0) return { value: 0, uncertainty: fallbackSpread };
    const m = median(this.values);
    return { value: m, uncertainty: median(this.values.map((v) => Math.abs(v - m))) * 1.4826 || m };
  }
}

export interface LinearCostModelOptions {
  execution: ExecutionHypothesis;
  /** `counts`: executed kernel classes; `counts+analytic`: plus MACs, params, memory traffic, layers, NN-Degree. */
  features?: 'counts' | 'counts+analytic';
  loss?: RegressionLoss;
  /** Ridge λ on standardised features, relative to the mean sample weight; default 1e-4. */
  ridge?: number;
  extractor?: CostFeatureExtractor;
}

/**
 * y ≈ w₀ + Σ_j w_j·x_j/σ_j over the chosen features (σ_j their training standard deviation; constant and duplicate
 * columns dropped). Uncertainty = 1.4826 · median |relative training residual| · prediction.
 */
export class LinearCostModel implements CostModel {
  readonly name: string;
  private readonly extractor: CostFeatureExtractor;
  private names: string[] = [];
  private scale: number[] = [];
  private weights: number[] = [];
  private relSpread = 0;
  private readonly folded = new FoldedGroup();

  constructor(private readonly options: LinearCostModelOptions) {
    this.extractor = options.extractor ?? new CostFeatureExtractor();
    this.name = `linear(${options.execution},${options.features ?? 'counts'},${options.loss ?? 'relL1'})`;
  }

  fit(samples: readonly CostSample[]): void {
    checkSamples(samples, 2, 'linear');
    const feats = samples.map((s) => this.extractor.features(s.graph, this.options.execution));
    const active = samples.map((_, i) => !feats[i]!.isConstantOutput);
    this.folded.fit(samples.filter((_, i) => !active[i]).map((s) => s.value));
    const train = feats.filter((_, i) => active[i]);
    const y = samples.filter((_, i) => active[i]).map((s) => s.value);
    if (train.length === 0) {
      this.names = [];
      this.weights = [median(samples.map((s) => s.value))];
      return;
    }
    const analytic = this.options.features === 'counts+analytic';
    const candidates = featureNames(train, (n) => n.startsWith('k:') || (analytic && n.startsWith('a:')));
    const raw = train.map((f) => featureRow(f, candidates));
    // Keep non-constant columns, first of each set of identical (after scaling) columns.
    const keep: number[] = [];
    const seen = new Set<string>();
    const scale: number[] = [];
    candidates.forEach((_, j) => {
      const col = raw.map((r) => r[j]!);
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length);
      if (!(sd > 1e-12 * Math.max(1, Math.abs(mean)))) return;
      const signature = col.map((v) => ((v - mean) / sd).toFixed(9)).join(',');
      if (seen.has(signature)) return;
      seen.add(signature);
      keep.push(j);
      scale.push(sd);
    });
    this.names = keep.map((j) => candidates[j]!);
    this.scale = scale;
    const x = raw.map((r) => [1, ...keep.map((j, t) => r[j]! / scale[t]!)]);
    const penalise = [false, ...keep.map(() => true)];
    this.weights = fitLinear(x, y, this.options.loss ?? 'relL1', this.options.ridge ?? 1e-4, penalise);
    this.relSpread = 1.4826 * median(x.map((row, i) => Math.abs(dot(row, this.weights) - y[i]!) / Math.max(y[i]!, 1e-12)));
  }

  predict(graph: Graph): CostPrediction {
    if (this.weights.length === 0) throw new ZeronasError('ZN_BAD_ARGUMENT', `${this.name}: predict() called before fit()`);
    const f = this.extractor.features(graph, this.options.execution);
    if (f.isConstantOutput && (this.folded.size > 0 || f.isFolded)) return this.folded.predict(Math.abs(this.weights[0]!));
    const row = [1, ...this.names.map((n, t) => (f.values.get(n) ?? 0) / this.scale[t]!)];
    const value = Math.max(0, dot(row, this.weights));
    return { value, uncertainty: this.relSpread * value };
  }

  describe(): Record<string, unknown> {
    return {
      model: this.name,
      intercept: this.weights[0],
      coefficients: Object.fromEntries(this.names.map((n, t) => [n, this.weights[t + 1]! / this.scale[t]!])),
      relativeSpread: this.relSpread,
    };
  }
}

export interface ForestCostModelOptions {
  extractor?: CostFeatureExtractor;
  lut?: LookupTable;
  nEstimators?: number;
  /** Share of features each tree sees (ml-random-forest bags features per tree); default 0.33. */
  maxFeatures?: number;
  seed?: number;
}

/**
 * Random-forest regression (ml-random-forest, CART trees with bagging) on every feature family under every
 * execution hypothesis, plus the LUT sum when a table is given. Uncertainty = standard deviation of the trees'
 * predictions.
 */
export class ForestCostModel implements CostModel {
  readonly name = 'forest';
  private readonly extractor: CostFeatureExtractor;
  private names: string[] = [];
  private forest: RandomForestRegression | undefined;

  constructor(private readonly options: ForestCostModelOptions = {}) {
    this.extractor = options.extractor ?? new CostFeatureExtractor();
  }

  private rowMaps(graph: Graph): Map<string, number> {
    const out = new Map<string, number>();
    for (const h of EXECUTION_HYPOTHESES) {
      const f: CostFeatures = this.extractor.features(graph, h);
      for (const [n, v] of f.values) {
        if (n.startsWith('s:')) continue;
        if (n.startsWith('e:')) out.set(n, v);
        else out.set(`${h}/${n}`, v);
      }
      out.set(`${h}/folded`, f.isFolded ? 1 : 0);
    }
    if (this.options.lut) out.set('lutSumMs', predictFromLut(this.options.lut, graph, { allowMissing: true }).valueMs);
    return out;
  }

  fit(samples: readonly CostSample[]): void {
    checkSamples(samples, 5, 'forest');
    const maps = samples.map((s) => this.rowMaps(s.graph));
    const names = new Set<string>();
    for (const m of maps) for (const n of m.keys()) names.add(n);
    // Drop features constant over the training set: they cannot split and only dilute feature bagging.
    this.names = [...names].sort().filter((n) => new Set(maps.map((m) => m.get(n) ?? 0)).size > 1);
    if (this.names.length === 0) this.names = [[...names].sort()[0]!];
    const x = maps.map((m) => this.names.map((n) => m.get(n) ?? 0));
    const forest = new RandomForestRegression({
      nEstimators: this.options.nEstimators ?? 40,
      maxFeatures: Math.max(1, Math.round((this.options.maxFeatures ?? 0.33) * this.names.length)),
      replacement: false,
      useSampleBagging: true,
      noOOB: true,
      seed: this.options.seed ?? 42,
      treeOptions: { minNumSamples: 2, maxDepth: 14 },
    } as never);
    forest.train(x, samples.map((s) => s.value));
    this.forest = forest;
  }

  predictMany(graphs: readonly Graph[]): CostPrediction[] {
    if (!this.forest) throw new ZeronasError('ZN_BAD_ARGUMENT', 'forest: predict() called before fit()');
    const x = graphs.map((g) => {
      const m = this.rowMaps(g);
      return this.names.map((n) => m.get(n) ?? 0);
    });
    const perTree = this.forest.predictionValues(x);
    return x.map((_, i) => {
      const row = perTree.getRow(i);
      const mean = row.reduce((a, b) => a + b, 0) / row.length;
      const sd = Math.sqrt(row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length);
      return { value: mean, uncertainty: sd };
    });
  }

  predict(graph: Graph): CostPrediction {
    return this.predictMany([graph])[0]!;
  }

  describe(): Record<string, unknown> {
    return { model: this.name, features: this.names.length, trees: this.options.nEstimators ?? 40 };
  }
}

/**
 * y ≈ a + b·LUTsum + c·calls, fitted by least relative absolute error; uncertainty from residuals and the table's
 * p90. `calls` (kernel invocations) corrects what summing micro-benchmarks gets wrong: every table entry carries one
 * session run's fixed overhead, which an end-to-end run pays once, not once per kernel (measured on this machine:
 * a plain a + b·sum fit needs b ≈ 0.37). With fewer than 6 samples the calls term is left out (2 parameters).
 */
/** How the table sum is corrected to end-to-end time (LutCostModel; chosen by cross-validation). */
export type LutCorrection = 'sum' | 'sum+calls' | 'per-kind';
export const LUT_CORRECTIONS: readonly LutCorrection[] = ['sum', 'sum+calls', 'per-kind'];


export class LutCostModel implements CostModel {
  readonly name = 'lut';
  private form: LutCorrection = 'sum';
  /** Kernel kinds with their own slope ('per-kind'): those whose total varies across the training samples. */
  private kinds: string[] = [];
  private w: number[] = [0, 1];
  private relSpread = 0;
  private fitted = false;
  private cvMape: Partial<Record<LutCorrection, number>> = {};

  /** `corrections`: the forms cross-validation may choose from (default all three). */
  constructor(
    private readonly lut: LookupTable,
    private readonly corrections: readonly LutCorrection[] = LUT_CORRECTIONS,
  ) {}

  private row(t: LutPrediction, form: LutCorrection, kinds: readonly string[]): number[] {
    if (form === 'sum') return [1, t.valueMs];
    if (form === 'sum+calls') return [1, t.valueMs, t.calls];
    return [1, ...kinds.map((k) => t.byKindMs.get(k) ?? 0)];
  }

  /**
   * Fits y ≈ a + b·Σ (sum), + c·calls (a per-call overhead the micro-kernel timings include or miss), or
   * a + Σ_kind b_kind·Σ_kind (per-kind slopes: fusion and layout changes differ between convs, pools and adds),
   * each by relative-L1 regression (regression.ts); the form with the lowest out-of-fold MAPE wins (leave-one-out
   * up to 30 samples). A form needs at least 3 samples per coefficient to be considered.
   */
  fit(samples: readonly CostSample[]): void {
    checkSamples(samples, 2, 'lut');
    const terms = samples.map((s) => predictFromLut(this.lut, s.graph));
    const y = samples.map((s) => s.value);
    const kindsOf = (idx: readonly number[]): string[] => {
      const all = [...new Set(idx.flatMap((i) => [...terms[i]!.byKindMs.keys()]))].sort();
      return all.filter((k) => new Set(idx.map((i) => terms[i]!.byKindMs.get(k) ?? 0)).size > 1);
    };
    const fitForm = (form: LutCorrection, idx: readonly number[]): { w: number[]; kinds: string[] } => {
      const kinds = form === 'per-kind' ? kindsOf(idx) : [];
      const x = idx.map((i) => this.row(terms[i]!, form, kinds));
      const w = fitLinear(x, idx.map((i) => y[i]!), 'relL1', 1e-9, x[0]!.map((_, j) => j > 0));
      return { w, kinds };
    };
    const width = (form: LutCorrection): number => (form === 'sum' ? 2 : form === 'sum+calls' ? 3 : 1 + kindsOf(samples.map((_, i) => i)).length);
    const usable = this.corrections.filter((f) => f === 'sum' || samples.length >= 3 * width(f));
    this.cvMape = {};
    if (usable.length > 1) {
      const folds = crossValidationFolds(samples.length, 0);
      for (const form of usable) {
        let err = 0;
        for (const fold of folds) {
          const held = new Set(fold);
          const { w, kinds } = fitForm(form, samples.map((_, i) => i).filter((i) => !held.has(i)));
          for (const i of fold) err += Math.abs(dot(this.row(terms[i]!, form, kinds), w) - y[i]!) / Math.max(y[i]!, 1e-12);
        }
        this.cvMape[form] = err / samples.length;
      }
    }
    this.form = usable.reduce((best, f) => ((this.cvMape[f] ?? 0) < (this.cvMape[best] ?? 0) ? f : best), usable[0]!);
    const all = fitForm(this.form, samples.map((_, i) => i));
    this.w = all.w;
    this.kinds = all.kinds;
    this.relSpread = 1.4826 * median(terms.map((t, i) => Math.abs(this.line(t) - y[i]!) / Math.max(y[i]!, 1e-12)));
    this.fitted = true;
  }

  private line(t: LutPrediction): number {
    return dot(this.row(t, this.form, this.kinds), this.w);
  }

  predict(graph: Graph): CostPrediction {
    const t = predictFromLut(this.lut, graph);
    if (!this.fitted) return { value: t.valueMs, uncertainty: t.spreadMs };
    const value = Math.max(0, this.line(t));
    // the table's own spread, scaled as the correction scales the sum
    const gain = t.valueMs > 0 ? this.line(t) / t.valueMs : 1;
    return { value, uncertainty: Math.hypot(this.relSpread * value, Math.abs(gain) * t.spreadMs) };
  }

  describe(): Record<string, unknown> {
    const base = { model: this.name, correction: this.form, intercept: this.w[0], relativeSpread: this.relSpread, cvMape: this.cvMape, device: this.lut.device.fingerprint };
    if (this.form === 'per-kind') return { ...base, slopes: Object.fromEntries(this.kinds.map((k, i) => [k, this.w[i + 1]])) };
    return { ...base, slope: this.w[1], ...(this.form === 'sum+calls' ? { perCallMs: this.w[2] } : {}) };
  }
}

/** Folds for cross-validation: leave-one-out up to 30 samples, else `folds`-fold on a seeded shuffle. */
export function crossValidationFolds(n: number, seed: number, folds = 3): number[][] {
  if (n <= 30) return Array.from({ length: n }, (_, i) => [i]);
  const order = shuffled(n, seed);
  return Array.from({ length: folds }, (_, f) => order.filter((_, i) => i % folds === f));
}

/** A seeded Fisher-Yates permutation of 0..n-1 (mulberry32). */
export function shuffled(n: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export interface AutoCostModelOptions {
  extractor?: CostFeatureExtractor;
  lut?: LookupTable;
  /** Execution hypotheses the linear candidates try; default all three. */
  executions?: ExecutionHypothesis[];
  /**
   * Cross-validation score to minimise: `mape`, or `rank` = 1 − Spearman(out-of-fold predictions, truth) with the
   * MAPE as tie-break; default `rank` (it picks the right execution hypothesis more often from 25 samples, where
   * hypotheses differ mostly in how they order architectures).
   */
  criterion?: 'mape' | 'rank';
  /** Smallest training set for which the forest is a candidate (trees need data); default 100. */
  forestMinSamples?: number;
  /** A fleet prior: the prior model (prior/priorCostModel.ts) becomes a candidate (closed form, cheap to cross-validate). */
  prior?: { prior: FleetPrior; options?: PriorCostModelOptions };
  seed?: number;
}

/** Chooses among linear (per hypothesis), forest, lut and prior by cross-validation on the training set (see `criterion`). */
export class AutoCostModel implements CostModel {
  readonly name = 'auto';
  private chosen: CostModel | undefined;
  private scores: { model: string; cvMape: number; cvSpearman: number }[] = [];
  private readonly extractor: CostFeatureExtractor;

  constructor(private readonly options: AutoCostModelOptions = {}) {
    this.extractor = options.extractor ?? new CostFeatureExtractor();
  }

  private candidates(n: number): (() => CostModel)[] {
    const list: (() => CostModel)[] = (this.options.executions ?? [...EXECUTION_HYPOTHESES]).map(
      (execution) => () => new LinearCostModel({ execution, extractor: this.extractor }),
    );
    if (n >= (this.options.forestMinSamples ?? 100)) {
      list.push(() => new ForestCostModel({ extractor: this.extractor, seed: this.options.seed ?? 42, ...(this.options.lut ? { lut: this.options.lut } : {}) }));
    }
    if (this.options.lut) {
      const lut = this.options.lut;
      list.push(() => new LutCostModel(lut));
    }
    if (this.options.prior) {
      const { prior, options } = this.options.prior;
      list.push(() => new PriorCostModel(prior, { extractor: this.extractor, ...options }));
    }
    return list;
  }

  fit(samples: readonly CostSample[]): void {
    checkSamples(samples, 3, 'auto');
    const folds = crossValidationFolds(samples.length, this.options.seed ?? 0);
    this.scores = [];
    let best: { make: () => CostModel; score: [number, number] } | undefined;
    const rank = (this.options.criterion ?? 'rank') === 'rank';
    for (const make of this.candidates(samples.length)) {
      const outOfFold = new Array<number>(samples.length).fill(0);
      let name = '';
      for (const test of folds) {
        const held = new Set(test);
        const model = make();
        name = model.name;
        model.fit(samples.filter((_, i) => !held.has(i)));
        const graphs = test.map((i) => samples[i]!.graph);
        const preds = model instanceof ForestCostModel ? model.predictMany(graphs) : graphs.map((g) => model.predict(g));
        test.forEach((i, t) => {
          outOfFold[i] = preds[t]!.value;
        });
      }
      const truth = samples.map((s) => s.value);
      const mape = truth.reduce((a, y, i) => a + Math.abs(outOfFold[i]! - y) / Math.max(y, 1e-12), 0) / truth.length;
      const rho = spearman(outOfFold, truth);
      this.scores.push({ model: name, cvMape: mape, cvSpearman: rho });
      const score: [number, number] = rank ? [1 - (Number.isNaN(rho) ? -1 : rho), mape] : [mape, 0];
      if (!best || score[0] < best.score[0] || (score[0] === best.score[0] && score[1] < best.score[1])) best = { make, score };
    }
    this.chosen = best!.make();
    this.chosen.fit(samples);
  }

  /** The model chosen by the last fit. */
  get selected(): CostModel {
    if (!this.chosen) throw new ZeronasError('ZN_BAD_ARGUMENT', 'auto: no model selected before fit()');
    return this.chosen;
  }

  predict(graph: Graph): CostPrediction {
    return this.selected.predict(graph);
  }

  describe(): Record<string, unknown> {
    return { model: this.name, selected: this.chosen?.name, crossValidation: this.scores, ...(this.chosen ? { fitted: this.chosen.describe() } : {}) };
  }
}

export interface CreateCostModelOptions {
  extractor?: CostFeatureExtractor;
  lut?: LookupTable;
  /** For `linear`, or to restrict `auto`'s linear candidates; default `auto` (cross-validated) / `folded` for linear. */
  execution?: ExecutionHypothesis | 'auto';
  /** Fleet prior for `prior` (required) and `auto` (adds the prior model as a candidate). */
  prior?: FleetPrior;
  /** Options of the prior model, e.g. `excludeDevices` for leave-one-device-out. */
  priorOptions?: PriorCostModelOptions;
  seed?: number;
}

export function createCostModel(kind: CostModelKind, options: CreateCostModelOptions = {}): CostModel {
  const extractor = options.extractor ?? new CostFeatureExtractor();
  const executions = options.execution && options.execution !== 'auto' ? [options.execution] : undefined;
  switch (kind) {
    case 'linear':
      if (!executions) return new AutoCostModel({ extractor, forestMinSamples: Infinity, seed: options.seed ?? 0 });
      return new LinearCostModel({ execution: executions[0]!, extractor });
    case 'forest':
      return new ForestCostModel({ extractor, seed: options.seed ?? 42, ...(options.lut ? { lut: options.lut } : {}) });
    case 'lut':
      if (!options.lut) throw new ZeronasError('ZN_BAD_ARGUMENT', "cost model 'lut' needs a lookup table (--lut <file>)");
      return new LutCostModel(options.lut);
    case 'prior':
      if (!options.prior) throw new ZeronasError('ZN_BAD_ARGUMENT', "cost model 'prior' needs a fleet prior (--prior <file|hwnasbench>)");
      return new PriorCostModel(options.prior, { extractor, ...options.priorOptions });
    case 'auto':
      return new AutoCostModel({
        extractor,
        seed: options.seed ?? 0,
        ...(executions ? { executions } : {}),
        ...(options.lut ? { lut: options.lut } : {}),
        ...(options.prior ? { prior: { prior: options.prior, ...(options.priorOptions ? { options: options.priorOptions } : {}) } } : {}),
      });
  }
}

/**
 * The live cost model of one target in the closed loop (`orchestrate`): it starts from what is known and is refitted
 * after every measurement round. Which model predicts, by what it has:
 *   - nothing measured: the target's lookup table, raw (Σ count·median; uncalibrated, so its uncertainty is the
 *     whole value), else no prediction at all (the loop then measures a first spread);
 *   - 1 sample: the LUT sum (else MACs) scaled through that sample;
 *   - 2-9 samples: the LUT sum corrected end to end, y ≈ a + b·Σ (LutCostModel 'sum'), else the analytic log-linear
 *     model on MACs/params/activations (initialCostModel.ts);
 *   - 10 or more: host/cost's AutoCostModel (cross-validated choice among the linear kernel-count models, the forest
 *     from 100 samples on, and the LUT correction when a table exists).
 * A snapshot (the training samples, the table's path and the chosen form) is saved each round; `loadTargetModel`
 * refits it, so `zeronas search --cost t=model:<file>` prices with exactly the model the loop used.
 * Uncertainty: the model's own spread where it has one, never below NOISE_FLOOR of the value; the analytic and
 * one-sample forms use 1.4826·median|relative residual|, widened to at least 1/√n while samples are few.
 */
import { ZeronasError } from '../../shared/errors.js';
import type { Graph } from '../ir/graph.js';
import { analyticMetrics } from '../metrics/analytic.js';
import { fitInitialCostModel } from '../orchestrator/initialCostModel.js';
import { spearman } from '../stats/index.js';
import { AutoCostModel, LutCostModel, type CostModel, type CostPrediction } from './costModel.js';
import { predictFromLut, type LookupTable } from './lookupTable.js';
import { median } from './regression.js';

export const TARGET_MODEL_FORMAT = 'zeronas-target-model';
export const TARGET_MODEL_VERSION = 1;

/** Smallest relative uncertainty: repeated measurements of one model on a quiet device differ by a few percent. */
const NOISE_FLOOR = 0.05;
/**
 * From this many samples the cross-validated models of costModel.ts take over. With fewer, the kernel-count models
 * have about as many coefficients as samples and extrapolate wildly (seen: 6 samples, predictions of 0 for the next
 * cells); 10 is the few-shot size the cost-model benchmark reports.
 */
export const AUTO_MODEL_MIN_SAMPLES = 10;

export type TargetCostMetric = 'latencyMs' | 'energyJ';

/** Error of a model's predictions on measurements it was not fitted on. */
export interface PredictionErrors {
  n: number;
  mapePercent: number | null;
  within10: number | null;
  spearman: number | null;
}

export function predictionErrors(pairs: readonly { predicted: number; measured: number }[]): PredictionErrors {
  const ok = pairs.filter((p) => Number.isFinite(p.predicted) && p.measured > 0);
  if (ok.length === 0) return { n: 0, mapePercent: null, within10: null, spearman: null };
  const rel = ok.map((p) => Math.abs(p.predicted - p.measured) / p.measured);
  const rho = ok.length >= 3 ? spearman(ok.map((p) => p.predicted), ok.map((p) => p.measured)) : Number.NaN;
  return {
    n: ok.length,
    mapePercent: (100 * rel.reduce((a, b) => a + b, 0)) / rel.length,
    within10: rel.filter((e) => e <= 0.1).length / rel.length,
    spearman: Number.isFinite(rho) ? rho : null,
  };
}

/** What is saved per round (`<run>/<target>/cost-model.round<r>.json`). */
export interface TargetModelSnapshot {
  format: typeof TARGET_MODEL_FORMAT;
  version: typeof TARGET_MODEL_VERSION;
  target: string;
  metric: TargetCostMetric;
  space: string;
  spaceOptions: { resolution?: number; scoreResolution?: number };
  round: number;
  /** The model that predicted after this round's refit. */
  model: string;
  /** The lookup table that seeded the model (absolute path), or null. */
  lut: string | null;
  samples: { arch: string; value: number }[];
  /** The previous round's model on this round's new measurements (out of sample), when there were any. */
  errors: PredictionErrors | null;
}

export interface TargetCostModelOptions {
  metric: TargetCostMetric;
  graphOf: (arch: string) => Graph;
  lut?: LookupTable;
}

export class TargetCostModel {
  readonly samples = new Map<string, number>();
  private predictor: ((graph: Graph) => CostPrediction) | undefined;
  private modelName = 'none';

  constructor(private readonly options: TargetCostModelOptions) {
    this.refit();
  }

  get name(): string {
    return this.modelName;
  }

  /** The model a snapshot describes, refitted on its samples (the same code, so the same predictions). */
  static fromSnapshot(snapshot: TargetModelSnapshot, graphOf: (arch: string) => Graph, lut?: LookupTable): TargetCostModel {
    const model = new TargetCostModel({ metric: snapshot.metric, graphOf, ...(lut ? { lut } : {}) });
    for (const s of snapshot.samples) model.observe(s.arch, s.value);
    model.refit();
    return model;
  }

  /** Adds (or replaces) a measured value; call refit() after a batch. */
  observe(arch: string, value: number): void {
    if (!(Number.isFinite(value) && value > 0)) return;
    this.samples.set(arch, value);
  }

  /** Prediction for an architecture (its canonical text), or undefined when the model knows nothing yet. */
  predict(arch: string): CostPrediction | undefined {
    if (!this.predictor) return undefined;
    const p = this.predictor(this.options.graphOf(arch));
    if (!Number.isFinite(p.value)) return undefined;
    return { value: p.value, uncertainty: Math.max(p.uncertainty, NOISE_FLOOR * Math.abs(p.value)) };
  }

  refit(): void {
    const { lut, graphOf } = this.options;
    const usesLut = lut !== undefined && this.options.metric === 'latencyMs';
    const pairs = [...this.samples].map(([arch, value]) => ({ graph: graphOf(arch), value }));
    const n = pairs.length;
    if (n >= AUTO_MODEL_MIN_SAMPLES) {
      try {
        const auto = new AutoCostModel({ seed: 0, ...(usesLut ? { lut } : {}) });
        auto.fit(pairs);
        // A prediction that is not a positive number (a kernel-count model extrapolating) falls back to the analytic
        // model rather than telling the search a network costs nothing.
        const analytic = fitInitialCostModel(pairs.map((p) => ({ metrics: analyticMetrics(p.graph), value: p.value })));
        this.use(`${auto.selected.name} (auto, ${n} samples)`, (g) => {
          const p = auto.predict(g);
          if (p.value > 0 && Number.isFinite(p.value)) return p;
          const v = analytic ? analytic.predict(analyticMetrics(g), '') : Number.NaN;
          return { value: v, uncertainty: Math.abs(v) };
        });
        return;
      } catch {
        // Degenerate samples (all equal, one folded group): the small-sample forms below still rank.
      }
    }
    if (usesLut) {
      const raw = (g: Graph): number => predictFromLut(lut, g).valueMs;
      if (n === 0) {
        this.use('lookup table, uncalibrated sum', (g) => {
          const v = raw(g);
          return { value: v, uncertainty: v };
        });
        return;
      }
      if (n >= 2) {
        const model: CostModel = new LutCostModel(lut, ['sum']);
        try {
          model.fit(pairs);
          const spread = relativeSpread(pairs.map((p) => ({ predicted: model.predict(p.graph).value, measured: p.value })), n);
          this.use(`lookup table, a + b·sum (${n} samples)`, (g) => {
            const v = model.predict(g).value;
            return { value: v, uncertainty: spread * Math.abs(v) };
          });
          return;
        } catch {
          // fall through to the one-sample scaling
        }
      }
      const [first] = pairs;
      const ratio = first!.value / Math.max(raw(first!.graph), 1e-12);
      this.use(`lookup table scaled by ${n} sample(s)`, (g) => {
        const v = ratio * raw(g);
        return { value: v, uncertainty: v / Math.sqrt(n) };
      });
      return;
    }
    if (n === 0) {
      this.predictor = undefined;
      this.modelName = 'none (no measurement yet)';
      return;
    }
    const metricsOf = new Map(pairs.map((p) => [p.graph, analyticMetrics(p.graph)]));
    const fitted = fitInitialCostModel(pairs.map((p) => ({ metrics: metricsOf.get(p.graph)!, value: p.value })));
    if (!fitted) {
      this.predictor = undefined;
      this.modelName = 'none (no usable measurement)';
      return;
    }
    const spread = relativeSpread(pairs.map((p) => ({ predicted: fitted.predict(metricsOf.get(p.graph)!, ''), measured: p.value })), n);
    this.use(fitted.name, (g) => {
      const v = fitted.predict(analyticMetrics(g), '');
      return { value: v, uncertainty: spread * Math.abs(v) };
    });
  }

  private use(name: string, predictor: (graph: Graph) => CostPrediction): void {
    this.modelName = name;
    this.predictor = predictor;
  }

  snapshot(meta: Omit<TargetModelSnapshot, 'format' | 'version' | 'metric' | 'model' | 'samples'>): TargetModelSnapshot {
    return {
      format: TARGET_MODEL_FORMAT,
      version: TARGET_MODEL_VERSION,
      ...meta,
      metric: this.options.metric,
      model: this.modelName,
      samples: [...this.samples].map(([arch, value]) => ({ arch, value })),
    };
  }
}

/** 1.4826·median|relative residual| (a robust sigma), at least 1/√n while samples are few. */
function relativeSpread(pairs: { predicted: number; measured: number }[], n: number): number {
  const rel = pairs.map((p) => Math.abs(p.predicted - p.measured) / p.measured).filter(Number.isFinite);
  const robust = rel.length ? 1.4826 * median(rel) : 1;
  return Math.max(robust, 1 / Math.sqrt(Math.max(1, n)));
}

/** Checks a parsed JSON value is a target-model snapshot; the error names the file. */
export function parseTargetModelSnapshot(value: unknown, source: string): TargetModelSnapshot {
  const v = value as Partial<TargetModelSnapshot> | null;
  if (!v || v.format !== TARGET_MODEL_FORMAT || v.version !== TARGET_MODEL_VERSION || !Array.isArray(v.samples) || typeof v.space !== 'string') {
    throw new ZeronasError('ZN_BAD_DATA', `'${source}' is not a zeronas cost model snapshot (format '${TARGET_MODEL_FORMAT}' v${TARGET_MODEL_VERSION}), as orchestrate writes to runs/<id>/<target>/cost-model.round<r>.json`, { path: source });
  }
  return v as TargetModelSnapshot;
}

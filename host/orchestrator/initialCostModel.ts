/**
 * The cost model the orchestrator starts with, before a lookup table or a fitted model from host/cost exists:
 * log(latency) = b0 + b1 log(MACs) + b2 log(params) + b3 log(activation bytes), ridge-regularised (lambda = 1e-3
 * on standardised features), so it is defined from 2 measurements on and improves as measurements arrive.
 * With one measurement it scales latency proportionally to MACs.
 */
import type { AnalyticMetrics } from '../metrics/analytic.js';

export interface CostSample {
  metrics: AnalyticMetrics;
  value: number;
}

export interface FittedCostModel {
  name: string;
  /** `arch` lets models that read the whole graph (host/cost) predict; analytic ones use the metrics only. */
  predict(metrics: AnalyticMetrics, arch: string): number;
}

const features = (m: AnalyticMetrics): number[] => [Math.log(m.macs), Math.log(m.params), Math.log(m.activationBytes)];

export function fitInitialCostModel(samples: CostSample[]): FittedCostModel | undefined {
  const usable = samples.filter((s) => s.value > 0 && Number.isFinite(s.value));
  if (usable.length === 0) return undefined;
  if (usable.length === 1) {
    const s = usable[0]!;
    return { name: 'macs-proportional (1 sample)', predict: (m) => (s.value * m.macs) / s.metrics.macs };
  }
  const X = usable.map((s) => features(s.metrics));
  const y = usable.map((s) => Math.log(s.value));
  const k = X[0]!.length;
  const mean = Array.from({ length: k }, (_, j) => X.reduce((a, r) => a + r[j]!, 0) / X.length);
  const sd = Array.from({ length: k }, (_, j) => Math.sqrt(X.reduce((a, r) => a + (r[j]! - mean[j]!) ** 2, 0) / X.length) || 1);
  const Z = X.map((r) => [1, ...r.map((v, j) => (v - mean[j]!) / sd[j]!)]);
  const beta = ridge(Z, y, 1e-3);
  return {
    name: `log-linear on MACs/params/activations (${usable.length} samples)`,
    predict: (m) => {
      const z = [1, ...features(m).map((v, j) => (v - mean[j]!) / sd[j]!)];
      return Math.exp(z.reduce((a, v, j) => a + v * beta[j]!, 0));
    },
  };
}

/** Solves (Z'Z + lambda I') beta = Z'y (intercept unpenalised) by Gaussian elimination with partial pivoting. */
export function ridge(Z: number[][], y: number[], lambda: number): number[] {
  const p = Z[0]!.length;
  const A = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => Z.reduce((a, r) => a + r[i]! * r[j]!, 0) + (i === j && i > 0 ? lambda * Z.length : 0)));
  const b = Array.from({ length: p }, (_, i) => Z.reduce((a, r, n) => a + r[i]! * y[n]!, 0));
  for (let c = 0; c < p; c++) {
    let pivot = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[pivot]![c]!)) pivot = r;
    [A[c], A[pivot]] = [A[pivot]!, A[c]!];
    [b[c], b[pivot]] = [b[pivot]!, b[c]!];
    const d = A[c]![c]! || 1e-12;
    for (let r = c + 1; r < p; r++) {
      const f = A[r]![c]! / d;
      for (let j = c; j < p; j++) A[r]![j]! -= f * A[c]![j]!;
      b[r]! -= f * b[c]!;
    }
  }
  const x = new Array<number>(p).fill(0);
  for (let r = p - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let j = r + 1; j < p; j++) s -= A[r]![j]! * x[j]!;
    x[r] = s / (A[r]![r]! || 1e-12);
  }
  return x;
}

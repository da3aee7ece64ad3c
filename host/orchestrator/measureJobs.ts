/**
 * Measures a set of ONNX models on one target through the scheduler and waits for all of them: the shared core of
 * `orchestrate` rounds and `lut` tables. Jobs are deduplicated by key, so a rerun (or --resume) measures only what
 * has no result yet.
 */
import type { InputSpec, MeasurementSettingsInput } from '../../shared/protocol/index.js';
import { shuffled } from '../cost/costModel.js';
import { median } from '../cost/regression.js';
import { driftFactor, withSentinels, type SentinelSample } from './driftCorrection.js';
import type { Scheduler } from './scheduler.js';
import type { MeasurementRow, Store } from './store.js';

export interface ModelToMeasure {
  /** What the job measures (an arch string, a kernel key); stored in the job's `arch` column. */
  label: string;
  bytes: Uint8Array;
  inputs: InputSpec[];
}

export interface MeasureJobsOptions {
  runId: string;
  target: string;
  kind: string;
  settings: MeasurementSettingsInput;
  progress?: (done: number, total: number) => void;
  log?: (line: string) => void;
  pollMs?: number;
}

/** Returns the measurement row of every model that succeeded, by label; failures are logged with their error. */
export async function measureModels(
  store: Store,
  scheduler: Scheduler,
  models: ModelToMeasure[],
  o: MeasureJobsOptions,
): Promise<Map<string, MeasurementRow>> {
  const ids = models.map((m) =>
    scheduler.enqueue({
      runId: o.runId,
      target: o.target,
      kind: o.kind,
      arch: m.label,
      modelSha256: store.putModel(m.bytes, m.label),
      settings: { inputs: m.inputs, settings: o.settings },
      dedupeKey: `${o.runId}|${o.target}|${o.kind}|${m.label}`,
    }),
  );
  for (;;) {
    const finished = ids.filter((id) => {
      const s = scheduler.job(id)!.state;
      return s === 'done' || s === 'failed';
    }).length;
    o.progress?.(finished, ids.length);
    if (finished === ids.length) break;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
  }
  for (const id of ids) {
    const job = scheduler.job(id)!;
    if (job.state === 'failed') o.log?.(`measurement of ${job.arch} on ${o.target} failed: ${job.last_error}`);
  }
  const labels = new Set(models.map((m) => m.label));
  const out = new Map<string, MeasurementRow>();
  for (const row of store.measurements(o.runId, o.target)) if (labels.has(row.arch)) out.set(row.arch, row);
  return out;
}

export interface RoundsResult {
  /**
   * Per label, the median over rounds of each round's median latency, ms (labels measured in every round); with a
   * sentinel, each round's value is drift-corrected first (driftCorrection.ts).
   */
  medianMs: Map<string, number>;
  /** Per label, the value each round contributed (drift-corrected with a sentinel), in round order. */
  roundMs: Map<string, number[]>;
  /** Per label, the measurement row of each round, in round order. */
  rows: Map<string, MeasurementRow[]>;
  /** The sentinel's measurements over the whole run (empty without a sentinel). */
  sentinel: SentinelSample[];
}

export interface RoundsOptions extends MeasureJobsOptions {
  rounds: number;
  seed?: number;
  /** Measure this model every `every` jobs and divide every result by the device's drift it traces. */
  sentinel?: { model: ModelToMeasure; every: number };
}

/**
 * Measures every model in `rounds` independent rounds, each in a new seeded order, and takes the median of the round
 * medians. Why: on a shared or thermally busy machine the noise comes in bursts of seconds, so one window per model
 * can fall entirely inside a burst; k windows spread over the whole run make that a minority vote (the ≥5 repeats
 * of HARDWARE.md §10, taken across time rather than back to back). Round 0 keeps `runId`, so stores written before
 * rounds existed resume; round r > 0 uses `<runId>.r<r>`. Slower drift (minutes) is what the sentinel is for.
 */
export async function measureModelsInRounds(
  store: Store,
  scheduler: Scheduler,
  models: ModelToMeasure[],
  o: RoundsOptions,
): Promise<RoundsResult> {
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new RangeError(`rounds must be a positive integer, got ${o.rounds}`);
  const rows = new Map<string, MeasurementRow[]>();
  const sentinelRows: MeasurementRow[] = [];
  const sentinelLabel = (r: number, i: number): string => `${SENTINEL_PREFIX}${o.sentinel!.model.label}#${r}.${i}`;
  for (let r = 0; r < o.rounds; r++) {
    let order = r === 0 ? models : shuffled(models.length, (o.seed ?? 0) * 1009 + r).map((i) => models[i]!);
    if (o.sentinel) order = withSentinels(order, (i) => ({ ...o.sentinel!.model, label: sentinelLabel(r, i) }), o.sentinel.every);
    const round = await measureModels(store, scheduler, order, {
      ...o,
      runId: r === 0 ? o.runId : `${o.runId}.r${r}`,
      progress: (done, total) => o.progress?.(r * total + done, o.rounds * total),
    });
    for (const [label, row] of round) {
      if (label.startsWith(SENTINEL_PREFIX)) sentinelRows.push(row);
      else rows.set(label, [...(rows.get(label) ?? []), row]);
    }
  }
  const sentinel = sentinelRows.map((row) => ({ atMs: row.received_ms, latencyMs: row.latency_median_ms! }));
  const factor = o.sentinel ? driftFactor(sentinel) : () => 1;
  const roundMs = new Map<string, number[]>();
  const medianMs = new Map<string, number>();
  for (const [label, rs] of rows) {
    const values = rs.map((row) => row.latency_median_ms! / factor(row.received_ms));
    roundMs.set(label, values);
    if (rs.length === o.rounds) medianMs.set(label, median(values));
  }
  return { medianMs, roundMs, rows, sentinel };
}

/** Labels of sentinel jobs start with this, so they never collide with a model's own label. */
export const SENTINEL_PREFIX = 'sentinel:';

/**
 * Measures a set of ONNX models on one target through the scheduler and waits for all of them: the shared core of
 * `orchestrate` rounds and `lut` tables. Jobs are deduplicated by key, so a rerun (or --resume) measures only what
 * has no result yet.
 */
import type { InputSpec, MeasurementSettingsInput } from '../../shared/protocol/index.js';
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

/**
 * `zeronas-agent --replay <csv>:<column>`: the pieces the AgentClient needs for an agent that answers measurement
 * jobs from a published table (HW-NAS-Bench, keyed by NAS-Bench-201 arch string) instead of running the model. For
 * benchmarking the closed search loop against published truth, and for tests; never a default, never recognised
 * from hardware. It loads no runtime, forks no measurement process and needs no model bytes: each job's handle is
 * already settled when returned, ok with the table's answer or failed with ZN_REPLAY_UNKNOWN_ARCH (a failed job,
 * not a rejected one, so the host counts the attempt instead of offering the same job again at once).
 */
import { ZeronasError } from '../../shared/errors.js';
import type { DeviceDescriptor, JobOfferMessage } from '../../shared/protocol/messages.js';
import { getDeviceProfile } from '../../devices/index.js';
import type { JobStarter } from '../client.js';
import type { MeasureOutcome, MeasurementHandle } from '../measureWorker.js';
import { REPLAY_PROFILE_ID, replayDescriptor, replayVersion } from './replayDevice.js';
import { buildReplayMeasurement, describeReplayAnswer, replayAnswer } from './replayMeasurement.js';
import { loadReplayTable, type ReplayTable } from './replayTable.js';

export interface ReplayConfig {
  path: string;
  column: string;
  noiseColumn: string | null;
  energyColumn: string | null;
  /** Seed of the noise draws (with the label and the job id). */
  seed: number;
}

export interface ReplayAgent {
  table: ReplayTable;
  descriptor: () => Promise<DeviceDescriptor>;
  prepareJob: (offer: JobOfferMessage) => JobStarter;
  /** Start-up log lines, each saying REPLAY. */
  summary: string[];
}

/** The default agent name of a replay agent: `replay-<column>`. */
export function defaultReplayName(column: string): string {
  return `replay-${column}`.slice(0, 256);
}

export function createReplayAgent(
  config: ReplayConfig,
  options: { name: string; log: (line: string) => void; now?: () => Date },
): ReplayAgent {
  const table = loadReplayTable(config.path, {
    column: config.column,
    noiseColumn: config.noiseColumn,
    energyColumn: config.energyColumn,
  });
  const profile = getDeviceProfile(REPLAY_PROFILE_ID);
  const now = options.now ?? (() => new Date());
  const descriptor = replayDescriptor(table, options.name, now);
  const device = {
    fingerprint: descriptor.fingerprint,
    name: descriptor.name,
    hostname: descriptor.hostname,
    profile: descriptor.profile,
  };
  const count = (skipped: number): string =>
    skipped ? `, ${skipped} row(s) skipped (empty, not finite or negative)` : '';
  const summary = [
    `REPLAY agent '${options.name}': answers jobs from ${replayVersion(table)} (${table.file}, sha256 ${table.sha256.slice(0, 12)}), ` +
      `${table.latency.values.size} arch strings${count(table.latency.skipped.size)}; NO model is run, every result is labelled 'replay'`,
    table.noise
      ? `REPLAY noise: ln('${table.noise.noiseColumn}' / '${table.noise.mainColumn}') over ${table.noise.centredLogRatios.length} rows, centred at its median ${table.noise.medianLogRatio.toFixed(5)}; seed ${config.seed}`
      : 'REPLAY noise: none (published values as they are)',
    table.energy
      ? `REPLAY energy: column '${table.energy.name}' (mJ), ${table.energy.values.size} values${count(table.energy.skipped.size)}`
      : 'REPLAY energy: none (no --replay-energy)',
  ];

  const prepareJob =
    (offer: JobOfferMessage): JobStarter =>
    () => {
      let outcome: MeasureOutcome;
      try {
        const answer = replayAnswer(table, offer.model.label, offer.jobId, config.seed);
        const measurement = buildReplayMeasurement({
          offer,
          table,
          answer,
          seed: config.seed,
          profile,
          device,
          nowIso: () => now().toISOString(),
        });
        options.log(
          `job '${offer.jobId}': ${describeReplayAnswer(table, answer, config.seed)} -> ${answer.latencyMs} ms`,
        );
        outcome = { status: 'ok', measurement };
      } catch (err) {
        const e =
          err instanceof ZeronasError
            ? err
            : new ZeronasError('ZN_INTERNAL', `replay of job '${offer.jobId}' failed: ${(err as Error).message}`);
        outcome = { status: 'failed', error: { code: e.code, message: e.message, details: e.details } };
      }
      const handle: MeasurementHandle = { done: Promise.resolve(outcome), cancel: () => undefined };
      return handle;
    };

  return {
    table,
    descriptor: async () => ({ ...descriptor, conditions: { ...descriptor.conditions, at: now().toISOString() } }),
    prepareJob,
    summary,
  };
}

/**
 * A replay agent's answer to one job and the Measurement that carries it. The key is the offer's `model.label`
 * (the host puts the job's arch string there); the model bytes are never read. Every field that could be mistaken
 * for a real measurement says `replay`: runtime, its version `<csv basename>#<column>`, execution provider, device
 * profile, conditions' tempSource, and the energy method.
 *
 * Latency: ONE sample, the answer (published value, times the noise factor when --replay-noise is given), so
 * n = 1, median = mean = min = max = p90 = p95 = answer, std = cv = MAD = 0. One sample because one value was
 * published; repeating it would fake a sample size. Warm-up, session creation and timed time are 0: nothing ran.
 * Energy (--replay-energy): the table's value in mJ / 1000, without noise (the noise model is a latency one);
 * idle and active power, windows and samples are 0 (the table publishes energy per inference only); resolution
 * is a counter step of the cell's last printed digit.
 */
import { ZeronasError } from '../../shared/errors.js';
import { resolveMeasurementSettings } from '../../shared/measure/resolveSettings.js';
import { latencyStats } from '../../shared/measure/robustStats.js';
import type { EnergyResult, JobOfferMessage, Measurement, OpProfile } from '../../shared/protocol/messages.js';
import type { DeviceProfile } from '../../devices/index.js';
import { drawReplayNoise, type NoiseDraw } from './replayNoise.js';
import {
  REPLAY_EXECUTION_PROVIDER,
  REPLAY_RAIL,
  REPLAY_RUNTIME,
  replayConditions,
  replayVersion,
} from './replayDevice.js';
import type { ReplayTable } from './replayTable.js';

export interface ReplayAnswer {
  arch: string;
  /** The table's value, ms. */
  publishedMs: number;
  /** What the agent reports, ms: publishedMs * noise.factor (or publishedMs without noise). */
  latencyMs: number;
  noise: NoiseDraw | null;
  energy: { energyJ: number; resolutionJ: number } | { reason: string } | null;
}

/** Looks the job's label up; an unknown or unusable label is ZN_REPLAY_UNKNOWN_ARCH naming it and the column. */
export function replayAnswer(table: ReplayTable, label: string | undefined, jobId: string, seed: number): ReplayAnswer {
  const where = replayVersion(table);
  if (label === undefined || label === '') {
    throw new ZeronasError(
      'ZN_REPLAY_UNKNOWN_ARCH',
      `job '${jobId}' has no model.label; a replay agent looks the answer up by the label (the arch string) in ${where}`,
      { jobId },
    );
  }
  const publishedMs = table.latency.values.get(label);
  if (publishedMs === undefined) {
    const skipped = table.latency.skipped.get(label);
    const why =
      skipped === undefined
        ? `is not in replay table '${table.file}' (${table.rows} rows, key column arch_str)`
        : `has no usable value in column '${table.latency.name}' of '${table.file}' (cell '${skipped.slice(0, 40)}'; row skipped)`;
    throw new ZeronasError('ZN_REPLAY_UNKNOWN_ARCH', `arch '${label.slice(0, 300)}' ${why}`, {
      arch: label,
      file: table.file,
      column: table.latency.name,
      isSkipped: skipped !== undefined,
    });
  }
  const noise = table.noise ? drawReplayNoise(table.noise, seed, label, jobId) : null;
  let energy: ReplayAnswer['energy'] = null;
  if (table.energy) {
    const mJ = table.energy.values.get(label);
    energy =
      mJ === undefined
        ? {
            reason: `replay table '${table.basename}' has no usable value for this arch in energy column '${table.energy.name}'`,
          }
        : { energyJ: mJ / 1000, resolutionJ: table.energy.resolutionJ.get(label)! };
  }
  return { arch: label, publishedMs, latencyMs: publishedMs * (noise?.factor ?? 1), noise, energy };
}

/** One line saying exactly what was replayed (the conditions' reason and the agent's log). */
export function describeReplayAnswer(table: ReplayTable, answer: ReplayAnswer, seed: number): string {
  const noise = answer.noise
    ? `, x ${answer.noise.factor.toFixed(4)} noise (pair ${answer.noise.index} of ${table.noise!.centredLogRatios.length}, '${table.noise!.noiseColumn}' vs '${table.noise!.mainColumn}', seed ${seed})`
    : '';
  return `REPLAY of ${replayVersion(table)}: published ${answer.publishedMs} ms${noise}; no model ran`;
}

export interface ReplayMeasurementArgs {
  offer: JobOfferMessage;
  table: ReplayTable;
  answer: ReplayAnswer;
  seed: number;
  profile: DeviceProfile;
  device: Measurement['device'];
  nowIso: () => string;
}

export function buildReplayMeasurement(args: ReplayMeasurementArgs): Measurement {
  const { offer, table, answer } = args;
  const input = offer.settings;
  const requestedEp =
    !input.executionProvider || input.executionProvider === 'default'
      ? REPLAY_EXECUTION_PROVIDER
      : input.executionProvider;
  const settings = resolveMeasurementSettings(input, args.profile.measurement, {
    runtime: input.runtime ?? REPLAY_RUNTIME,
    executionProvider: requestedEp,
    threads: 1,
  });
  const at = args.nowIso();
  const conditions = replayConditions(at, describeReplayAnswer(table, answer, args.seed));
  const profile: OpProfile | null = settings.isProfiling
    ? { status: 'unavailable', reason: 'replay agent: a published table has no per-operator profile' }
    : null;
  return {
    model: { sha256: offer.model.sha256, sizeBytes: offer.model.sizeBytes },
    device: args.device,
    runtime: {
      runtime: REPLAY_RUNTIME,
      version: replayVersion(table),
      executionProvider: REPLAY_EXECUTION_PROVIDER,
      requestedExecutionProvider: requestedEp,
      threads: 1,
      selection: 'requested',
    },
    settings,
    inputs: [...offer.inputs],
    sessionCreateMs: 0,
    warmup: { runs: 0, totalMs: 0 },
    latency: latencyStats([answer.latencyMs]),
    samplesMs: [answer.latencyMs],
    timedTotalMs: 0,
    stoppedBy: 'targets-reached',
    conditionsBefore: conditions,
    conditionsAfter: conditions,
    isThrottled: false,
    attempts: 1,
    throttledAttempts: 0,
    startedAt: at,
    finishedAt: at,
    energy: replayEnergy(answer, settings.energy),
    profile,
  };
}

function replayEnergy(answer: ReplayAnswer, mode: 'auto' | 'off'): EnergyResult {
  if (mode === 'off')
    return { status: 'unavailable', reason: "energy measurement turned off by the job (energy: 'off')" };
  const e = answer.energy;
  if (e === null) return { status: 'unavailable', reason: 'replay agent without --replay-energy' };
  if ('reason' in e) return { status: 'unavailable', reason: e.reason };
  return {
    status: 'measured',
    method: 'replay',
    rails: [REPLAY_RAIL],
    resolution: { kind: 'counter', energyJ: e.resolutionJ },
    energyPerInferenceJ: e.energyJ,
    idlePowerW: 0,
    activePowerW: 0,
    idleWindowMs: 0,
    activeWindowMs: 0,
    activeRuns: 1,
    samples: 0,
  };
}

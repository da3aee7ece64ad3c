/**
 * The timing loop. Warm-up: runs until both `warmupRuns` runs and `warmupMinMs` have passed. Timed: one sample per
 * run, until both `minRuns` samples and `minTotalMs` of elapsed time are reached; `maxTotalMs` caps the timed phase
 * (and the warm-up) whatever the targets, and MAX_RESULT_SAMPLES caps the sample count. Time comes from the injected
 * clock; the model from the Runtime contract. No wall-clock assumptions: a fake clock drives the tests.
 */
import { MAX_RESULT_SAMPLES } from '../protocol/limits.js';
import type { Clock, LoadedModel, PreparedInputs } from './contracts.js';

export interface TimingLoopSettings {
  warmupRuns: number;
  warmupMinMs: number;
  minRuns: number;
  minTotalMs: number;
  maxTotalMs: number;
}

export interface TimingLoopResult {
  warmupRuns: number;
  warmupMs: number;
  samplesMs: number[];
  timedTotalMs: number;
  stoppedBy: 'targets-reached' | 'max-time';
}

export async function runTimingLoop(
  model: Pick<LoadedModel, 'run'>,
  inputs: PreparedInputs,
  clock: Clock,
  settings: TimingLoopSettings,
  maxSamples: number = MAX_RESULT_SAMPLES,
): Promise<TimingLoopResult> {
  const warmupStart = clock.nowMs();
  let warmupRuns = 0;
  for (;;) {
    const elapsed = clock.nowMs() - warmupStart;
    if (warmupRuns >= settings.warmupRuns && elapsed >= settings.warmupMinMs) break;
    if (elapsed >= settings.maxTotalMs) break;
    await model.run(inputs);
    warmupRuns++;
  }
  const warmupMs = clock.nowMs() - warmupStart;

  const samplesMs: number[] = [];
  const start = clock.nowMs();
  let stoppedBy: TimingLoopResult['stoppedBy'] = 'targets-reached';
  for (;;) {
    const elapsed = clock.nowMs() - start;
    if (samplesMs.length >= settings.minRuns && elapsed >= settings.minTotalMs) break;
    if (samplesMs.length > 0 && (elapsed >= settings.maxTotalMs || samplesMs.length >= maxSamples)) {
      stoppedBy = 'max-time';
      break;
    }
    const t0 = clock.nowMs();
    await model.run(inputs);
    samplesMs.push(clock.nowMs() - t0);
  }
  return { warmupRuns, warmupMs, samplesMs, timedTotalMs: clock.nowMs() - start, stoppedBy };
}

/**
 * Child-process entry of one measurement (started by measureWorker.ts). Reads the model from the cache file, builds
 * the Node pieces the shared procedure needs (runtime, performance.now clock, conditions probe, energy meter), runs
 * shared/measure/measureModel.ts, sends back one outcome and exits. Any error becomes a typed failure. A model with
 * external data is refused before the runtime sees it (onnxExternalData.ts; this covers models cached before that
 * check existed). The child runs in an empty private directory (measureWorker.ts): every path it gets is absolute.
 */
import { rmdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZeronasError } from '../shared/errors.js';
import { measureModel } from '../shared/measure/measureModel.js';
import type { EnergyMethod, InputSpec, Measurement, ResolvedMeasurementSettings } from '../shared/protocol/messages.js';
import { readConditions } from './deviceInfo.js';
import { externalDataRefusal } from './onnxExternalData.js';
import { createRuntime, type NodeRuntimeId } from './runtimes/index.js';
import { chooseMeter, type EnergyConfig } from './sensors/index.js';
import type { MeasureOutcome } from './measureWorker.js';

export interface ChildJob {
  jobId: string;
  modelPath: string;
  model: { sha256: string; sizeBytes: number };
  inputs: InputSpec[];
  settings: ResolvedMeasurementSettings;
  runtime: NodeRuntimeId;
  runtimeSelection: string;
  device: Measurement['device'];
  energy: EnergyConfig;
  energyPreference: EnergyMethod[];
  sysRoot: string;
  vcgencmd: string;
  /** The empty private directory this child runs in (set by measureWorker.ts); removed on exit if still empty. */
  workDir?: string;
}

export type ChildReply = { type: 'log'; line: string } | { type: 'outcome'; outcome: MeasureOutcome };

function reply(message: ChildReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function run(job: ChildJob): Promise<MeasureOutcome> {
  try {
    const modelBytes = new Uint8Array(await readFile(job.modelPath));
    void reply({ type: 'log', line: `working directory ${process.cwd()}` });
    const refusal = externalDataRefusal(modelBytes);
    if (refusal) return { status: 'failed', error: refusal };
    const energy = job.settings.energy === 'off' ? ({ isAvailable: false, reason: 'turned off' } as const) : await chooseMeter(job.energy, job.energyPreference);
    const measurement = await measureModel({
      runtime: createRuntime(job.runtime),
      runtimeSelection: job.runtimeSelection,
      modelBytes,
      model: job.model,
      inputs: job.inputs,
      settings: job.settings,
      device: job.device,
      clock: { nowMs: () => performance.now() },
      sleep: (ms) => sleep(ms),
      nowIso: () => new Date().toISOString(),
      probeConditions: () => readConditions({ sysRoot: job.sysRoot, vcgencmd: job.vcgencmd }),
      energy,
      log: (line) => void reply({ type: 'log', line }),
    });
    return { status: 'ok', measurement };
  } catch (err) {
    if (err instanceof ZeronasError) return { status: 'failed', error: { code: err.code, message: err.message, details: err.details } };
    return { status: 'failed', error: { code: 'ZN_JOB_CRASHED', message: `measurement threw: ${(err as Error)?.message ?? String(err)}` } };
  }
}

process.once('message', (job: ChildJob) => {
  // The agent removes the directory when this process ends; this covers an agent killed first (SIGKILL, OOM).
  // rmdir removes only an empty directory.
  if (job.workDir) {
    const dir = job.workDir;
    process.once('exit', () => {
      try {
        rmdirSync(dir);
      } catch {
        // already gone, or not empty: the agent's own cleanup decides
      }
    });
  }
  void run(job).then(async (outcome) => {
    await reply({ type: 'outcome', outcome });
    process.exit(0);
  });
});
process.on('disconnect', () => process.exit(0));

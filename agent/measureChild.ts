/**
 * Measurement process entry (started by measureWorker.ts or warmWorker.ts). For each job: reads the model from the
 * cache file, builds the Node pieces the shared procedure needs (runtime, performance.now clock, conditions probe,
 * energy meter), runs shared/measure/measureModel.ts and sends back one outcome. Any error becomes a typed failure.
 * A model with external data is refused before the runtime sees it (onnxExternalData.ts; this covers models cached
 * before that check existed). Every job runs in its own empty private directory (the process chdirs into it for the
 * job and back out afterwards): every path it gets is absolute.
 *
 * `once` jobs (the fresh-process-per-job path) exit after their outcome; `warm` jobs leave the process waiting for
 * the next one, so the runtime module and Node's start-up are paid once per worker, not once per job.
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
import { createRuntime, probeRuntime, type NodeRuntimeId } from './runtimes/index.js';
import type { RuntimeAvailability } from '../shared/protocol/messages.js';
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
  /** The empty private directory this job runs in (set by the agent side); removed on exit if still empty. */
  workDir?: string;
  /** 'once': exit after the outcome (fresh process per job); 'warm': wait for the next job. Default 'once'. */
  lifetime?: 'once' | 'warm';
}

/**
 * `measuringMs`: time spent in the measurement procedure itself (measureModel, from its first statement to its
 * result), so the agent side can report its dispatch overhead as the rest of the time from start to outcome.
 */
export type ChildReply =
  | { type: 'log'; jobId: string; line: string }
  | { type: 'probe'; jobId: string; availability: RuntimeAvailability }
  | { type: 'outcome'; jobId: string; outcome: MeasureOutcome; measuringMs: number | null };

function reply(message: ChildReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function run(job: ChildJob): Promise<{ outcome: MeasureOutcome; measuringMs: number | null }> {
  let measuringMs: number | null = null;
  const outcome = await runMeasurement(job, (ms) => {
    measuringMs = ms;
  });
  return { outcome, measuringMs };
}

async function runMeasurement(job: ChildJob, onMeasured: (ms: number) => void): Promise<MeasureOutcome> {
  const log = (line: string): void => void reply({ type: 'log', jobId: job.jobId, line });
  try {
    const modelBytes = new Uint8Array(await readFile(job.modelPath));
    log(`working directory ${process.cwd()}`);
    const refusal = externalDataRefusal(modelBytes);
    if (refusal) return { status: 'failed', error: refusal };
    const energy =
      job.settings.energy === 'off'
        ? ({ isAvailable: false, reason: 'turned off' } as const)
        : await chooseMeter(job.energy, job.energyPreference);
    // The runtime's import is dispatch cost (paid once per warm process), not measurement: done before the clock.
    const runtime = createRuntime(job.runtime);
    await runtime.init();
    const t0 = performance.now();
    const measurement = await measureModel({
      runtime,
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
      log,
    });
    onMeasured(performance.now() - t0);
    return { status: 'ok', measurement };
  } catch (err) {
    if (err instanceof ZeronasError)
      return { status: 'failed', error: { code: err.code, message: err.message, details: err.details } };
    return {
      status: 'failed',
      error: { code: 'ZN_JOB_CRASHED', message: `measurement threw: ${(err as Error)?.message ?? String(err)}` },
    };
  }
}

/** Directories to remove if this process ends while they exist (rmdir removes only an empty directory). */
const ownDirs = new Set<string>();
process.once('exit', () => {
  // The agent removes each directory when the job or the process ends; this covers an agent killed first (SIGKILL,
  // OOM).
  for (const dir of ownDirs) {
    try {
      rmdirSync(dir);
    } catch {
      // already gone, or not empty: the agent's own cleanup decides
    }
  }
});

// The process's own directory (its cwd at start, private and empty): where it waits between warm jobs.
const homeDir = process.cwd();
ownDirs.add(homeDir);
let queue: Promise<void> = Promise.resolve();

/** A runtime probe (agent/runtimes/probeIsolated.ts): load one runtime's module, answer, exit. */
export interface ProbeRequest {
  probeRuntime: NodeRuntimeId;
}

process.on('message', (message: ChildJob | ProbeRequest) => {
  if ('probeRuntime' in message) {
    void probeRuntime(message.probeRuntime).then(async (availability) => {
      await reply({ type: 'probe', jobId: `probe-${message.probeRuntime}`, availability });
      process.exit(0);
    });
    return;
  }
  const job = message;
  // One job at a time, in arrival order (the agent sends the next one only after an outcome).
  queue = queue.then(async () => {
    if (job.workDir) {
      ownDirs.add(job.workDir);
      process.chdir(job.workDir);
    }
    const { outcome, measuringMs } = await run(job);
    if (job.workDir) {
      process.chdir(homeDir);
      ownDirs.delete(job.workDir);
    }
    await reply({ type: 'outcome', jobId: job.jobId, outcome, measuringMs });
    if ((job.lifetime ?? 'once') === 'once') process.exit(0);
  });
});
process.on('disconnect', () => process.exit(0));

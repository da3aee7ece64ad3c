/**
 * Dispatch overhead per job of the agent's measurement processes: the warm worker (agent/warmWorker.ts, the agent's
 * default) against today's reference, a fresh process per job (startMeasurement, `--measure-process fresh`), in the
 * same run, jobs interleaved (fresh, warm, fresh, warm, ...) so both see the same machine load.
 *
 * Overhead of one job = (start() to outcome, as the agent's client sees it) - (time the process spent in the
 * measurement procedure itself, measureModel, reported by the process). What is left is the agent-side cost of a job
 * that the issue asks about: working directory, process start-up (fresh) or IPC (warm), module and runtime import,
 * model file read. Session creation and the timed runs are measurement, not overhead. The network part of offer to
 * result (accept, model transfer) is the same for both and not included. The first warm job pays the process start
 * (as the agent's first job does); it is counted in the figures.
 *
 *   npx tsx scripts/bench/measureDispatch.ts [--jobs 20] [--json]
 *
 * This machine is shared (other engineers' processes): the absolute figures move with its load, the ratio less so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { initWeights } from '../../host/ir/init.js';
import { exportInference } from '../../host/onnx/exportInference.js';
import { ModelCache, sha256Of } from '../../agent/modelCache.js';
import type { ChildJob } from '../../agent/measureChild.js';
import { startMeasurement, type MeasurementHandle } from '../../agent/measureWorker.js';
import { WarmMeasurementWorker } from '../../agent/warmWorker.js';
import type { ResolvedMeasurementSettings } from '../../shared/protocol/messages.js';
import { flag, option } from '../scriptArgs.js';
import { localCpuJob } from '../../agent/localCpuJob.js';

const jobs = Number(option('jobs', '20'));
if (!Number.isInteger(jobs) || jobs < 2) throw new Error(`--jobs must be an integer >= 2, got '${option('jobs', '20')}'`);
const asJson = flag('json');

const arch = '|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|';
const graph = buildNb201Network(arch);
const model = exportInference(graph, initWeights(graph, 0), { batch: 1 });
const dir = mkdtempSync(join(tmpdir(), 'zeronas-dispatch-'));
const cache = new ModelCache(dir, 1024 * 1024 * 1024);
const sha256 = sha256Of(model);
await cache.write(sha256, model);

// Short measurements: the overhead is what is being measured, not the model.
const settings: ResolvedMeasurementSettings = {
  runtime: 'ort-node',
  executionProvider: 'cpu',
  threads: 1,
  warmupRuns: 1,
  warmupMinMs: 0,
  minRuns: 5,
  minTotalMs: 0,
  maxTotalMs: 10_000,
  cooldownMs: 0,
  repeatIfThrottled: false,
  maxThrottleRepeats: 0,
  throttleCooldownMs: 0,
  energy: 'off',
  idleBaselineMs: 0,
  energyMinMs: 0,
  isProfiling: false,
  profileRuns: 1,
  inputSeed: 0,
  timeoutMs: 120_000,
};

function job(jobId: string): ChildJob {
  return localCpuJob({
    jobId,
    modelPath: cache.pathOf(sha256),
    model: { sha256, sizeBytes: model.byteLength },
    inputs: [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' }],
    settings,
  }, 'bench');
}

async function timed(start: () => MeasurementHandle): Promise<{ totalMs: number; measuringMs: number; overheadMs: number }> {
  const t0 = performance.now();
  const handle = start();
  const outcome = await handle.done;
  const totalMs = performance.now() - t0;
  if (outcome.status !== 'ok') throw new Error(`benchmark job failed: ${JSON.stringify(outcome)}`);
  const measuringMs = handle.measuringMs?.() ?? NaN;
  return { totalMs, measuringMs, overheadMs: totalMs - measuringMs };
}

const quiet = (): void => undefined;
const worker = new WarmMeasurementWorker({ log: quiet });
const fresh: Awaited<ReturnType<typeof timed>>[] = [];
const warm: Awaited<ReturnType<typeof timed>>[] = [];
for (let i = 0; i < jobs; i++) {
  fresh.push(await timed(() => startMeasurement(job(`fresh-${i}`), { log: quiet })));
  warm.push(await timed(() => worker.start(job(`warm-${i}`))));
  if (!asJson) process.stderr.write(`\rjob pair ${i + 1}/${jobs}`);
}
if (!asJson) process.stderr.write('\n');
await worker.stop();
rmSync(dir, { recursive: true, force: true });

const quantile = (values: number[], q: number): number => {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
};
const summary = (rows: typeof fresh) => ({
  jobs: rows.length,
  overheadMedianMs: quantile(rows.map((r) => r.overheadMs), 0.5),
  overheadP90Ms: quantile(rows.map((r) => r.overheadMs), 0.9),
  overheadMaxMs: Math.max(...rows.map((r) => r.overheadMs)),
  measuringMedianMs: quantile(rows.map((r) => r.measuringMs), 0.5),
});
const result = {
  model: { arch, bytes: model.byteLength },
  fresh: summary(fresh),
  warm: { ...summary(warm), processesStarted: worker.processesStarted },
  ratioFreshOverWarmMedian: quantile(fresh.map((r) => r.overheadMs), 0.5) / quantile(warm.map((r) => r.overheadMs), 0.5),
  note: 'shared 2-core machine: absolute figures move with its load',
};
if (asJson) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  const line = (name: string, s: ReturnType<typeof summary>): string =>
    `${name.padEnd(22)} overhead median ${s.overheadMedianMs.toFixed(1)} ms, p90 ${s.overheadP90Ms.toFixed(1)} ms, max ${s.overheadMaxMs.toFixed(1)} ms (measuring median ${s.measuringMedianMs.toFixed(1)} ms, ${s.jobs} jobs)`;
  process.stdout.write(
    [
      `dispatch overhead per job (start to outcome minus measuring), NB201 model of ${model.byteLength} bytes, ort-node, 1 thread`,
      line('fresh process per job', result.fresh),
      line('warm worker', result.warm),
      `warm worker: ${worker.processesStarted} process(es) for ${jobs} jobs; fresh/warm median ratio ${result.ratioFreshOverWarmMedian.toFixed(1)}x`,
      `(${result.note})`,
      '',
    ].join('\n'),
  );
}

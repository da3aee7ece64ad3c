/**
 * Measurement quality figure: one NAS-Bench-201 model measured N times (default 10) on this machine with the
 * agent's real measurement path (a fresh child process per measurement, ort-node, shared timing loop), then the
 * spread of the medians: max(median) / min(median). Target: under 1.05. Prints figures only; asserts nothing.
 *
 *   npx tsx scripts/bench/measurementRepeatability.ts [--repeats 10] [--threads 1] [--min-total-ms 2000] [--cooldown-ms 500]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { initWeights } from '../../host/ir/init.js';
import { exportInference } from '../../host/onnx/exportInference.js';
import { ModelCache, sha256Of } from '../../agent/modelCache.js';
import { startMeasurement } from '../../agent/measureWorker.js';
import type { ResolvedMeasurementSettings } from '../../shared/protocol/messages.js';
import { localCpuJob } from '../../agent/localCpuJob.js';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '10' },
    threads: { type: 'string', default: '1' },
    'min-total-ms': { type: 'string', default: '2000' },
    'cooldown-ms': { type: 'string', default: '500' },
    arch: { type: 'string', default: '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|' },
  },
});
const repeats = Number(values.repeats);
const graph = buildNb201Network(values.arch!);
const model = exportInference(graph, initWeights(graph, 0), { batch: 1 });
const dir = mkdtempSync(join(tmpdir(), 'zeronas-repeat-'));
const cache = new ModelCache(dir, 1024 * 1024 * 1024);
const sha256 = sha256Of(model);
await cache.write(sha256, model);

const settings: ResolvedMeasurementSettings = {
  runtime: 'ort-node',
  executionProvider: 'cpu',
  threads: Number(values.threads),
  warmupRuns: 10,
  warmupMinMs: 500,
  minRuns: 50,
  minTotalMs: Number(values['min-total-ms']),
  maxTotalMs: 60_000,
  cooldownMs: Number(values['cooldown-ms']),
  repeatIfThrottled: true,
  maxThrottleRepeats: 2,
  throttleCooldownMs: 10_000,
  energy: 'off',
  idleBaselineMs: 0,
  energyMinMs: 0,
  isProfiling: false,
  profileRuns: 1,
  timeoutMs: 300_000,
  inputSeed: 0,
};

console.log(`arch ${values.arch}`);
console.log(`model ${sha256.slice(0, 12)} (${(model.byteLength / 1e6).toFixed(2)} MB), ${repeats} measurements, threads ${settings.threads}, minRuns ${settings.minRuns}, minTotalMs ${settings.minTotalMs}, cooldownMs ${settings.cooldownMs}`);
const medians: number[] = [];
for (let i = 0; i < repeats; i++) {
  const handle = startMeasurement(
    localCpuJob({
      jobId: `repeat-${i}`,
      modelPath: cache.pathOf(sha256),
      model: { sha256, sizeBytes: model.byteLength },
      inputs: [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' }],
      settings,
    }, 'bench'),
    { log: () => undefined },
  );
  const outcome = await handle.done;
  if (outcome.status !== 'ok') throw new Error(`measurement ${i} failed: ${JSON.stringify(outcome)}`);
  const l = outcome.measurement.latency;
  medians.push(l.medianMs);
  console.log(
    `#${String(i + 1).padStart(2)}  median ${l.medianMs.toFixed(3)} ms  mean ${l.meanMs.toFixed(3)}  p90 ${l.p90Ms.toFixed(3)}  cv ${(l.cv * 100).toFixed(1)}%  n ${l.n}  session ${outcome.measurement.sessionCreateMs.toFixed(0)} ms  throttled ${outcome.measurement.isThrottled}  temp ${outcome.measurement.conditionsAfter.tempC ?? 'n/a'}`,
  );
}
rmSync(dir, { recursive: true, force: true });
const max = Math.max(...medians);
const min = Math.min(...medians);
console.log(`spread of medians: max/min = ${(max / min).toFixed(4)} (${((max / min - 1) * 100).toFixed(2)}%), min ${min.toFixed(3)} ms, max ${max.toFixed(3)} ms; target < 5%`);

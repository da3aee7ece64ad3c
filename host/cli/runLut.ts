/**
 * `zeronas lut`: every distinct kernel of the space (host/cost/kernelKeys.ts) becomes a micro ONNX model, measured
 * on the target's agents through the durable scheduler (resumable: finished kernels are never re-measured), then
 * written as a lookup table keyed by device fingerprint and runtime version (host/cost/lookupTable.ts).
 */
import { checkPositiveIntegers } from '../../shared/node/cliParser.js';
import { join, resolve } from 'node:path';
import { ZeronasError } from '../../shared/errors.js';
import type { Measurement } from '../../shared/protocol/index.js';
import { buildKernelModel, enumerateSpaceKernels } from '../cost/kernelKeys.js';
import { LUT_FORMAT, LUT_FORMAT_VERSION, saveLookupTable, type LookupTable } from '../cost/lookupTable.js';
import { initWeights } from '../ir/init.js';
import { inputNode } from '../ir/graph.js';
import { exportInference } from '../onnx/exportInference.js';
import { measureModelsInRounds } from '../orchestrator/measureJobs.js';
import { median } from '../cost/regression.js';
import { ensureRunDir } from '../run/runFolder.js';
import { HostSession } from '../fleet/hostSession.js';
import { loadOrCreateToken } from '../orchestrator/token.js';
import type { Nb201Dataset } from '../spaces/nb201.js';
import type { LutArgs } from './commands/lut.js';
import { printJson } from './output.js';
import { createProgress } from './progress.js';
import { printable } from '../../shared/printable.js';
import { chooseTls } from '../orchestrator/hostCertificate.js';
import { chooseLutMeasurementRun, type LutMeasurementRun } from '../workflows/lutMeasurementRun.js';
import type { MeasurementRow } from '../orchestrator/store.js';
import { shellWord } from '../util/shellWord.js';
import { checkPort, checkWaitAgents, parseTargets } from './hostOptions.js';

export async function runLut(args: LutArgs): Promise<LookupTable> {
  checkPositiveIntegers([['--rounds', args.rounds], ['--sentinel-every', args.sentinelEvery]]);
  // Before anything is started or written: an unknown target would wait for an agent that cannot exist.
  if (args.target.includes(',')) throw new ZeronasError('ZN_BAD_ARGUMENT', `--target takes one target (a table is one device's), got '${args.target}'`);
  parseTargets(args.target, '--target');
  checkPort(args.port);
  checkWaitAgents(args.waitAgents);
  const targetSlug = args.target.replace(/[^A-Za-z0-9._-]/g, '_');
  const out = resolve(args.out ?? join('devices', targetSlug, 'luts', `${args.space}-${args.dataset}.json`));
  const runDir = ensureRunDir(args.runDir ?? join('runs', `lut-${targetSlug}-${args.space}-${args.dataset}`));
  const progress = createProgress(args);
  const log = (line: string): void => progress.log(printable(line));
  const { token } = loadOrCreateToken();
  const tls = await chooseTls({ listen: args.listen, ...(args.plainWs ? { plainWs: true } : {}) });
  const session = await HostSession.open({ storePath: join(runDir, 'store.sqlite'), host: args.listen, port: args.port, token, log, ...(tls ? { server: { tls } } : {}) });
  const { store, scheduler } = session;
  try {
    await session.attach([args.target], args.waitAgents * 1000, {
      // Finished kernels stay in the run folder: the same command with a longer wait continues.
      resume: { runDir, command: (waitS) => lutCommandLine(args, waitS) },
    });
    const kernels = enumerateSpaceKernels('nb201', { datasets: [args.dataset as Nb201Dataset] });
    const run = chooseLutMeasurementRun(store, {
      target: args.target,
      rounds: args.rounds,
      agents: session.agentsOf(args.target).map((a) => ({ name: a.device.name, fingerprint: a.device.fingerprint, runtimes: a.device.runtimes })),
      ...(args.fresh ? { fresh: true } : {}),
    });
    const kernelKeys = new Set(kernels.map((k) => k.key));
    const total = kernels.length * args.rounds;
    const reused = run.reused.filter((r) => kernelKeys.has(r.arch));
    log(describeReuse(run, reused, total, runDir));
    log(`${kernels.length} kernels of ${args.space} (${args.dataset}) on ${args.target}: ${total - reused.length} of ${total} kernel measurement(s) (${args.rounds} round${args.rounds > 1 ? 's' : ''}) to take`);
    const models = kernels.map((k) => {
      const graph = buildKernelModel(k.key);
      return {
        label: k.key,
        bytes: exportInference(graph, initWeights(graph, 0), { batch: 1, foldBatchNorm: true }),
        inputs: [{ name: 'input', dims: [1, ...inputNode(graph).attrs.shape], dtype: 'float32' as const }],
      };
    });
    // The drift sentinel: a conv kernel of the middle stage (small kernels, like the ones it corrects).
    const sentinelModel = models.find((m) => m.label.startsWith('relu_conv_bn|k3s1') && m.label.includes('|32x')) ?? models[0]!;
    const { rows: roundRows, roundMs } = await measureModelsInRounds(
      store,
      scheduler,
      models,
      {
        ...(args.sentinelEvery ? { sentinel: { model: sentinelModel, every: args.sentinelEvery } } : {}),
        runId: run.runId,
        rounds: args.rounds,
        target: args.target,
        kind: 'kernel',
        settings: {
          ...(args.minRuns !== undefined ? { minRuns: args.minRuns } : {}),
          ...(args.minTimeMs !== undefined ? { minTotalMs: args.minTimeMs } : {}),
          ...(args.warmupMs !== undefined ? { warmupMinMs: args.warmupMs } : {}),
          ...(args.cooldownMs !== undefined ? { cooldownMs: args.cooldownMs } : {}),
        },
        progress: (done, total) => progress.update(`measuring kernels on ${args.target} (${args.rounds} round${args.rounds > 1 ? 's' : ''})`, done, total),
        log,
      },
    );
    progress.stop();
    const rows = new Map([...roundRows].filter(([, rs]) => rs.length === args.rounds));
    const missing = kernels.filter((k) => !rows.has(k.key));
    if (missing.length) {
      throw new ZeronasError('ZN_LUT_INCOMPLETE', `${missing.length} kernel(s) could not be measured on ${args.target}, e.g. '${missing[0]!.key}'; see ${runDir}`, {
        missing: missing.map((k) => k.key),
      });
    }
    const measurementsOf = (rs: { result_json: string }[]): Measurement[] => rs.map((r) => JSON.parse(r.result_json) as Measurement);
    const measurements = [...rows.values()].flatMap(measurementsOf);
    const first = measurements[0]!;
    const fingerprints = new Set(measurements.map((m) => m.device.fingerprint));
    if (fingerprints.size > 1) {
      throw new ZeronasError('ZN_LUT_STALE', `kernels of one table were measured on ${fingerprints.size} different devices; use --target name:<agent> to pin one`, {
        fingerprints: [...fingerprints],
      });
    }
    const lut: LookupTable = {
      format: LUT_FORMAT,
      version: LUT_FORMAT_VERSION,
      device: { fingerprint: first.device.fingerprint, name: first.device.name },
      runtime: { name: first.runtime.runtime, version: first.runtime.version },
      executionProvider: first.runtime.executionProvider,
      threads: first.runtime.threads,
      measurement: {
        warmupRuns: first.settings.warmupRuns,
        repeats: Math.min(...measurements.map((m) => m.latency.n)),
        minRepeatMs: first.settings.minTotalMs,
        rounds: args.rounds,
        ...(args.sentinelEvery ? { driftSentinel: { kernel: sentinelModel.label, every: args.sentinelEvery } } : {}),
        batch: 1,
        foldBatchNorm: true,
      },
      // onnxruntime runs every node of the exported graph (x*0 included), so the table sums every kernel.
      execution: 'all',
      createdAt: new Date().toISOString(),
      entries: Object.fromEntries(
        [...rows].map(([key, rs]) => {
          // Each round's statistics on the run's typical speed (drift factor 1 without a sentinel).
          const corrected = roundMs.get(key)!;
          const ms = measurementsOf(rs).map((m, r) => {
            const scale = corrected[r]! / m.latency.medianMs;
            return { medianMs: corrected[r]!, p90Ms: m.latency.p90Ms * scale, minMs: m.latency.minMs * scale, maxMs: m.latency.maxMs * scale, n: m.latency.n };
          });
          const entry = {
            medianMs: median(ms.map((l) => l.medianMs)),
            p90Ms: median(ms.map((l) => l.p90Ms)),
            minMs: Math.min(...ms.map((l) => l.minMs)),
            maxMs: Math.max(...ms.map((l) => l.maxMs)),
            n: ms.reduce((a, l) => a + l.n, 0),
          };
          return [key, ms.length > 1 ? { ...entry, roundMediansMs: ms.map((l) => l.medianMs) } : entry];
        }),
      ),
    };
    await saveLookupTable(out, lut);
    if (args.json) printJson({ out, kernels: kernels.length, measurements: total, reusedMeasurements: reused.length, runDir, measurementRun: run.runId, device: lut.device, runtime: lut.runtime, executionProvider: lut.executionProvider });
    else if (!args.quiet) {
      const reuse = reused.length ? `; ${reused.length === total ? 'all' : reused.length} of ${total} measurements reused from ${runDir} (--fresh to measure again)` : '';
      process.stdout.write(`wrote ${out}: ${kernels.length} kernels, device ${lut.device.fingerprint.slice(0, 12)} (${lut.device.name}), ${lut.runtime.name} ${lut.runtime.version} ${lut.executionProvider}${reuse}\n`);
    }
    return lut;
  } finally {
    progress.stop();
    await session.close();
  }
}

/** What the run reuses from the job store, or why it measures again: said plainly, so a rerun is never a silent copy. */
function describeReuse(run: LutMeasurementRun, reused: MeasurementRow[], total: number, runDir: string): string {
  if (run.restartReason === 'fresh') return `--fresh: measuring all ${total} kernel measurements again (the earlier ones stay in ${runDir} as run '${run.previousRunId}')`;
  if (run.restartReason === 'stale') {
    const w = run.stale!.warning;
    return (
      `the kernel measurements in ${runDir} were taken on ${w.table.runtimeName} ${w.table.runtimeVersion} (device ${w.table.deviceFingerprint.slice(0, 12)}), ` +
      `but agent '${run.stale!.agent}' runs ${w.current.runtimeName} ${w.current.runtimeVersion} (device ${w.current.deviceFingerprint.slice(0, 12)}): measuring all ${total} again`
    );
  }
  if (reused.length === 0) return `no earlier kernel measurements in ${runDir}: measuring all ${total}`;
  const m = JSON.parse(reused[0]!.result_json) as Measurement;
  const times = reused.map((r) => r.received_ms);
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const from = day(Math.min(...times));
  const to = day(Math.max(...times));
  return (
    `reusing ${reused.length} of ${total} kernel measurements from ${runDir}, taken ${from === to ? from : `${from} to ${to}`} UTC on ${m.runtime.runtime} ${m.runtime.version} ` +
    `(device ${m.device.name}, ${m.device.fingerprint.slice(0, 12)}); --fresh to measure again`
  );
}

/** This lut command as typed again (options that differ from their defaults), with another --wait-agents. */
function lutCommandLine(args: LutArgs, waitAgentsS: number): string {
  const words = ['npx zeronas lut --target', shellWord(args.target)];
  const add = (option: string, value: string | number | boolean | undefined, unless?: string | number): void => {
    if (value === undefined || value === false || value === unless) return;
    words.push(value === true ? option : `${option} ${shellWord(String(value))}`);
  };
  add('--space', args.space, 'nb201');
  add('--dataset', args.dataset, 'cifar10');
  add('--out', args.out);
  add('--run-dir', args.runDir);
  add('--port', args.port, 8765);
  add('--listen', args.listen, '0.0.0.0');
  add('--plain-ws', args.plainWs);
  add('--rounds', args.rounds, 3);
  add('--sentinel-every', args.sentinelEvery);
  add('--min-runs', args.minRuns);
  add('--min-time-ms', args.minTimeMs);
  add('--warmup-ms', args.warmupMs);
  add('--cooldown-ms', args.cooldownMs);
  words.push(`--wait-agents ${waitAgentsS}`);
  return words.join(' ');
}

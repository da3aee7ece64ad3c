import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FALLBACK_MEASUREMENT } from '../../../agent/jobSettings.js';
import type { ChildJob } from '../../../agent/measureChild.js';
import { WarmMeasurementWorker } from '../../../agent/warmWorker.js';
import { resolveMeasurementSettings } from '../../../shared/measure/resolveSettings.js';
import { addModel } from '../../helpers/externalDataModels.js';
import { localCpuJob } from '../../../agent/localCpuJob.js';

const dir = mkdtempSync(join(tmpdir(), 'zeronas-warm-test-'));
const modelPath = join(dir, 'add.onnx');
writeFileSync(modelPath, addModel(16));
const workers: WarmMeasurementWorker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const FAST = { threads: 1, warmupRuns: 1, warmupMinMs: 0, minRuns: 5, minTotalMs: 10, maxTotalMs: 5_000, cooldownMs: 0, energy: 'off', timeoutMs: 60_000 } as const;

/**
 * A job that keeps measuring for a minute whatever the machine's speed: the warm-up has no sample cap (the timed
 * phase stops at MAX_RESULT_SAMPLES, which a tiny model reaches in well under a second on a quiet machine).
 */
const LONG = { warmupRuns: 1_000_000_000, warmupMinMs: 60_000, minRuns: 1_000_000, minTotalMs: 60_000, maxTotalMs: 120_000 } as const;

function job(jobId: string, overrides: Partial<Record<'minRuns' | 'minTotalMs' | 'maxTotalMs' | 'timeoutMs', number>> = {}): ChildJob {
  return localCpuJob({
    jobId,
    modelPath,
    model: { sha256: 'a'.repeat(64), sizeBytes: 0 },
    inputs: [{ name: 'input', dims: [16], dtype: 'float32' }],
    settings: resolveMeasurementSettings({ ...FAST, ...overrides }, FALLBACK_MEASUREMENT, { runtime: 'ort-node', executionProvider: 'cpu', threads: 1 }),
  }, 'unit');
}

function newWorker(lines: string[]): WarmMeasurementWorker {
  const worker = new WarmMeasurementWorker({ log: (l) => lines.push(l) });
  workers.push(worker);
  return worker;
}

async function waitFor(predicate: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 50));
  return predicate();
}

describe('WarmMeasurementWorker', () => {
  it('runs consecutive jobs in one process, each in its own private directory removed afterwards', async () => {
    const lines: string[] = [];
    const worker = newWorker(lines);
    const first = await worker.start(job('w1')).done;
    expect(first.status, lines.join('\n')).toBe('ok');
    const pid = worker.pid;
    const second = worker.start(job('w2'));
    expect((await second.done).status, lines.join('\n')).toBe('ok');
    expect(second.measuringMs?.()).toBeGreaterThan(0);
    expect(worker.pid).toBe(pid);
    expect(worker.processesStarted).toBe(1);
    const workDirs = lines.map((l) => /working directory (\S+)/.exec(l)?.[1]).filter((d): d is string => Boolean(d));
    expect(workDirs).toHaveLength(2);
    expect(workDirs[0]).not.toBe(workDirs[1]);
    for (const d of workDirs) expect(existsSync(d)).toBe(false);
  });

  it('survives a measurement process killed mid-job (as the OOM killer would): the job fails, the next one gets a new process', async () => {
    const lines: string[] = [];
    const worker = newWorker(lines);
    expect((await worker.start(job('before')).done).status, lines.join('\n')).toBe('ok');
    const firstPid = worker.pid!;
    // Long enough that the kill lands during the timed loop.
    const long = worker.start(job('crash', { ...LONG, timeoutMs: 170_000 }));
    expect(await waitFor(() => lines.some((l) => l.includes('[measure crash]')))).toBe(true);
    process.kill(firstPid, 'SIGKILL');
    const crashed = await long.done;
    expect(crashed).toMatchObject({ status: 'failed', error: { code: 'ZN_JOB_CRASHED', details: { signal: 'SIGKILL' } } });
    const after = await worker.start(job('after')).done;
    expect(after.status, lines.join('\n')).toBe('ok');
    expect(worker.pid).not.toBe(firstPid);
    expect(worker.processesStarted).toBe(2);
  });

  it('kills a job that overruns its timeout and measures the next job in a new process', async () => {
    const lines: string[] = [];
    const worker = newWorker(lines);
    const slow = await worker.start(job('slow', { ...LONG, timeoutMs: 1_500 })).done;
    expect(slow).toMatchObject({ status: 'failed', error: { code: 'ZN_JOB_TIMEOUT', details: { timeoutMs: 1_500 } } });
    expect((await worker.start(job('next')).done).status, lines.join('\n')).toBe('ok');
    expect(worker.processesStarted).toBe(2);
  });

  it('refuses a second job while one runs (the agent runs one at a time) and replaces the process after a cancel', async () => {
    const lines: string[] = [];
    const worker = newWorker(lines);
    const long = worker.start(job('long', { ...LONG }));
    expect(await worker.start(job('other')).done).toMatchObject({ status: 'failed', error: { code: 'ZN_AGENT_BUSY' } });
    long.cancel();
    expect(await long.done).toEqual({ status: 'cancelled' });
    expect((await worker.start(job('later')).done).status, lines.join('\n')).toBe('ok');
    expect(worker.processesStarted).toBe(2);
  });
});

describe('probeRuntimesIsolated', () => {
  it('probes each runtime in its own process and reports them as the in-process probe does', async () => {
    const { probeRuntimesIsolated } = await import('../../../agent/runtimes/probeIsolated.js');
    const { probeRuntimes } = await import('../../../agent/runtimes/index.js');
    const isolated = await probeRuntimesIsolated();
    expect(isolated.map((r) => [r.runtime, r.isAvailable, r.version])).toEqual((await probeRuntimes()).map((r) => [r.runtime, r.isAvailable, r.version]));
  });
});

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FALLBACK_MEASUREMENT } from '../../../agent/jobSettings.js';
import type { ChildJob } from '../../../agent/measureChild.js';
import { startMeasurement, withAbsolutePaths } from '../../../agent/measureWorker.js';
import { chooseMeter, DEFAULT_ENERGY_CONFIG } from '../../../agent/sensors/index.js';
import { resolveMeasurementSettings } from '../../../shared/measure/resolveSettings.js';
import { addModel } from '../../helpers/externalDataModels.js';
import { localCpuJob } from '../../../agent/localCpuJob.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const FAST = { threads: 1, warmupRuns: 1, warmupMinMs: 0, minRuns: 5, minTotalMs: 10, maxTotalMs: 5_000, cooldownMs: 0, energy: 'off', timeoutMs: 50_000 } as const;

function job(jobId: string, modelPath: string): ChildJob {
  return localCpuJob({
    jobId,
    modelPath,
    model: { sha256: 'a'.repeat(64), sizeBytes: 0 },
    inputs: [{ name: 'input', dims: [16], dtype: 'float32' }],
    settings: resolveMeasurementSettings(FAST, FALLBACK_MEASUREMENT, { runtime: 'ort-node', executionProvider: 'cpu', threads: 1 }),
  }, 'unit');
}

async function gone(path: string): Promise<boolean> {
  for (let i = 0; i < 100 && existsSync(path); i++) await new Promise((r) => setTimeout(r, 50));
  return !existsSync(path);
}

describe('withAbsolutePaths', () => {
  it("resolves the job's file paths against the agent's directory; bare command names stay PATH lookups", () => {
    const j = job('j', 'cache/m.onnx');
    const out = withAbsolutePaths({ ...j, sysRoot: 'fixtures/sys', vcgencmd: './bin/vcgencmd', energy: { ...j.energy, raplRoot: 'sys/rapl', vcgencmd: 'vcgencmd' } }, '/srv/agent');
    expect(out).toMatchObject({ modelPath: '/srv/agent/cache/m.onnx', sysRoot: '/srv/agent/fixtures/sys', vcgencmd: '/srv/agent/bin/vcgencmd' });
    expect(out.energy).toMatchObject({ raplRoot: '/srv/agent/sys/rapl', hwmonRoot: '/sys/class/hwmon', vcgencmd: 'vcgencmd', commandCwd: '/srv/agent' });
  });

  it("runs the operator's --energy-cmd in the agent's directory (commandCwd), so a relative command still works", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-worker-test-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'meter.sh'), '#!/bin/sh\necho "1.5 J"\n', { mode: 0o755 });
    const config = { ...DEFAULT_ENERGY_CONFIG, mode: 'external-command' as const, command: './meter.sh' };
    expect(await chooseMeter({ ...config, commandCwd: dir }, [])).toMatchObject({ isAvailable: true });
    expect(await chooseMeter(config, [])).toMatchObject({ isAvailable: false, reason: expect.stringMatching(/meter\.sh/) });
  });
});

describe('startMeasurement: the measurement child runs in an empty private directory', () => {
  it("measures from a fresh temporary directory (not the agent's), given a relative model path, and removes it afterwards", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-worker-test-'));
    dirs.push(dir);
    const modelPath = join(dir, 'clean.onnx');
    writeFileSync(modelPath, addModel(16));
    const lines: string[] = [];
    const handle = startMeasurement(job('clean', relative(process.cwd(), modelPath)), { log: (l) => lines.push(l) });
    const outcome = await handle.done;
    expect(outcome.status, lines.join('\n')).toBe('ok');
    const workDir = lines.map((l) => /working directory (\S+)/.exec(l)?.[1]).find(Boolean);
    expect(workDir).toBeDefined();
    expect(workDir).not.toBe(process.cwd());
    expect(workDir!.startsWith(join(tmpdir(), 'zeronas-measure-'))).toBe(true);
    expect(await gone(workDir!)).toBe(true);
  });

  it('refuses a model with external data in the child too (a model cached before the check existed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-worker-test-'));
    dirs.push(dir);
    const modelPath = join(dir, 'hostile.onnx');
    writeFileSync(modelPath, addModel(16, { location: 'agent.env', length: 64 }));
    const outcome = await startMeasurement(job('hostile', modelPath), { log: () => undefined }).done;
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'ZN_MODEL_EXTERNAL_DATA', details: { tensor: 'W', location: 'agent.env' } } });
  });
});

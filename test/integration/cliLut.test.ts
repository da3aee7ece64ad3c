import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enumerateSpaceKernels, kernelsOf } from '../../host/cost/kernelKeys.js';
import { loadLookupTable, predictFromLut } from '../../host/cost/lookupTable.js';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { runCli } from '../helpers/runCli.js';

const onnxruntimeNodeVersion = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;

/** `zeronas lut --target local` end to end: host, a real local agent process, two rounds of every NB201 kernel. */
describe('zeronas lut', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zeronas-lut-'));
  const env = { ZERONAS_CONFIG_DIR: join(dir, 'config') };
  const out = join(dir, 'nb201.json');
  const args = ['lut', '--target', 'local', '--port', '0', '--listen', '127.0.0.1', '--rounds', '2', '--sentinel-every', '10', '--min-runs', '3', '--min-time-ms', '5', '--warmup-ms', '5', '--cooldown-ms', '0', '--out', out, '--run-dir', join(dir, 'run')];

  it('measures every kernel of the space in 2 rounds (drift sentinel every 10) and writes a table that prices every cell', async () => {
    const r = await runCli([...args, '--json'], { env, timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ out, kernels: enumerateSpaceKernels('nb201', { datasets: ['cifar10'] }).length });
    const lut = await loadLookupTable(out);
    expect(lut.measurement.rounds).toBe(2);
    expect(lut.measurement.driftSentinel).toMatchObject({ every: 10 });
    expect(lut.entries[lut.measurement.driftSentinel!.kernel]).toBeDefined();
    const keys = enumerateSpaceKernels('nb201', { datasets: ['cifar10'] }).map((k) => k.key);
    expect(Object.keys(lut.entries).sort()).toEqual([...keys].sort());
    for (const e of Object.values(lut.entries)) {
      expect(e.roundMediansMs).toHaveLength(2);
      // the entry is the median of its (drift-corrected) round medians: of two, their mean
      expect(e.medianMs).toBeCloseTo((e.roundMediansMs![0]! + e.roundMediansMs![1]!) / 2, 9);
      expect(e.n).toBeGreaterThanOrEqual(6);
    }
    const graph = buildNb201Network('|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|');
    const p = predictFromLut(lut, graph);
    expect(p.missing).toEqual([]);
    expect(p.calls).toBe(kernelsOf(graph).reduce((a, k) => a + k.count, 0));
    expect(p.valueMs).toBeGreaterThan(0);
  }, 300_000);

  it('a rerun on the same device and runtime resumes from the store, measures nothing again and says so', async () => {
    const before = readFileSync(out, 'utf8');
    const r = await runCli(args, { env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(before).entries;
    const b = (await loadLookupTable(out)).entries;
    for (const key of Object.keys(a)) expect(b[key]!.roundMediansMs).toEqual(a[key].roundMediansMs);
    const n = 2 * enumerateSpaceKernels('nb201', { datasets: ['cifar10'] }).length;
    expect(r.stderr).toContain(`reusing ${n} of ${n} kernel measurements from ${join(dir, 'run')}, taken `);
    expect(r.stderr).toContain('--fresh to measure again');
    expect(r.stderr).toContain(`0 of ${n} kernel measurement(s) (2 rounds) to take`);
    expect(r.stdout).toContain(`; all of ${n} measurements reused from ${join(dir, 'run')} (--fresh to measure again)`);
  }, 120_000);

  it('after a runtime update (stored measurements name another version) a rerun measures again and the table names the new runtime', async () => {
    // The store as an earlier onnxruntime left it: same device, runtime version 1.0.0-old in every result.
    const db = new Database(join(dir, 'run', 'store.sqlite'));
    db.prepare(`UPDATE measurements SET result_json = json_set(result_json, '$.runtime.version', '1.0.0-old')`).run();
    db.close();
    const r = await runCli([...args.filter((a, i) => a !== '--rounds' && args[i - 1] !== '--rounds'), '--rounds', '1', '--json'], { env, timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const kernels = enumerateSpaceKernels('nb201', { datasets: ['cifar10'] }).length;
    expect(r.stderr).toContain(`were taken on ort-node 1.0.0-old`);
    expect(r.stderr).toContain(`measuring all ${kernels} again`);
    expect(JSON.parse(r.stdout)).toMatchObject({ reusedMeasurements: 0, measurements: kernels, measurementRun: 'lut.g1' });
    const lut = await loadLookupTable(out);
    expect(lut.runtime.version).not.toBe('1.0.0-old');
    expect(lut.runtime.version).toBe(onnxruntimeNodeVersion);
  }, 300_000);

  it('refuses an unknown target at once, as orchestrate does, before any run folder exists', async () => {
    const r = await runCli(['lut', '--target', 'pi9', '--run-dir', join(dir, 'pi9-run'), '--out', join(dir, 'x.json')], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ZN_BAD_ARGUMENT: unknown target 'pi9'");
    expect(existsSync(join(dir, 'pi9-run'))).toBe(false);
  });

  it('refuses a bad --port or --wait-agents, naming the value, before any run folder exists', async () => {
    for (const [bad, expected] of [
      [['--port', '-5'], '--port must be an integer from 0 to 65535 (0 = any free port, printed when listening), got -5'],
      [['--port', '99999'], 'got 99999'],
      [['--wait-agents', '-1'], '--wait-agents must be a positive number of seconds (e.g. 120), got -1'],
    ] as const) {
      const r = await runCli(['lut', '--target', 'local', ...bad, '--run-dir', join(dir, 'bad-run'), '--json'], { env });
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ code: 'ZN_BAD_ARGUMENT', message: expect.stringContaining(expected) });
      expect(existsSync(join(dir, 'bad-run'))).toBe(false);
    }
  });

  it('times out waiting for an agent with the command that continues, its run folder kept and named', async () => {
    const runDir = join(dir, 'nobody-run');
    const r = await runCli(['lut', '--target', 'name:nobody', '--port', '0', '--listen', '127.0.0.1', '--wait-agents', '1', '--out', join(dir, 'nobody.json'), '--run-dir', runDir, '--json'], { env });
    expect(r.code).toBe(1);
    const resumeCommand = `npx zeronas lut --target name:nobody --out ${join(dir, 'nobody.json')} --run-dir ${runDir} --port 0 --listen 127.0.0.1 --wait-agents 300`;
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'ZN_NO_AGENT', message: expect.stringContaining(resumeCommand), details: { missing: ['name:nobody'], runDir, resumeCommand } });
    expect(existsSync(join(runDir, 'store.sqlite'))).toBe(true);
  });

  it('refuses --rounds 0, naming the value', async () => {
    const r = await runCli(['lut', '--target', 'local', '--rounds', '0', '--out', join(dir, 'x.json')], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--rounds must be a positive integer, got 0');
  });
});

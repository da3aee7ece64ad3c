import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enumerateSpaceKernels, kernelsOf } from '../../host/cost/kernelKeys.js';
import { loadLookupTable, predictFromLut } from '../../host/cost/lookupTable.js';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { runCli } from '../helpers/runCli.js';

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

  it('a rerun resumes from the store and measures nothing again (same table values)', async () => {
    const before = readFileSync(out, 'utf8');
    const r = await runCli(args, { env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(before).entries;
    const b = (await loadLookupTable(out)).entries;
    for (const key of Object.keys(a)) expect(b[key]!.roundMediansMs).toEqual(a[key].roundMediansMs);
  }, 120_000);

  it('refuses --rounds 0, naming the value', async () => {
    const r = await runCli(['lut', '--target', 'local', '--rounds', '0', '--out', join(dir, 'x.json')], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--rounds must be a positive integer, got 0');
  });
});

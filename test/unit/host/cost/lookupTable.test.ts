import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelsOf } from '../../../../host/cost/kernelKeys.js';
import {
  assertLutFresh,
  checkLutFreshness,
  loadLookupTable,
  parseLookupTable,
  predictFromLut,
  saveLookupTable,
  type LookupTable,
} from '../../../../host/cost/lookupTable.js';
import { buildNb201Network } from '../../../../host/spaces/nb201.js';

const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';

function tableFor(archs: string[], costOf: (key: string) => number): LookupTable {
  const entries: LookupTable['entries'] = {};
  for (const arch of archs) {
    for (const k of kernelsOf(buildNb201Network(arch), { execution: 'all' })) {
      entries[k.key] = { medianMs: costOf(k.key), p90Ms: costOf(k.key) * 1.1, n: 20 };
    }
  }
  return {
    format: 'zeronas-lut',
    version: 1,
    device: { fingerprint: 'pi4-8GB-a1b2', name: 'shelf pi' },
    runtime: { name: 'onnxruntime-node', version: '1.30.0' },
    executionProvider: 'cpu',
    threads: 4,
    measurement: { warmupRuns: 10, repeats: 20, batch: 1, foldBatchNorm: true },
    execution: 'all',
    createdAt: '2025-01-01T00:00:00Z',
    entries,
  };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('predictFromLut', () => {
  it('sums count x median over the kernels the graph runs', () => {
    const lut = tableFor([ARCH], () => 0.5);
    const graph = buildNb201Network(ARCH);
    const kernels = kernelsOf(graph, { execution: 'all' }).reduce((s, k) => s + k.count, 0);
    const p = predictFromLut(lut, graph);
    expect(p.valueMs).toBeCloseTo(0.5 * kernels, 10);
    expect(p.spreadMs).toBeCloseTo(0.05 * kernels, 10);
    expect(p.missing).toEqual([]);
  });

  it('throws ZN_LUT_INCOMPLETE naming a missing kernel, or lists it with allowMissing', () => {
    const lut = tableFor([ARCH], () => 1);
    const other = buildNb201Network('|nor_conv_1x1~0|+|none~0|none~1|+|none~0|none~1|nor_conv_1x1~2|');
    expect(() => predictFromLut(lut, other)).toThrow(expect.objectContaining({ code: 'ZN_LUT_INCOMPLETE', message: expect.stringContaining('relu_conv_bn|k1s1p0d1g1') }));
    expect(predictFromLut(lut, other, { allowMissing: true }).missing.length).toBeGreaterThan(0);
  });
});

describe('lookup table files', () => {
  it('round-trips through save and load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zn-lut-'));
    dirs.push(dir);
    const lut = tableFor([ARCH], (k) => k.length / 100);
    await saveLookupTable(join(dir, 'pi4.json'), lut);
    expect(await loadLookupTable(join(dir, 'pi4.json'))).toEqual(lut);
  });

  it("rejects an entry without 'n' (ZN_BAD_DATA) naming the field", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zn-lut-'));
    dirs.push(dir);
    const lut = tableFor([ARCH], () => 1) as unknown as { entries: Record<string, Record<string, unknown>> };
    const first = Object.keys(lut.entries)[0]!;
    delete lut.entries[first]!.n;
    await writeFile(join(dir, 'bad.json'), JSON.stringify(lut));
    await expect(loadLookupTable(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'ZN_BAD_DATA', message: expect.stringContaining(`entries.${first}.n`) });
    expect(() => parseLookupTable({ format: 'other' })).toThrow(expect.objectContaining({ code: 'ZN_BAD_DATA' }));
  });
});

describe('staleness check', () => {
  const lut = tableFor([ARCH], () => 1);
  const here = { deviceFingerprint: 'pi4-8GB-a1b2', runtimeName: 'onnxruntime-node', runtimeVersion: '1.30.0', executionProvider: 'cpu' };

  it('returns null when device fingerprint, runtime version and EP match', () => {
    expect(checkLutFreshness(lut, here)).toBeNull();
    expect(() => assertLutFresh(lut, here)).not.toThrow();
  });

  it('warns ZN_LUT_STALE naming both fingerprints for another device', () => {
    const w = checkLutFreshness(lut, { ...here, deviceFingerprint: 'pi5-4GB-ffff' })!;
    expect(w.code).toBe('ZN_LUT_STALE');
    expect(w.message).toContain("'pi4-8GB-a1b2'");
    expect(w.message).toContain("'pi5-4GB-ffff'");
    expect(w.mismatches).toEqual([{ field: 'deviceFingerprint', table: 'pi4-8GB-a1b2', current: 'pi5-4GB-ffff' }]);
  });

  it('throws ZN_LUT_STALE for runtime 1.30.0 vs 1.31.0 on the same device', () => {
    expect(() => assertLutFresh(lut, { ...here, runtimeVersion: '1.31.0' })).toThrow(
      expect.objectContaining({ code: 'ZN_LUT_STALE', message: expect.stringContaining("runtimeVersion '1.30.0' (table) vs '1.31.0' (current)") }),
    );
  });

  it('names the command that re-measures the table when the caller gives it', () => {
    const w = checkLutFreshness(lut, { ...here, runtimeVersion: '1.31.0' }, { remeasureCommand: 'npx zeronas lut --target pi4' })!;
    expect(w.message).toContain('re-measure the table on this device: npx zeronas lut --target pi4 (or pass the matching table)');
  });

  it('reports ZN_EP_MISMATCH when only the execution provider differs (cpu vs xnnpack)', () => {
    expect(checkLutFreshness(lut, { ...here, executionProvider: 'xnnpack' })?.code).toBe('ZN_EP_MISMATCH');
    expect(() => assertLutFresh(lut, { ...here, executionProvider: 'xnnpack' })).toThrow(expect.objectContaining({ code: 'ZN_EP_MISMATCH' }));
  });
});

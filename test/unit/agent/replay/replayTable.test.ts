import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decimalStep, loadReplayTable, parseReplaySpec, parseReplayTable } from '../../../../agent/replay/index.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/hwnasbench_nb201_subset.csv', import.meta.url));
const ARCH_0 = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';

describe('parseReplaySpec', () => {
  it("splits 'C:/data/t.csv:cifar10_raspi4_latency' on the last ':'", () => {
    expect(parseReplaySpec('C:/data/t.csv:cifar10_raspi4_latency')).toEqual({
      path: 'C:/data/t.csv',
      column: 'cifar10_raspi4_latency',
    });
    expect(parseReplaySpec('a:b:c.csv:col')).toEqual({ path: 'a:b:c.csv', column: 'col' });
  });

  it.each(['table.csv', 'table.csv:', ':col'])("rejects '%s' without a path and a column (ZN_BAD_ARGUMENT)", (spec) => {
    expect(() => parseReplaySpec(spec)).toThrow(
      expect.objectContaining({
        code: 'ZN_BAD_ARGUMENT',
        message: expect.stringContaining(`'${spec}' must be <csv>:<column>`),
      }),
    );
  });
});

describe('loadReplayTable', () => {
  it('loads the HW-NAS-Bench fixture: 12 arch strings, cifar10_raspi4_latency in ms, edgegpu energy in mJ', () => {
    const t = loadReplayTable(FIXTURE, { column: 'cifar10_raspi4_latency', energyColumn: 'cifar10_edgegpu_energy' });
    expect(t.basename).toBe('hwnasbench_nb201_subset.csv');
    expect(t.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(t.rows).toBe(12);
    expect(t.latency.values.size).toBe(12);
    expect(t.latency.skipped.size).toBe(0);
    expect(t.latency.values.get(ARCH_0)).toBe(10.48198);
    expect(t.energy?.values.get(ARCH_0)).toBe(24.22661);
    expect(t.energy?.resolutionJ.get(ARCH_0)).toBeCloseTo(1e-8, 20); // last digit 1e-5 mJ
    expect(t.noise).toBeNull();
  });

  it("names the file and the column when column 'cifar10_raspi5_latency' is missing (ZN_BAD_DATA)", () => {
    expect(() => loadReplayTable(FIXTURE, { column: 'cifar10_raspi5_latency' })).toThrow(
      expect.objectContaining({
        code: 'ZN_BAD_DATA',
        message: expect.stringMatching(
          /hwnasbench_nb201_subset\.csv' has no latency column 'cifar10_raspi5_latency'; its columns: index, arch_str/,
        ),
      }),
    );
  });

  it("names a missing noise column 'cifar100_raspi5_latency' and a missing energy column (ZN_BAD_DATA)", () => {
    expect(() =>
      loadReplayTable(FIXTURE, { column: 'cifar10_raspi4_latency', noiseColumn: 'cifar100_raspi5_latency' }),
    ).toThrow(
      expect.objectContaining({
        code: 'ZN_BAD_DATA',
        message: expect.stringContaining("no noise column 'cifar100_raspi5_latency'"),
      }),
    );
    expect(() => loadReplayTable(FIXTURE, { column: 'cifar10_raspi4_latency', energyColumn: 'raspi4_energy' })).toThrow(
      expect.objectContaining({
        code: 'ZN_BAD_DATA',
        message: expect.stringContaining("no energy column 'raspi4_energy'"),
      }),
    );
  });

  it("reports an unreadable file 'no/such.csv' as ZN_IO naming the path", () => {
    expect(() => loadReplayTable('no/such.csv', { column: 'x' })).toThrow(
      expect.objectContaining({ code: 'ZN_IO', message: expect.stringContaining("'no/such.csv'") }),
    );
  });
});

describe('parseReplayTable', () => {
  const csv = (rows: string[]): string => ['arch_str,lat,lat2', ...rows].join('\n');

  it("skips and counts rows with '', 'nan', 'inf' and '-1', keeping the cell to explain a miss", () => {
    const t = parseReplayTable(csv(['a,1.5,1', 'b,,1', 'c,nan,1', 'd,inf,1', 'e,-1,1', 'f,0,1']), 't.csv', {
      column: 'lat',
    });
    expect([...t.latency.values]).toEqual([
      ['a', 1.5],
      ['f', 0],
    ]);
    expect([...t.latency.skipped]).toEqual([
      ['b', ''],
      ['c', 'nan'],
      ['d', 'inf'],
      ['e', '-1'],
    ]);
  });

  it('rejects a table without an arch_str column, naming it (ZN_BAD_DATA)', () => {
    expect(() => parseReplayTable('arch,lat\na,1\n', 't.csv', { column: 'lat' })).toThrow(
      expect.objectContaining({
        code: 'ZN_BAD_DATA',
        message: expect.stringContaining("'t.csv' has no key (NAS-Bench-201 arch string) column 'arch_str'"),
      }),
    );
  });

  it("rejects arch 'a' listed twice (ZN_BAD_DATA naming both lines)", () => {
    expect(() => parseReplayTable(csv(['a,1,1', 'b,2,2', 'a,3,3']), 't.csv', { column: 'lat' })).toThrow(
      expect.objectContaining({
        code: 'ZN_BAD_DATA',
        message: expect.stringContaining("arch 'a' twice (lines 2 and 4)"),
      }),
    );
  });

  it("rejects column 'lat' with no usable value (ZN_BAD_DATA)", () => {
    expect(() => parseReplayTable(csv(['a,nan,1', 'b,-2,1']), 't.csv', { column: 'lat' })).toThrow(
      expect.objectContaining({
        code: 'ZN_BAD_DATA',
        message: expect.stringContaining("no usable value in column 'lat' (2 row(s)"),
      }),
    );
  });

  it('rejects --replay-noise equal to the replayed column (ZN_BAD_ARGUMENT)', () => {
    expect(() => parseReplayTable(csv(['a,1,1']), 't.csv', { column: 'lat', noiseColumn: 'lat' })).toThrow(
      expect.objectContaining({
        code: 'ZN_BAD_ARGUMENT',
        message: expect.stringContaining("'lat' is the replayed column"),
      }),
    );
  });

  it.each([
    ['24.22661', 1e-5],
    ['12', 1],
    ['1.5e-3', 1e-4],
    ['0.50', 1e-2],
    ['abc', null],
  ] as const)("decimalStep('%s') = %s", (cell, step) => {
    const got = decimalStep(cell);
    if (step === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(step, 15);
  });
});

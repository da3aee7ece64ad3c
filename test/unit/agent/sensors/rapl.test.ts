import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { counterDeltaJ } from '../../../../agent/sensors/energyMeter.js';
import { probeRapl } from '../../../../agent/sensors/rapl.js';

const ROOT = fileURLToPath(new URL('../../../fixtures/sysfs/rapl', import.meta.url));

describe('RAPL (simulated powercap tree)', () => {
  it('sums package-0 and the dram subzone, leaves out core and psys', async () => {
    const probe = await probeRapl({ root: ROOT });
    expect(probe.isAvailable).toBe(true);
    expect(probe.rails).toEqual(['package-0', 'dram']);
  });

  it('counter wrap-around: 262143.0 J -> 1.0 J with range 262143.32885 J is 1.32885 J', () => {
    expect(counterDeltaJ(262143.0, 1.0, 262143.32885)).toBeCloseTo(1.32885, 9);
    expect(counterDeltaJ(5, 7, 10)).toBe(2);
  });

  it('integrates through a wrap inside the window (scripted energy_uj readings)', async () => {
    const range = 262143328850;
    const pkg = [range - 2_000_000, range - 1_000_000, 500_000]; // wraps between the 2nd and 3rd read
    const dram = [100, 200, 300];
    let i = 0;
    let j = 0;
    const reader = {
      readText: async (path: string) => {
        if (path.endsWith('intel-rapl:0/energy_uj')) return String(pkg[Math.min(i++, 2)]);
        if (path.endsWith('intel-rapl:0:1/energy_uj')) return String(dram[Math.min(j++, 2)]);
        return readFile(path, 'utf8');
      },
    };
    const probe = await probeRapl({ root: ROOT, reader, pollMs: 1e9 });
    if (!probe.isAvailable) throw new Error(probe.reason);
    i = 1; // the probe's test read consumed index 0
    j = 1;
    const window = await probe.meter.start();
    const reading = await window.stop();
    // package: (range - 1e6) -> 5e5 wrapped = 1.5e6 µJ; dram: 200 -> 300 = 100 µJ
    expect(reading.energyJ).toBeCloseTo(1.5 + 0.0001, 9);
    expect(reading.resolution).toEqual({ kind: 'counter', energyJ: 1e-6 });
  });

  it('explains a missing read permission (EACCES, Linux >= 5.10) instead of failing', async () => {
    const reader = {
      readText: async (path: string) => {
        if (path.endsWith('energy_uj')) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
        return readFile(path, 'utf8');
      },
    };
    const probe = await probeRapl({ root: ROOT, reader });
    expect(probe.isAvailable).toBe(false);
    if (!probe.isAvailable) {
      expect(probe.reason).toMatch(/root only/);
      expect(probe.reason).toMatch(/CVE-2020-8694/);
      expect(probe.reason).toMatch(/chmod a\+r/);
    }
  });

  it('no powercap tree -> unavailable with a reason', async () => {
    const probe = await probeRapl({ root: '/nonexistent/powercap' });
    expect(probe.isAvailable ? null : probe.reason).toMatch(/no RAPL package zone/);
  });
});

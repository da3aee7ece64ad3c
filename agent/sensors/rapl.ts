/**
 * Linux RAPL through the powercap sysfs tree (`/sys/class/powercap/intel-rapl:N[:M]`): cumulative energy counters
 * in µJ (`energy_uj`) that wrap at `max_energy_range_uj`. We sum the top-level `package-*` zones and any `dram`
 * subzones (dram is not part of package); `psys` is left out because it overlaps package. Rails are the zone names.
 * Since Linux 5.10 `energy_uj` is readable by root only (CVE-2020-8694, "PLATYPUS"): that case is reported as
 * unavailable with the fix, not as an error.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { counterMeter, errorCode, fsReader, type MeterProbe, type MonotonicClock, type TextReader } from './energyMeter.js';

export const RAPL_ROOT = '/sys/class/powercap';

export const raplPermissionHint = (path: string): string =>
  `${path} is readable by root only (Linux >= 5.10, CVE-2020-8694). Either run the agent as root, make it readable ` +
  `until reboot with 'sudo chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj /sys/class/powercap/intel-rapl:*:*/energy_uj', ` +
  `or add a udev rule: ACTION=="add", SUBSYSTEM=="powercap", KERNEL=="intel-rapl:*", RUN+="/bin/chmod a+r /sys%p/energy_uj"`;

interface Zone {
  dir: string;
  name: string;
}

async function listZones(root: string): Promise<string[]> {
  try {
    return (await readdir(root)).filter((d) => /^intel-rapl:\d+(:\d+)?$/.test(d)).sort();
  } catch {
    return [];
  }
}

export async function probeRapl(options: { root?: string; reader?: TextReader; pollMs?: number; clock?: MonotonicClock } = {}): Promise<MeterProbe> {
  const root = options.root ?? RAPL_ROOT;
  const reader = options.reader ?? fsReader;
  const dirs = await listZones(root);
  const zones: Zone[] = [];
  for (const d of dirs) {
    let name: string;
    try {
      name = (await reader.readText(join(root, d, 'name'))).trim();
    } catch {
      continue;
    }
    const isTop = /^intel-rapl:\d+$/.test(d);
    if ((isTop && name.startsWith('package')) || (!isTop && name === 'dram')) zones.push({ dir: join(root, d), name });
  }
  if (zones.length === 0) {
    return {
      method: 'rapl',
      isAvailable: false,
      rails: [],
      reason: `no RAPL package zone under ${root} (not an Intel/AMD x86 CPU, a VM without RAPL, or the intel_rapl driver is not loaded)`,
    };
  }
  const rails = zones.map((z) => z.name);
  const channels = [];
  for (const z of zones) {
    const energyPath = join(z.dir, 'energy_uj');
    let rangeUj: number;
    try {
      await reader.readText(energyPath).then(parseMicro(energyPath));
      rangeUj = await reader.readText(join(z.dir, 'max_energy_range_uj')).then(parseMicro(join(z.dir, 'max_energy_range_uj')));
    } catch (err) {
      if (errorCode(err) === 'EACCES' || errorCode(err) === 'EPERM') {
        return { method: 'rapl', isAvailable: false, rails, reason: raplPermissionHint(energyPath) };
      }
      return { method: 'rapl', isAvailable: false, rails, reason: `cannot read ${energyPath}: ${(err as Error).message}` };
    }
    channels.push({ read: async () => (await reader.readText(energyPath).then(parseMicro(energyPath))) / 1e6, rangeJ: rangeUj / 1e6 });
  }
  return {
    method: 'rapl',
    isAvailable: true,
    rails,
    meter: counterMeter({ method: 'rapl', rails, channels, lsbJ: 1e-6, pollMs: options.pollMs ?? 1_000, ...(options.clock ? { clock: options.clock } : {}) }),
  };
}

const parseMicro = (path: string) => (text: string): number => {
  const value = Number(text.trim());
  if (!Number.isFinite(value) || value < 0) throw new Error(`${path} holds '${text.trim().slice(0, 40)}', expected a non-negative integer`);
  return value;
};

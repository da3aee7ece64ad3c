/**
 * Who and what this device is, and its state right now. Uses `systeminformation` for OS and CPU identity and reads
 * the Linux files it does not cover: /proc/device-tree/model (Raspberry Pi model), cpufreq (governor and
 * frequency), thermal zones (temperature), `vcgencmd get_throttled` (Pi throttle bits) or
 * thermal_throttle/core_throttle_count (x86). Every read is optional: a missing file gives null plus the reason.
 * `sysRoot` and `run` are injectable so tests can use a fixture tree and canned command output.
 *
 * Fingerprint = sha256 over: machine-id (or hostname), CPU model, logical cores, architecture, Pi model, distro,
 * OS release, kernel, memory in whole GiB. It changes when the OS, kernel or hardware change; it does not include
 * runtime versions (LUTs are keyed by fingerprint + runtime version).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { Conditions, DeviceDescriptor, PiThrottleFlags, RuntimeAvailability, EnergyMeterAvailability, ThrottleState } from '../shared/protocol/messages.js';
import type { CommandRunner } from './sensors/energyMeter.js';
import { execRunner } from './sensors/commandRunner.js';
import { probeEmulation } from './emulation.js';

export interface DeviceInfoOptions {
  /** Prefix for /proc, /sys and /etc (default '/'). */
  sysRoot?: string;
  run?: CommandRunner;
  vcgencmd?: string;
  now?: () => Date;
}

async function readText(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).replace(/\0/g, '').trim();
  } catch {
    return null;
  }
}

/** `throttled=0x50005` -> flags (bits 0-3 now, 16-19 since boot). */
export function parseGetThrottled(output: string): { raw: string; flags: PiThrottleFlags } | null {
  const m = /throttled=(0x[0-9a-fA-F]+)/.exec(output);
  if (!m) return null;
  const bits = Number.parseInt(m[1]!, 16);
  const bit = (n: number): boolean => (bits & (1 << n)) !== 0;
  return {
    raw: m[1]!,
    flags: {
      isUnderVoltageNow: bit(0),
      isFreqCappedNow: bit(1),
      isThrottledNow: bit(2),
      isSoftTempLimitNow: bit(3),
      hasUnderVoltageOccurred: bit(16),
      hasFreqCapOccurred: bit(17),
      hasThrottlingOccurred: bit(18),
      hasSoftTempLimitOccurred: bit(19),
    },
  };
}

const PREFERRED_ZONES = ['cpu-thermal', 'cpu_thermal', 'x86_pkg_temp', 'soc_thermal', 'coretemp', 'k10temp'];

async function readTemperature(root: string): Promise<{ tempC: number | null; source: string }> {
  const base = join(root, 'sys/class/thermal');
  let zones: string[];
  try {
    zones = (await readdir(base)).filter((z) => z.startsWith('thermal_zone')).sort();
  } catch {
    return { tempC: null, source: `no ${base} (no thermal zones exposed, e.g. a VM)` };
  }
  const typed = await Promise.all(zones.map(async (z) => ({ zone: z, type: (await readText(join(base, z, 'type'))) ?? '' })));
  const pick = typed.find((z) => PREFERRED_ZONES.includes(z.type)) ?? typed[0];
  if (!pick) return { tempC: null, source: `no thermal_zone* under ${base}` };
  const milli = Number(await readText(join(base, pick.zone, 'temp')));
  if (!Number.isFinite(milli)) return { tempC: null, source: `${pick.zone}/temp unreadable` };
  return { tempC: milli / 1000, source: `${pick.zone} (${pick.type || 'untyped'})` };
}

async function readThrottle(root: string, isPi: boolean, run: CommandRunner, vcgencmd: string): Promise<ThrottleState> {
  if (isPi) {
    try {
      const parsed = parseGetThrottled(await run(vcgencmd, ['get_throttled'], 5_000));
      if (parsed) return { source: 'vcgencmd', raw: parsed.raw, flags: parsed.flags };
      return { source: 'unavailable', reason: `${vcgencmd} get_throttled printed no 'throttled=0x...'` };
    } catch (err) {
      return { source: 'unavailable', reason: `${vcgencmd} get_throttled failed: ${(err as Error).message.slice(0, 300)} (install libraspberrypi-bin; user in group 'video')` };
    }
  }
  const cpuDir = join(root, 'sys/devices/system/cpu');
  let cpus: string[];
  try {
    cpus = (await readdir(cpuDir)).filter((d) => /^cpu\d+$/.test(d));
  } catch {
    cpus = [];
  }
  let count = 0;
  let found = 0;
  for (const c of cpus) {
    const v = await readText(join(cpuDir, c, 'thermal_throttle/core_throttle_count'));
    if (v !== null && Number.isFinite(Number(v))) {
      count += Number(v);
      found++;
    }
  }
  if (found > 0) return { source: 'core-throttle-count', count };
  return { source: 'unavailable', reason: 'no vcgencmd (not a Raspberry Pi) and no thermal_throttle/core_throttle_count in sysfs' };
}

export async function readPiModel(sysRoot = '/'): Promise<string | null> {
  const model = await readText(join(sysRoot, 'proc/device-tree/model'));
  return model && /raspberry pi/i.test(model) ? model : null;
}

export async function readConditions(options: DeviceInfoOptions = {}): Promise<Conditions> {
  const root = options.sysRoot ?? '/';
  const run = options.run ?? execRunner;
  const piModel = await readPiModel(root);
  const isPi = piModel !== null && /raspberry pi/i.test(piModel);
  const freqDir = join(root, 'sys/devices/system/cpu/cpu0/cpufreq');
  const [temp, curKhz, governor, throttle] = await Promise.all([
    readTemperature(root),
    readText(join(freqDir, 'scaling_cur_freq')),
    readText(join(freqDir, 'scaling_governor')),
    readThrottle(root, isPi, run, options.vcgencmd ?? 'vcgencmd'),
  ]);
  const khz = Number(curKhz);
  return {
    at: (options.now?.() ?? new Date()).toISOString(),
    tempC: temp.tempC,
    tempSource: temp.source,
    curFreqMHz: curKhz !== null && Number.isFinite(khz) ? khz / 1000 : null,
    governor: governor || null,
    throttle,
  };
}

export interface DescribeDeviceOptions extends DeviceInfoOptions {
  name: string;
  profile: string | null;
  runtimes: RuntimeAvailability[];
  energyMeters: EnergyMeterAvailability[];
  /** --force-device on hardware the profile does not describe: why, and what the hardware is (agent/cli.ts). */
  forcedDevice?: string | null;
}

export function fingerprintOf(parts: Record<string, string | number | null>): string {
  const canonical = JSON.stringify(Object.keys(parts).sort().map((k) => [k, parts[k]]));
  return createHash('sha256').update(canonical).digest('hex');
}

export async function describeDevice(options: DescribeDeviceOptions): Promise<DeviceDescriptor> {
  const root = options.sysRoot ?? '/';
  const si = await import('systeminformation');
  const [osInfo, cpu] = await Promise.all([si.osInfo().catch(() => null), si.cpu().catch(() => null)]);
  const piModel = await readPiModel(root);
  const emulation = await probeEmulation({ sysRoot: root });
  const freqDir = join(root, 'sys/devices/system/cpu/cpu0/cpufreq');
  const maxKhz = Number(await readText(join(freqDir, 'cpuinfo_max_freq')));
  const conditions = await readConditions(options);
  const machineId = await readText(join(root, 'etc/machine-id'));
  const cpuModel = (cpu ? `${cpu.manufacturer} ${cpu.brand}`.trim() : '') || os.cpus()[0]?.model || 'unknown';
  const cores = cpu?.cores || os.cpus().length || 1;
  const hostname = os.hostname();
  const descriptor: Omit<DeviceDescriptor, 'fingerprint'> = {
    hostname,
    name: options.name,
    profile: options.profile,
    environment: 'node',
    os: {
      platform: os.platform(),
      distro: osInfo ? `${osInfo.distro} ${osInfo.release}`.trim() : 'unknown',
      release: os.release(),
      kernel: osInfo?.kernel || os.release(),
      arch: os.arch(),
    },
    cpu: {
      model: cpuModel.slice(0, 256),
      cores,
      physicalCores: cpu?.physicalCores || null,
      governor: conditions.governor,
      curFreqMHz: conditions.curFreqMHz,
      maxFreqMHz: Number.isFinite(maxKhz) && maxKhz > 0 ? maxKhz / 1000 : null,
    },
    memoryBytes: os.totalmem(),
    piModel,
    platformVersion: `node ${process.versions.node}`,
    runtimes: options.runtimes,
    energyMeters: options.energyMeters,
    conditions,
    ...(emulation ? { emulation } : {}),
    ...(options.forcedDevice ? { forcedDevice: options.forcedDevice.slice(0, 256) } : {}),
  };
  const fingerprint = fingerprintOf({
    machine: machineId ?? hostname,
    cpuModel: descriptor.cpu.model,
    cores,
    arch: descriptor.os.arch,
    piModel,
    distro: descriptor.os.distro,
    release: descriptor.os.release,
    kernel: descriptor.os.kernel,
    memoryGiB: Math.round(descriptor.memoryBytes / 2 ** 30),
  });
  return { fingerprint, ...descriptor };
}

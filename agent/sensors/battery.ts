/**
 * Battery discharge through `/sys/class/power_supply`: a supply of type `Battery` whose `status` is `Discharging`,
 * read as `power_now` (µW) or `current_now` (µA) x `voltage_now` (µV). Only valid while on battery: when a mains or
 * USB supply is online, or the battery is charging/full, the meter is unavailable. The rail is the whole system
 * (screen included); fuel gauges update slowly (often once per several seconds), so use long energy windows.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fsReader, sampledMeter, type MeterProbe, type PowerSample, type TextReader } from './energyMeter.js';

export const POWER_SUPPLY_ROOT = '/sys/class/power_supply';

async function readOptional(reader: TextReader, path: string): Promise<string | null> {
  try {
    return (await reader.readText(path)).trim();
  } catch {
    return null;
  }
}

export async function probeBattery(options: { root?: string; reader?: TextReader; samplePeriodMs: number }): Promise<MeterProbe> {
  const root = options.root ?? POWER_SUPPLY_ROOT;
  const reader = options.reader ?? fsReader;
  let supplies: string[];
  try {
    supplies = (await readdir(root)).sort();
  } catch {
    supplies = [];
  }
  let battery: string | null = null;
  for (const s of supplies) {
    const type = await readOptional(reader, join(root, s, 'type'));
    if (type === 'Battery' && battery === null) battery = s;
    if ((type === 'Mains' || type === 'USB') && (await readOptional(reader, join(root, s, 'online'))) === '1') {
      return { method: 'battery', isAvailable: false, rails: [], reason: `external power '${s}' is online; battery discharge needs the device unplugged` };
    }
  }
  if (battery === null) return { method: 'battery', isAvailable: false, rails: [], reason: `no supply of type 'Battery' under ${root}` };
  const dir = join(root, battery);
  const rails = [`${battery} (whole system on battery)`];
  const status = await readOptional(reader, join(dir, 'status'));
  if (status !== 'Discharging') {
    return { method: 'battery', isAvailable: false, rails, reason: `${battery} status is '${status ?? 'unreadable'}', expected 'Discharging' (unplug the charger)` };
  }
  const readPower = async (): Promise<PowerSample> => {
    const powerUw = await readOptional(reader, join(dir, 'power_now'));
    if (powerUw !== null && Number.isFinite(Number(powerUw))) return { powerW: Math.abs(Number(powerUw)) / 1e6, powerLsbW: 1e-6 };
    const currentUa = await readOptional(reader, join(dir, 'current_now'));
    const voltageUv = await readOptional(reader, join(dir, 'voltage_now'));
    if (currentUa === null || voltageUv === null || !Number.isFinite(Number(currentUa)) || !Number.isFinite(Number(voltageUv))) {
      throw new Error(`${dir} has neither power_now nor current_now + voltage_now`);
    }
    // Sign conventions differ between drivers; discharge power is the magnitude.
    return { powerW: (Math.abs(Number(currentUa)) * Number(voltageUv)) / 1e12, powerLsbW: null };
  };
  try {
    await readPower();
  } catch (err) {
    return { method: 'battery', isAvailable: false, rails, reason: (err as Error).message };
  }
  return { method: 'battery', isAvailable: true, rails, meter: sampledMeter({ method: 'battery', rails, samplePeriodMs: options.samplePeriodMs, readPower }) };
}

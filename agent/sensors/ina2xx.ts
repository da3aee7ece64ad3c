/**
 * TI INA219 / INA226 / INA260 power monitors on I2C (Raspberry Pi: bus 1, pins 3/5). Two transports:
 *  - `i2c-bus` (optional dependency, `npm i i2c-bus`): register reads, no configuration writes (the power-on
 *    defaults are continuous shunt+bus conversion on all three chips);
 *  - the kernel's hwmon driver (ina2xx, when bound by a device-tree overlay): `power1_input` in µW.
 * Register decoding (datasheets): INA219 shunt LSB 10 µV, bus = (raw >> 3) * 4 mV; INA226 shunt LSB 2.5 µV,
 * bus LSB 1.25 mV; INA260 current LSB 1.25 mA (internal 2 mΩ shunt), bus LSB 1.25 mV. Registers are big-endian;
 * SMBus word reads are little-endian, so bytes are swapped. Power = V_bus * I. The rail is whatever circuit the
 * user wired through the shunt; the agent cannot know it, so the rail name says so.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fsReader, sampledMeter, type MeterProbe, type PowerSample, type TextReader } from './energyMeter.js';

export const INA_CHIPS = ['ina219', 'ina226', 'ina260'] as const;
export type InaChip = (typeof INA_CHIPS)[number];

export interface InaConfig {
  chip: InaChip;
  bus: number;
  address: number;
  /** External shunt in ohms (INA219/INA226); ignored for INA260 (internal 2 mΩ). */
  shuntOhms: number;
  samplePeriodMs: number;
}

const SHUNT_REG = 0x01;
const BUS_REG = 0x02;

export function swap16(word: number): number {
  return ((word & 0xff) << 8) | ((word >> 8) & 0xff);
}

export function toSigned16(raw: number): number {
  return raw & 0x8000 ? raw - 0x10000 : raw;
}

/** Decodes big-endian register values (already byte-swapped) into volts, amps and watts. */
export function decodeIna(chip: InaChip, reg1: number, reg2: number, shuntOhms: number): { busV: number; currentA: number; powerW: number; powerLsbW: number } {
  let busV: number;
  let currentA: number;
  let currentLsbA: number;
  switch (chip) {
    case 'ina219':
      busV = (reg2 >> 3) * 0.004;
      currentLsbA = 10e-6 / shuntOhms;
      currentA = toSigned16(reg1) * currentLsbA;
      break;
    case 'ina226':
      busV = reg2 * 0.00125;
      currentLsbA = 2.5e-6 / shuntOhms;
      currentA = toSigned16(reg1) * currentLsbA;
      break;
    case 'ina260':
      busV = reg2 * 0.00125;
      currentLsbA = 0.00125;
      currentA = toSigned16(reg1) * currentLsbA;
      break;
  }
  return { busV, currentA, powerW: busV * currentA, powerLsbW: busV * currentLsbA };
}

export const inaRail = (c: Pick<InaConfig, 'chip' | 'bus' | 'address'>): string =>
  `${c.chip}@i2c-${c.bus}:0x${c.address.toString(16)} (circuit wired through its shunt)`;

interface I2cBus {
  readWord(address: number, command: number): Promise<number>;
  close(): Promise<void>;
}
interface I2cBusModule {
  openPromisified(bus: number): Promise<I2cBus>;
}

/** Loads the optional `i2c-bus` module; null with the reason when it is not installed or fails to load. */
export async function loadI2cBus(): Promise<{ module: I2cBusModule } | { module: null; reason: string }> {
  const name = 'i2c-bus';
  try {
    const mod = (await import(name)) as { default?: I2cBusModule } & Partial<I2cBusModule>;
    const m = (mod.openPromisified ? mod : mod.default) as I2cBusModule | undefined;
    if (!m?.openPromisified) return { module: null, reason: "the 'i2c-bus' module has no openPromisified()" };
    return { module: m };
  } catch (err) {
    return {
      module: null,
      reason: `optional dependency 'i2c-bus' is not installed (npm i i2c-bus in the agent directory; needs build tools): ${(err as Error).message.slice(0, 200)}`,
    };
  }
}

export async function probeInaI2c(config: InaConfig, loader = loadI2cBus): Promise<MeterProbe> {
  const rails = [inaRail(config)];
  const loaded = await loader();
  if (!loaded.module) return { method: config.chip, isAvailable: false, rails, reason: loaded.reason };
  let bus: I2cBus;
  try {
    bus = await loaded.module.openPromisified(config.bus);
  } catch (err) {
    return {
      method: config.chip,
      isAvailable: false,
      rails,
      reason: `cannot open /dev/i2c-${config.bus}: ${(err as Error).message} (enable I2C with raspi-config; the agent user must be in group 'i2c')`,
    };
  }
  const read = async (): Promise<PowerSample> => {
    const r1 = swap16(await bus.readWord(config.address, SHUNT_REG));
    const r2 = swap16(await bus.readWord(config.address, BUS_REG));
    const d = decodeIna(config.chip, r1, r2, config.shuntOhms);
    return { powerW: d.powerW, powerLsbW: d.powerLsbW };
  };
  try {
    await read();
  } catch (err) {
    await bus.close().catch(() => undefined);
    return {
      method: config.chip,
      isAvailable: false,
      rails,
      reason: `no answer from ${config.chip} at 0x${config.address.toString(16)} on i2c-${config.bus}: ${(err as Error).message} (check wiring and address with 'i2cdetect -y ${config.bus}')`,
    };
  }
  return { method: config.chip, isAvailable: true, rails, meter: sampledMeter({ method: config.chip, rails, samplePeriodMs: config.samplePeriodMs, readPower: read }) };
}

/** hwmon route: /sys/class/hwmon/hwmon*\/name is the chip name; power1_input in µW. */
export async function probeInaHwmon(
  chip: InaChip,
  options: { root?: string; reader?: TextReader; samplePeriodMs: number },
): Promise<MeterProbe> {
  const root = options.root ?? '/sys/class/hwmon';
  const reader = options.reader ?? fsReader;
  let dirs: string[];
  try {
    dirs = (await readdir(root)).filter((d) => d.startsWith('hwmon')).sort();
  } catch {
    dirs = [];
  }
  for (const d of dirs) {
    const name = await reader.readText(join(root, d, 'name')).then((s) => s.trim(), () => '');
    if (name !== chip) continue;
    const path = join(root, d, 'power1_input');
    const rails = [`${chip} via hwmon ${d} (circuit wired through its shunt)`];
    const read = async (): Promise<PowerSample> => {
      const uW = Number((await reader.readText(path)).trim());
      if (!Number.isFinite(uW)) throw new Error(`${path} is not a number`);
      return { powerW: uW / 1e6, powerLsbW: null };
    };
    try {
      await read();
    } catch (err) {
      return { method: chip, isAvailable: false, rails, reason: `cannot read ${path}: ${(err as Error).message}` };
    }
    return { method: chip, isAvailable: true, rails, meter: sampledMeter({ method: chip, rails, samplePeriodMs: options.samplePeriodMs, readPower: read }) };
  }
  return { method: chip, isAvailable: false, rails: [], reason: `no hwmon device named '${chip}' under ${root}` };
}

/** hwmon first (no extra dependency), then i2c-bus. */
export async function probeIna(config: InaConfig, options: { hwmonRoot?: string; reader?: TextReader } = {}): Promise<MeterProbe> {
  const viaHwmon = await probeInaHwmon(config.chip, { samplePeriodMs: config.samplePeriodMs, ...options, ...(options.hwmonRoot ? { root: options.hwmonRoot } : {}) });
  if (viaHwmon.isAvailable) return viaHwmon;
  const viaI2c = await probeInaI2c(config);
  if (viaI2c.isAvailable) return viaI2c;
  return { ...viaI2c, reason: `${viaHwmon.reason}; ${viaI2c.reason}` };
}

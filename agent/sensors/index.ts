/**
 * Energy meter configuration, probing and choice. `probeAllMeters` reports every method (for the device
 * descriptor); `chooseMeter` picks the configured one, or under `auto` the first available in the device
 * profile's preference order. No meter -> `{isAvailable: false, reason}`, which becomes energy `unavailable`.
 */
import type { EnergySource } from '../../shared/measure/contracts.js';
import { ENERGY_METHODS, type EnergyMethod } from '../../shared/protocol/messages.js';
import type { MeterProbe } from './energyMeter.js';
import { probeBattery, POWER_SUPPLY_ROOT } from './battery.js';
import { probeExternalCommand } from './externalCommand.js';
import { probeIna, type InaChip } from './ina2xx.js';
import { probePmic } from './pmic.js';
import { probeRapl, RAPL_ROOT } from './rapl.js';

export { toAvailability, type MeterProbe } from './energyMeter.js';

/** Methods with a real meter behind them: every energy method except `replay` (a table column, agent/replay/). */
export type MeterMethod = Exclude<EnergyMethod, 'replay'>;
const isMeterMethod = (m: EnergyMethod): m is MeterMethod => m !== 'replay';
export const METER_METHODS: readonly MeterMethod[] = ENERGY_METHODS.filter(isMeterMethod);

export interface EnergyConfig {
  /** 'auto': first available in profile order; 'none': never measure energy; or one method. */
  mode: 'auto' | 'none' | MeterMethod;
  command: string | null;
  commandRails: string[];
  /** Working directory of `command` (default: the process's own); set by measureWorker.ts, whose child runs elsewhere. */
  commandCwd?: string;
  ina: { chip: InaChip | null; bus: number; address: number; shuntOhms: number };
  samplePeriodMs: number;
  /** Filesystem roots, overridable for tests and containers. */
  raplRoot: string;
  hwmonRoot: string;
  powerSupplyRoot: string;
  vcgencmd: string;
}

export const DEFAULT_ENERGY_CONFIG: EnergyConfig = {
  mode: 'auto',
  command: null,
  commandRails: [],
  ina: { chip: null, bus: 1, address: 0x40, shuntOhms: 0.1 },
  samplePeriodMs: 100,
  raplRoot: RAPL_ROOT,
  hwmonRoot: '/sys/class/hwmon',
  powerSupplyRoot: POWER_SUPPLY_ROOT,
  vcgencmd: 'vcgencmd',
};

async function probeOne(method: MeterMethod, config: EnergyConfig): Promise<MeterProbe> {
  switch (method) {
    case 'rapl':
      return probeRapl({ root: config.raplRoot });
    case 'ina219':
    case 'ina226':
    case 'ina260': {
      const chip = config.ina.chip ?? (config.mode === method ? method : null);
      if (chip !== method) return { method, isAvailable: false, rails: [], reason: `no ${method} configured (--ina-chip ${method} --ina-address 0x40 --ina-shunt-ohms 0.1)` };
      return probeIna({ chip, bus: config.ina.bus, address: config.ina.address, shuntOhms: config.ina.shuntOhms, samplePeriodMs: config.samplePeriodMs }, { hwmonRoot: config.hwmonRoot });
    }
    case 'pi5-pmic':
      return probePmic({ samplePeriodMs: config.samplePeriodMs, command: config.vcgencmd });
    case 'battery':
      return probeBattery({ root: config.powerSupplyRoot, samplePeriodMs: Math.max(config.samplePeriodMs, 500) });
    case 'external-command':
      if (!config.command) return { method, isAvailable: false, rails: [], reason: 'no --energy-cmd given' };
      return probeExternalCommand({ command: config.command, rails: config.commandRails, samplePeriodMs: config.samplePeriodMs, cwd: config.commandCwd });
  }
}

export async function probeAllMeters(config: EnergyConfig): Promise<MeterProbe[]> {
  const out: MeterProbe[] = [];
  for (const method of METER_METHODS) out.push(await probeOne(method, config));
  return out;
}

/** Picks the meter for a measurement; `preference` comes from the device profile. */
export async function chooseMeter(config: EnergyConfig, preference: readonly EnergyMethod[]): Promise<EnergySource> {
  if (config.mode === 'none') return { isAvailable: false, reason: 'no energy meter: the agent was started with --energy none' };
  if (config.mode !== 'auto') {
    const probe = await probeOne(config.mode, config);
    return probe.isAvailable ? { isAvailable: true, meter: probe.meter } : { isAvailable: false, reason: `${config.mode}: ${probe.reason}` };
  }
  const order = [...(config.command ? (['external-command'] as const) : []), ...preference.filter(isMeterMethod), ...METER_METHODS.filter((m) => !preference.includes(m))];
  const reasons: string[] = [];
  for (const method of new Set(order)) {
    const probe = await probeOne(method, config);
    if (probe.isAvailable) return { isAvailable: true, meter: probe.meter };
    reasons.push(`${method}: ${probe.reason}`);
  }
  return { isAvailable: false, reason: `no energy meter available (${reasons.join('; ')})` };
}

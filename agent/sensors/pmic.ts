/**
 * Raspberry Pi 5 PMIC through `vcgencmd pmic_read_adc`: per-rail current (`<RAIL>_A current(n)=xA`) and voltage
 * (`<RAIL>_V volt(n)=yV`). Power = sum over rails that have both of V * I. There is no cumulative counter, so the
 * meter samples and integrates (each sample forks vcgencmd, about 10-30 ms on a Pi 5; default period 100 ms).
 * The rail sum misses the PMIC's conversion losses and the 5 V input's other loads (USB, fan): the rails listed
 * are exactly what is covered. EXT5V_V and BATT_V have no current and are not counted.
 */
import type { CommandRunner, MeterProbe, PowerSample } from './energyMeter.js';
import { errorCode, sampledMeter } from './energyMeter.js';
import { execRunner } from './commandRunner.js';

export interface PmicRail {
  rail: string;
  currentA: number;
  voltageV: number;
}

/** Pairs the _A and _V readings of each rail. */
export function parsePmicReadAdc(output: string): PmicRail[] {
  const currents = new Map<string, number>();
  const volts = new Map<string, number>();
  for (const line of output.split('\n')) {
    const m = /^\s*([A-Za-z0-9_]+)_([AV])\s+(?:current|volt)\(\d+\)=\s*([-+0-9.eE]+)\s*[AV]\s*$/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    (m[2] === 'A' ? currents : volts).set(m[1]!, value);
  }
  const rails: PmicRail[] = [];
  for (const [rail, currentA] of currents) {
    const voltageV = volts.get(rail);
    if (voltageV !== undefined) rails.push({ rail, currentA, voltageV });
  }
  return rails.sort((a, b) => a.rail.localeCompare(b.rail));
}

export function pmicPowerW(rails: readonly PmicRail[]): number {
  return rails.reduce((a, r) => a + r.currentA * r.voltageV, 0);
}

export async function probePmic(options: { run?: CommandRunner; samplePeriodMs: number; command?: string }): Promise<MeterProbe> {
  const run = options.run ?? execRunner;
  const command = options.command ?? 'vcgencmd';
  let output: string;
  try {
    output = await run(command, ['pmic_read_adc'], 5_000);
  } catch (err) {
    const reason =
      errorCode(err) === 'ENOENT'
        ? `${command} not found (not Raspberry Pi OS, or libraspberrypi-bin is not installed)`
        : // the command runner's errors already say which command failed
          `${(err as Error).message.startsWith(`${command} `) ? (err as Error).message : `${command} pmic_read_adc failed: ${(err as Error).message}`} (needs a Raspberry Pi 5 and a user in group 'video')`;
    return { method: 'pi5-pmic', isAvailable: false, rails: [], reason };
  }
  const rails = parsePmicReadAdc(output);
  if (rails.length === 0) {
    return { method: 'pi5-pmic', isAvailable: false, rails: [], reason: `${command} pmic_read_adc printed no rail with both current and voltage (only the Raspberry Pi 5 has this PMIC ADC)` };
  }
  const railNames = rails.map((r) => r.rail);
  const readPower = async (): Promise<PowerSample> => {
    const now = parsePmicReadAdc(await run(command, ['pmic_read_adc'], 5_000));
    if (now.length === 0) throw new Error('pmic_read_adc returned no rails');
    return { powerW: pmicPowerW(now), powerLsbW: null };
  };
  return { method: 'pi5-pmic', isAvailable: true, rails: railNames, meter: sampledMeter({ method: 'pi5-pmic', rails: railNames, samplePeriodMs: options.samplePeriodMs, readPower }) };
}

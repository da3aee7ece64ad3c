/**
 * External meter hook (`--energy-cmd '<command>'`): a command run with /bin/sh that prints one reading, either
 * cumulative energy (`12.5 J`, `12500 mJ`, `J=12.5`) or instantaneous power (`3.2 W`, `3200 mW`). Joules make a
 * counter meter (read at window ends, must never decrease); watts make a sampled meter (integrated). The unit is
 * mandatory: a bare number is refused rather than guessed. The command is configured locally by the agent's
 * owner, never received over the wire. Rails: `--energy-cmd-rails` (default "as defined by the command").
 */
import type { CommandRunner, MeterProbe } from './energyMeter.js';
import { counterMeter, sampledMeter } from './energyMeter.js';
import { execRunner } from './commandRunner.js';

export interface ExternalReading {
  kind: 'energy' | 'power';
  /** Joules or watts. */
  value: number;
  /** Value of one step of the last printed digit, in J or W. */
  stepSi: number;
}

const UNITS: Record<string, { kind: 'energy' | 'power'; scale: number }> = {
  j: { kind: 'energy', scale: 1 },
  mj: { kind: 'energy', scale: 1e-3 },
  uj: { kind: 'energy', scale: 1e-6 },
  'µj': { kind: 'energy', scale: 1e-6 },
  w: { kind: 'power', scale: 1 },
  mw: { kind: 'power', scale: 1e-3 },
  uw: { kind: 'power', scale: 1e-6 },
  'µw': { kind: 'power', scale: 1e-6 },
};

/** Parses `<number> <unit>` or `<unit>=<number>`; throws naming the output when neither is there. */
export function parseExternalReading(output: string): ExternalReading {
  const text = output.trim();
  const a = /(-?\d+(?:\.(\d+))?(?:[eE][-+]?\d+)?)\s*(µ?[mu]?[JW])\b/i.exec(text) ?? /(-?\d+(?:\.(\d+))?(?:[eE][-+]?\d+)?)\s*(µ[JW])/i.exec(text);
  const b = /\b(µ?[mu]?[JW])\s*=\s*(-?\d+(?:\.(\d+))?(?:[eE][-+]?\d+)?)/i.exec(text);
  let numberText: string;
  let decimals: string | undefined;
  let unitText: string;
  if (a) [numberText, decimals, unitText] = [a[1]!, a[2], a[3]!];
  else if (b) [unitText, numberText, decimals] = [b[1]!, b[2]!, b[3]];
  else throw new Error(`energy command printed '${text.slice(0, 80)}', expected a number with a unit (J, mJ, uJ, W, mW, uW)`);
  const unit = UNITS[unitText.toLowerCase()];
  if (!unit) throw new Error(`energy command unit '${unitText}' is not one of J, mJ, uJ, W, mW, uW`);
  const value = Number(numberText) * unit.scale;
  if (!Number.isFinite(value)) throw new Error(`energy command value '${numberText}' is not a finite number`);
  return { kind: unit.kind, value, stepSi: 10 ** -(decimals?.length ?? 0) * unit.scale };
}

export async function probeExternalCommand(options: {
  command: string;
  rails?: string[];
  samplePeriodMs: number;
  pollMs?: number;
  run?: CommandRunner;
  timeoutMs?: number;
  /** Working directory of the command (default: the process's own). */
  cwd?: string;
}): Promise<MeterProbe> {
  const run = options.run ?? execRunner;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const rails = options.rails?.length ? options.rails : [`as defined by: ${options.command.slice(0, 200)}`];
  const read = async (): Promise<ExternalReading> => parseExternalReading(await run('/bin/sh', ['-c', options.command], timeoutMs, options.cwd));
  let first: ExternalReading;
  try {
    first = await read();
  } catch (err) {
    return { method: 'external-command', isAvailable: false, rails, reason: `energy command failed: ${(err as Error).message}` };
  }
  if (first.kind === 'energy') {
    const channel = {
      rangeJ: null,
      read: async () => {
        const r = await read();
        if (r.kind !== 'energy') throw new Error('energy command switched from joules to watts');
        return r.value;
      },
    };
    return {
      method: 'external-command',
      isAvailable: true,
      rails,
      meter: counterMeter({ method: 'external-command', rails, channels: [channel], lsbJ: first.stepSi, pollMs: options.pollMs ?? 60_000 }),
    };
  }
  return {
    method: 'external-command',
    isAvailable: true,
    rails,
    meter: sampledMeter({
      method: 'external-command',
      rails,
      samplePeriodMs: options.samplePeriodMs,
      readPower: async () => {
        const r = await read();
        if (r.kind !== 'power') throw new Error('energy command switched from watts to joules');
        return { powerW: r.value, powerLsbW: r.stepSi };
      },
    }),
  };
}

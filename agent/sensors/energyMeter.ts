/**
 * Energy meters behind one interface (the EnergyMeter contract in shared/measure/contracts.ts). Two shapes:
 *  - counter meters (RAPL, an external command printing cumulative joules): read at window start and stop and
 *    polled in between so several counter wrap-arounds in one window are never missed;
 *  - sampled meters (INA2xx, Pi 5 PMIC, battery, an external command printing watts): power sampled every
 *    `samplePeriodMs` (a sample is never started before the previous one finished) and integrated with the
 *    trapezoid rule over the samples' own timestamps.
 * Each probe says whether its meter works here and, if not, why; nothing is ever estimated.
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { EnergyMeter, EnergyReading, EnergyWindow } from '../../shared/measure/contracts.js';
import type { EnergyMeterAvailability, EnergyMethod } from '../../shared/protocol/messages.js';

export type { EnergyMeter, EnergyReading, EnergyWindow } from '../../shared/measure/contracts.js';

/** Result of probing one method: the meter when it works, the reason when it does not. */
export type MeterProbe =
  | { method: EnergyMethod; isAvailable: true; rails: string[]; meter: EnergyMeter }
  | { method: EnergyMethod; isAvailable: false; rails: string[]; reason: string };

export function toAvailability(probe: MeterProbe): EnergyMeterAvailability {
  return {
    method: probe.method,
    isAvailable: probe.isAvailable,
    rails: probe.rails,
    reason: probe.isAvailable ? null : probe.reason,
  };
}

/** File reads go through this so tests can point a meter at a fixture tree or simulate EACCES. */
export interface TextReader {
  readText(path: string): Promise<string>;
}
export const fsReader: TextReader = { readText: (path) => readFile(path, 'utf8') };

/** Runs a command (in `cwd`, default the process's own) and returns stdout; injectable for tests. */
export type CommandRunner = (command: string, args: readonly string[], timeoutMs: number, cwd?: string) => Promise<string>;

export interface MonotonicClock {
  nowMs(): number;
}
export const performanceClock: MonotonicClock = { nowMs: () => performance.now() };

export function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

// ---------------------------------------------------------------------------------------------------------------

export interface PowerSample {
  powerW: number;
  /** Smallest power step of this reading, when the sensor defines one. */
  powerLsbW: number | null;
}

/** Trapezoid integral of (tMs, powerW) samples in joules. */
export function integrateTrapezoidJ(samples: readonly { tMs: number; powerW: number }[]): number {
  let energyJ = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    energyJ += ((a.powerW + b.powerW) / 2) * ((b.tMs - a.tMs) / 1000);
  }
  return energyJ;
}

export function sampledMeter(options: {
  method: EnergyMethod;
  rails: string[];
  samplePeriodMs: number;
  readPower: () => Promise<PowerSample>;
  clock?: MonotonicClock;
}): EnergyMeter {
  const clock = options.clock ?? performanceClock;
  return {
    method: options.method,
    rails: options.rails,
    async start(): Promise<EnergyWindow> {
      const samples: { tMs: number; powerW: number }[] = [];
      let lsb: number | null = null;
      let failure: unknown = null;
      const take = async (): Promise<void> => {
        const s = await options.readPower();
        samples.push({ tMs: clock.nowMs(), powerW: s.powerW });
        if (s.powerLsbW !== null) lsb = s.powerLsbW;
      };
      await take();
      let isStopped = false;
      let timer: ReturnType<typeof setTimeout> | null = null;
      let inflight: Promise<void> = Promise.resolve();
      const schedule = (): void => {
        timer = setTimeout(() => {
          inflight = take()
            .catch((err) => {
              failure = err;
            })
            .finally(() => {
              if (!isStopped) schedule();
            });
        }, options.samplePeriodMs);
      };
      schedule();
      return {
        async stop(): Promise<EnergyReading> {
          isStopped = true;
          if (timer) clearTimeout(timer);
          await inflight;
          if (failure) throw failure;
          await take();
          const durationMs = samples[samples.length - 1]!.tMs - samples[0]!.tMs;
          return {
            energyJ: integrateTrapezoidJ(samples),
            durationMs,
            samples: samples.length,
            resolution: {
              kind: 'sampled',
              meanSamplePeriodMs: samples.length > 1 ? durationMs / (samples.length - 1) : 0,
              powerLsbW: lsb,
            },
          };
        },
      };
    },
  };
}

/** Increase of a counter that wraps to 0 after `rangeJ` (null: never wraps). */
export function counterDeltaJ(startJ: number, endJ: number, rangeJ: number | null): number {
  if (endJ >= startJ) return endJ - startJ;
  if (rangeJ === null) throw new Error(`cumulative energy went down from ${startJ} J to ${endJ} J on a counter that does not wrap`);
  return endJ + rangeJ - startJ;
}

export interface CounterChannel {
  read(): Promise<number>;
  /** Value at which the counter wraps to 0, in joules, or null. */
  rangeJ: number | null;
}

export function counterMeter(options: {
  method: EnergyMethod;
  rails: string[];
  channels: CounterChannel[];
  lsbJ: number;
  /** Poll period for catching wrap-arounds; a wrap is caught if the counter wraps at most once per period. */
  pollMs: number;
  clock?: MonotonicClock;
}): EnergyMeter {
  const clock = options.clock ?? performanceClock;
  return {
    method: options.method,
    rails: options.rails,
    async start(): Promise<EnergyWindow> {
      const last = await Promise.all(options.channels.map((c) => c.read()));
      const t0 = clock.nowMs();
      let totalJ = 0;
      let reads = 1;
      let failure: unknown = null;
      const poll = async (): Promise<void> => {
        const now = await Promise.all(options.channels.map((c) => c.read()));
        now.forEach((value, i) => {
          totalJ += counterDeltaJ(last[i]!, value, options.channels[i]!.rangeJ);
          last[i] = value;
        });
        reads++;
      };
      let inflight: Promise<void> = Promise.resolve();
      const timer = setInterval(() => {
        inflight = inflight.then(poll).catch((err) => {
          failure = err;
        });
      }, options.pollMs);
      return {
        async stop(): Promise<EnergyReading> {
          clearInterval(timer);
          await inflight;
          if (failure) throw failure;
          await poll();
          return { energyJ: totalJ, durationMs: clock.nowMs() - t0, samples: reads, resolution: { kind: 'counter', energyJ: options.lsbJ } };
        },
      };
    },
  };
}

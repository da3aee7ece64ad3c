/** Test doubles for the measurement contracts: a clock moved only by model runs and sleeps. */
import type { Clock, EnergyMeter, LoadedModel, PreparedInputs, Runtime } from '../../../../shared/measure/contracts.js';
import type { Conditions, InputSpec } from '../../../../shared/protocol/messages.js';

/** Time and a simulated energy counter: idle power always, plus `extraJPerRun` for each model run. */
export class FakeClock implements Clock {
  t = 0;
  energyJ = 0;
  constructor(
    readonly idleW = 0,
    readonly extraJPerRun = 0,
  ) {}
  nowMs(): number {
    return this.t;
  }
  advance(ms: number, extraJ = 0): void {
    this.t += ms;
    this.energyJ += (this.idleW * ms) / 1000 + extraJ;
  }
  sleep = async (ms: number): Promise<void> => this.advance(ms);
}

export function fakeRuntime(clock: FakeClock, runMs: (i: number) => number, options: { failLoad?: Error } = {}) {
  let runs = 0;
  const runtime: Runtime & { runs(): number } = {
    id: 'ort-node',
    runs: () => runs,
    init: async () => undefined,
    load: async (): Promise<LoadedModel> => {
      if (options.failLoad) throw options.failLoad;
      clock.advance(40);
      return {
        inputNames: ['input'],
        outputNames: ['logits'],
        run: async () => {
          clock.advance(runMs(runs++), clock.extraJPerRun);
        },
        endProfiling: async () => ({
          status: 'ok',
          events: [
            { cat: 'Session', name: 'model_run', ts: 0, dur: 100 },
            { cat: 'Node', name: 'conv1_kernel_time', ts: 10, dur: 30, args: { op_name: 'Conv', provider: 'CPUExecutionProvider' } },
            { cat: 'Session', name: 'model_run', ts: 200, dur: 100 },
            { cat: 'Node', name: 'conv1_kernel_time', ts: 210, dur: 60, args: { op_name: 'Conv', provider: 'CPUExecutionProvider' } },
            { cat: 'Node', name: 'relu_kernel_time', ts: 280, dur: 20, args: { op_name: 'Relu', provider: 'CPUExecutionProvider' } },
          ],
        }),
        dispose: async () => undefined,
      };
    },
    prepareInputs: (specs: readonly InputSpec[]): PreparedInputs => ({ names: specs.map((s) => s.name) }),
    describe: () => ({ runtime: 'ort-node', version: '1.30.0', executionProvider: 'cpu', threads: 2 }),
  };
  return runtime;
}

export const idleConditions = (over: Partial<Conditions> = {}): Conditions => ({
  at: '2026-01-01T00:00:00.000Z',
  tempC: 50,
  tempSource: 'fake',
  curFreqMHz: 1500,
  governor: 'performance',
  throttle: { source: 'unavailable', reason: 'fake' },
  ...over,
});

/** A counter meter over the fake clock's energy counter. */
export function fakeMeter(clock: FakeClock): EnergyMeter {
  return {
    method: 'rapl',
    rails: ['package-0'],
    start: async () => {
      const t0 = clock.t;
      const e0 = clock.energyJ;
      return {
        stop: async () => ({ energyJ: clock.energyJ - e0, durationMs: clock.t - t0, samples: 2, resolution: { kind: 'counter', energyJ: 1e-6 } }),
      };
    },
  };
}

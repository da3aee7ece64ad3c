import { describe, expect, it } from 'vitest';
import { measureModel, type MeasureModelArgs } from '../../../../shared/measure/measureModel.js';
import { ZeronasError } from '../../../../shared/errors.js';
import type { Conditions, ResolvedMeasurementSettings } from '../../../../shared/protocol/messages.js';
import { FakeClock, fakeMeter, fakeRuntime, idleConditions } from './fakes.js';

const settings: ResolvedMeasurementSettings = {
  runtime: 'auto',
  executionProvider: 'cpu',
  threads: 2,
  warmupRuns: 2,
  warmupMinMs: 0,
  minRuns: 20,
  minTotalMs: 0,
  maxTotalMs: 10_000,
  cooldownMs: 500,
  repeatIfThrottled: true,
  maxThrottleRepeats: 2,
  throttleCooldownMs: 1000,
  energy: 'auto',
  idleBaselineMs: 2000,
  energyMinMs: 1000,
  isProfiling: false,
  profileRuns: 2,
  timeoutMs: 60_000,
  inputSeed: 0,
};

function args(clock: FakeClock, over: Partial<MeasureModelArgs> = {}): MeasureModelArgs {
  return {
    runtime: fakeRuntime(clock, () => 10),
    runtimeSelection: 'requested',
    modelBytes: new Uint8Array(8),
    model: { sha256: 'b'.repeat(64), sizeBytes: 8 },
    inputs: [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' }],
    settings,
    device: { fingerprint: 'c'.repeat(64), name: 'dev', hostname: 'h', profile: null },
    clock,
    sleep: clock.sleep,
    nowIso: () => new Date(clock.t).toISOString(),
    probeConditions: async () => idleConditions(),
    energy: { isAvailable: false, reason: 'no meter in this test' },
    ...over,
  };
}

const piThrottle = (bits: { now?: boolean; occurred?: boolean }): Conditions['throttle'] => ({
  source: 'vcgencmd',
  raw: '0x0',
  flags: {
    isUnderVoltageNow: false,
    isFreqCappedNow: false,
    isThrottledNow: bits.now ?? false,
    isSoftTempLimitNow: false,
    hasUnderVoltageOccurred: false,
    hasFreqCapOccurred: false,
    hasThrottlingOccurred: bits.occurred ?? false,
    hasSoftTempLimitOccurred: false,
  },
});

describe('measureModel', () => {
  it('times session creation apart from runs and reports every condition', async () => {
    const clock = new FakeClock();
    const m = await measureModel(args(clock));
    expect(m.sessionCreateMs).toBe(40);
    expect(m.latency).toMatchObject({ n: 20, medianMs: 10, stdMs: 0 });
    expect(m.warmup.runs).toBe(2);
    expect(m.runtime).toEqual({ runtime: 'ort-node', version: '1.30.0', executionProvider: 'cpu', requestedExecutionProvider: 'cpu', threads: 2, selection: 'requested' });
    expect(m.attempts).toBe(1);
    expect(m.isThrottled).toBe(false);
    expect(m.profile).toBeNull();
  });

  it('with no meter, energy is unavailable with the reason, never a number', async () => {
    const m = await measureModel(args(new FakeClock()));
    expect(m.energy).toEqual({ status: 'unavailable', reason: 'no meter in this test' });
    expect(m.energy).not.toHaveProperty('energyPerInferenceJ');
  });

  it('subtracts the idle baseline: 3 W idle + 0.05 J per run gives 0.05 J per inference', async () => {
    const clock = new FakeClock(3, 0.05);
    const m = await measureModel(args(clock, { energy: { isAvailable: true, meter: fakeMeter(clock) } }));
    expect(m.energy.status).toBe('measured');
    if (m.energy.status === 'measured') {
      expect(m.energy.energyPerInferenceJ).toBeCloseTo(0.05, 12);
      expect(m.energy.idlePowerW).toBeCloseTo(3, 12);
      expect(m.energy.activeRuns).toBe(100); // 1000 ms / 10 ms
      expect(m.energy.activePowerW).toBeCloseTo(3 + 0.05 / 0.01, 9);
      expect(m.energy).toMatchObject({ method: 'rapl', rails: ['package-0'], resolution: { kind: 'counter' } });
    }
  });

  it('flags a throttled pass, cools down and repeats it (vcgencmd throttled bit)', async () => {
    const clock = new FakeClock();
    let probes = 0;
    const probe = async (): Promise<Conditions> => {
      probes++;
      return idleConditions({ throttle: piThrottle({ now: probes === 2 }) }); // only the first pass ends throttled
    };
    const m = await measureModel(args(clock, { probeConditions: probe }));
    expect(m.attempts).toBe(2);
    expect(m.throttledAttempts).toBe(1);
    expect(m.isThrottled).toBe(false);
  });

  it('keeps the throttled flag when every repeat throttles (maxThrottleRepeats=2 -> 3 attempts)', async () => {
    const m = await measureModel(args(new FakeClock(), { probeConditions: async () => idleConditions({ throttle: piThrottle({ now: true }) }) }));
    expect(m.attempts).toBe(3);
    expect(m.isThrottled).toBe(true);
  });

  it('does not repeat when repeatIfThrottled is false', async () => {
    const m = await measureModel(args(new FakeClock(), { settings: { ...settings, repeatIfThrottled: false }, probeConditions: async () => idleConditions({ throttle: piThrottle({ now: true }) }) }));
    expect(m.attempts).toBe(1);
    expect(m.isThrottled).toBe(true);
  });

  it('aggregates a per-operator profile from the profiled session, dropping its warm-up run', async () => {
    const m = await measureModel(args(new FakeClock(), { settings: { ...settings, isProfiling: true, profileRuns: 1 } }));
    expect(m.profile).toMatchObject({ status: 'measured', runs: 1, kernelTotalUs: 80 });
    if (m.profile?.status === 'measured') {
      expect(m.profile.nodes).toEqual([
        { name: 'conv1', opType: 'Conv', provider: 'CPUExecutionProvider', meanUs: 60, share: 0.75 },
        { name: 'relu', opType: 'Relu', provider: 'CPUExecutionProvider', meanUs: 20, share: 0.25 },
      ]);
    }
  });

  it("rejects job inputs that do not match the model ('x' vs 'input')", async () => {
    const p = measureModel(args(new FakeClock(), { inputs: [{ name: 'x', dims: [1], dtype: 'float32' }] }));
    await expect(p).rejects.toThrow(expect.objectContaining({ code: 'ZN_BAD_ARGUMENT', message: expect.stringMatching(/missing input; unknown x/) }));
  });

  it('propagates a load failure as its typed error', async () => {
    const clock = new FakeClock();
    const failing = fakeRuntime(clock, () => 1, { failLoad: new ZeronasError('ZN_MODEL_LOAD', 'bad protobuf') });
    await expect(measureModel(args(clock, { runtime: failing }))).rejects.toThrow(expect.objectContaining({ code: 'ZN_MODEL_LOAD' }));
  });
});

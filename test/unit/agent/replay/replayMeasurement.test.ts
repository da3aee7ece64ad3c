import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildReplayMeasurement,
  loadReplayTable,
  parseReplayTable,
  replayAnswer,
  replayDescriptor,
} from '../../../../agent/replay/index.js';
import { getDeviceProfile } from '../../../../devices/index.js';
import {
  deviceDescriptor,
  measurement as measurementSchema,
  type JobOfferMessage,
} from '../../../../shared/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../../../shared/protocol/version.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/hwnasbench_nb201_subset.csv', import.meta.url));
const ARCH_0 = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';
const UNKNOWN = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|';

const offer = (label: string | undefined, settings: JobOfferMessage['settings'] = {}): JobOfferMessage => ({
  v: PROTOCOL_VERSION,
  type: 'job-offer',
  jobId: '3.1',
  model: { sha256: 'a'.repeat(64), sizeBytes: 1234, ...(label !== undefined ? { label } : {}) },
  inputs: [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' }],
  settings,
});

const nowIso = (): string => '2025-01-01T00:00:00.000Z';

describe('replay measurement', () => {
  const table = loadReplayTable(FIXTURE, { column: 'cifar10_raspi4_latency', energyColumn: 'cifar10_edgegpu_energy' });
  const descriptor = replayDescriptor(table, 'replay-cifar10_raspi4_latency');
  const device = {
    fingerprint: descriptor.fingerprint,
    name: descriptor.name,
    hostname: descriptor.hostname,
    profile: descriptor.profile,
  };
  const build = (o: JobOfferMessage, seed = 0) =>
    buildReplayMeasurement({
      offer: o,
      table,
      answer: replayAnswer(table, o.model.label, o.jobId, seed),
      seed,
      profile: getDeviceProfile('replay'),
      device,
      nowIso,
    });

  it('describes a replay device: profile, runtime, EP, CPU model and energy meter all say replay', () => {
    expect(deviceDescriptor.parse(descriptor)).toEqual(descriptor);
    expect(descriptor).toMatchObject({
      profile: 'replay',
      cpu: { model: 'replay of cifar10_raspi4_latency' },
      os: { arch: 'replay' },
    });
    expect(descriptor.runtimes).toEqual([
      {
        runtime: 'replay',
        isAvailable: true,
        version: 'hwnasbench_nb201_subset.csv#cifar10_raspi4_latency',
        executionProviders: ['replay'],
        reason: null,
      },
    ]);
    expect(descriptor.energyMeters).toEqual([
      { method: 'replay', isAvailable: true, rails: ['replay-table'], reason: null },
    ]);
    const noEnergy = replayDescriptor(loadReplayTable(FIXTURE, { column: 'cifar10_raspi4_latency' }), 'x');
    expect(noEnergy.energyMeters).toEqual([
      { method: 'replay', isAvailable: false, rails: [], reason: 'replay agent without --replay-energy' },
    ]);
    expect(noEnergy.fingerprint).not.toBe(descriptor.fingerprint); // another column set is another "device"
  });

  it('answers the published latency as one sample, labelled replay, with the edgegpu energy in J', () => {
    const m = measurementSchema.parse(build(offer(ARCH_0)));
    expect(m.runtime).toEqual({
      runtime: 'replay',
      version: 'hwnasbench_nb201_subset.csv#cifar10_raspi4_latency',
      executionProvider: 'replay',
      requestedExecutionProvider: 'replay',
      threads: 1,
      selection: 'requested',
    });
    expect(m.latency).toMatchObject({
      n: 1,
      medianMs: 10.48198,
      meanMs: 10.48198,
      stdMs: 0,
      minMs: 10.48198,
      maxMs: 10.48198,
    });
    expect(m.samplesMs).toEqual([10.48198]);
    expect(m.device.profile).toBe('replay');
    expect(m.conditionsBefore.tempSource).toBe('replay');
    expect(m.conditionsBefore.throttle).toMatchObject({
      source: 'unavailable',
      reason: expect.stringMatching(
        /^REPLAY of hwnasbench_nb201_subset\.csv#cifar10_raspi4_latency: published 10\.48198 ms; no model ran/,
      ),
    });
    expect(m.energy).toMatchObject({
      status: 'measured',
      method: 'replay',
      rails: ['replay-table'],
      resolution: { kind: 'counter' },
    });
    if (m.energy.status === 'measured') expect(m.energy.energyPerInferenceJ).toBeCloseTo(0.02422661, 12);
    expect(m.settings).toMatchObject({ runtime: 'replay', executionProvider: 'replay', threads: 1 });
    expect(m.model).toEqual({ sha256: 'a'.repeat(64), sizeBytes: 1234 });
    expect(m.profile).toBeNull();
  });

  it("records what the job asked (EP 'cpu', energy 'off', profiling) without pretending it ran", () => {
    const m = measurementSchema.parse(
      build(offer(ARCH_0, { executionProvider: 'cpu', energy: 'off', isProfiling: true, minRuns: 50 })),
    );
    expect(m.runtime).toMatchObject({ executionProvider: 'replay', requestedExecutionProvider: 'cpu' });
    expect(m.settings.minRuns).toBe(50);
    expect(m.latency.n).toBe(1);
    expect(m.energy).toEqual({
      status: 'unavailable',
      reason: "energy measurement turned off by the job (energy: 'off')",
    });
    expect(m.profile).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('replay') });
  });

  it('noise multiplies the published value by exp(c_j), reproducibly per (seed, label, job id)', () => {
    const noisy = loadReplayTable(FIXTURE, {
      column: 'cifar10_raspi4_latency',
      noiseColumn: 'cifar100_raspi4_latency',
    });
    const a = replayAnswer(noisy, ARCH_0, '3.1', 5);
    expect(a.latencyMs).toBeCloseTo(10.48198 * Math.exp(noisy.noise!.centredLogRatios[a.noise!.index]!), 12);
    expect(replayAnswer(noisy, ARCH_0, '3.1', 5).latencyMs).toBe(a.latencyMs);
    expect(a.energy).toBeNull();
  });

  it('fails an arch string that is not in the table, naming it (ZN_REPLAY_UNKNOWN_ARCH)', () => {
    expect(() => replayAnswer(table, UNKNOWN, '3.1', 0)).toThrow(
      expect.objectContaining({
        code: 'ZN_REPLAY_UNKNOWN_ARCH',
        message: expect.stringContaining(`arch '${UNKNOWN}' is not in replay table`),
      }),
    );
  });

  it("fails an arch whose cell is 'nan' as skipped, not unknown (ZN_REPLAY_UNKNOWN_ARCH)", () => {
    const t = parseReplayTable(['arch_str,lat', 'a,1', 'b,nan'].join('\n'), 't.csv', { column: 'lat' });
    expect(() => replayAnswer(t, 'b', '3.1', 0)).toThrow(
      expect.objectContaining({
        code: 'ZN_REPLAY_UNKNOWN_ARCH',
        message: "arch 'b' has no usable value in column 'lat' of 't.csv' (cell 'nan'; row skipped)",
      }),
    );
  });

  it('fails an offer without model.label (ZN_REPLAY_UNKNOWN_ARCH)', () => {
    expect(() => replayAnswer(table, undefined, '3.1', 0)).toThrow(
      expect.objectContaining({
        code: 'ZN_REPLAY_UNKNOWN_ARCH',
        message: expect.stringContaining("job '3.1' has no model.label"),
      }),
    );
  });
});

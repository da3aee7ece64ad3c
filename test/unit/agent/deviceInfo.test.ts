import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, parseGetThrottled, readConditions, readPiModel } from '../../../agent/deviceInfo.js';
import { probeEmulation } from '../../../agent/emulation.js';
import { getDeviceProfile, recogniseProfile } from '../../../devices/index.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../../fixtures/sysfs/${p}`, import.meta.url));

describe('deviceInfo', () => {
  it("parses 'throttled=0x50005': under-voltage and throttled now, both also since boot", () => {
    const t = parseGetThrottled('throttled=0x50005\n')!;
    expect(t.raw).toBe('0x50005');
    expect(t.flags).toEqual({
      isUnderVoltageNow: true,
      isFreqCappedNow: false,
      isThrottledNow: true,
      isSoftTempLimitNow: false,
      hasUnderVoltageOccurred: true,
      hasFreqCapOccurred: false,
      hasThrottlingOccurred: true,
      hasSoftTempLimitOccurred: false,
    });
    expect(parseGetThrottled('garbage')).toBeNull();
  });

  it('reads a simulated Pi 4: temperature, frequency, governor, vcgencmd throttle', async () => {
    const c = await readConditions({ sysRoot: fixture('pi4'), run: async () => 'throttled=0x0' });
    expect(c).toMatchObject({ tempC: 48.686, curFreqMHz: 1500, governor: 'ondemand', throttle: { source: 'vcgencmd', raw: '0x0' } });
    expect(c.tempSource).toMatch(/cpu-thermal/);
  });

  it('reads a simulated x86: x86_pkg_temp zone and summed core_throttle_count (3 + 4)', async () => {
    const c = await readConditions({ sysRoot: fixture('x86') });
    expect(c.tempC).toBe(61);
    expect(c.throttle).toEqual({ source: 'core-throttle-count', count: 7 });
    expect(c.curFreqMHz).toBeNull();
  });

  it('a Pi without vcgencmd reports the throttle state as unavailable with the reason', async () => {
    const c = await readConditions({ sysRoot: fixture('pi4'), run: async () => Promise.reject(new Error('spawn vcgencmd ENOENT')) });
    expect(c.throttle.source).toBe('unavailable');
    if (c.throttle.source === 'unavailable') expect(c.throttle.reason).toMatch(/ENOENT/);
  });

  it('fingerprint is order-independent and changes with the kernel', () => {
    const a = fingerprintOf({ cpu: 'x', kernel: '6.1' });
    expect(fingerprintOf({ kernel: '6.1', cpu: 'x' })).toBe(a);
    expect(fingerprintOf({ cpu: 'x', kernel: '6.6' })).not.toBe(a);
  });
});

describe('device profiles', () => {
  it.each([
    ['Raspberry Pi 3 Model B Plus Rev 1.3', 'arm64', false, 'pi3b'],
    ['Raspberry Pi 4 Model B Rev 1.4', 'arm64', false, 'pi4'],
    ['Raspberry Pi 5 Model B Rev 1.0', 'arm64', false, 'pi5'],
    ['Raspberry Pi 3 Model B Rev 1.2', 'arm', false, 'pi3b'],
    [null, 'x64', true, 'x86-laptop'],
    [null, 'x64', false, 'x86-desktop'],
    [null, 'arm64', true, 'arm64-laptop'],
  ] as const)('recognises %s / %s / battery=%s as %s', (piModel, arch, hasBattery, id) => {
    expect(recogniseProfile({ environment: 'node', arch, piModel, hasBattery })?.id).toBe(id);
  });

  it('browser profiles match by execution provider', () => {
    expect(recogniseProfile({ environment: 'browser', arch: 'wasm', piModel: null, hasBattery: false, executionProvider: 'webgpu' })?.id).toBe('browser-webgpu');
  });

  it('never recognises the replay profile: it is chosen only explicitly (--replay)', () => {
    for (const environment of ['node', 'browser'] as const) {
      for (const arch of ['x64', 'arm64', 'arm', 'replay', 'riscv64']) {
        for (const hasBattery of [false, true]) {
          for (const piModel of [null, 'Raspberry Pi 4 Model B Rev 1.4']) {
            expect(recogniseProfile({ environment, arch, piModel, hasBattery })?.id).not.toBe('replay');
          }
        }
      }
    }
    expect(getDeviceProfile('replay')).toMatchObject({ id: 'replay', isExplicitOnly: true, runtimes: ['replay'] });
  });

  it("unknown profile 'pi9' is ZN_BAD_ARGUMENT listing the known ones", () => {
    expect(() => getDeviceProfile('pi9')).toThrow(expect.objectContaining({ code: 'ZN_BAD_ARGUMENT', message: expect.stringMatching(/'pi9'.*pi3b/) }));
  });
});

describe('Raspberry Pi identity from simulated Pi 3B, 4 and 5 trees (device tree, sysfs, vcgencmd, cpuinfo)', () => {
  it.each([
    ['pi3b', 'pi3b', 'throttled=0x50000', { tempC: 61.226, curFreqMHz: 1200 }, { hasUnderVoltageOccurred: true, isUnderVoltageNow: false, hasThrottlingOccurred: true }],
    ['pi4', 'pi4', 'throttled=0x0', { tempC: 48.686, curFreqMHz: 1500 }, { hasUnderVoltageOccurred: false, isThrottledNow: false }],
    ['pi5', 'pi5', 'throttled=0x80008', { tempC: 52.35, curFreqMHz: 2400 }, { isSoftTempLimitNow: true, hasSoftTempLimitOccurred: true }],
  ] as const)('%s: recognised as %s, conditions and throttle bits read, not emulated on arm64', async (tree, profile, throttled, conditions, flags) => {
    const root = fixture(tree);
    const piModel = await readPiModel(root);
    expect(recogniseProfile({ environment: 'node', arch: 'arm64', piModel, hasBattery: false })?.id).toBe(profile);
    const c = await readConditions({ sysRoot: root, run: async () => `${throttled}\n` });
    expect(c).toMatchObject({ ...conditions, governor: 'ondemand', throttle: { source: 'vcgencmd', raw: throttled.slice('throttled='.length), flags } });
    expect(await probeEmulation({ sysRoot: root, arch: 'arm64' })).toBeNull();
    // The same board's files read by an x86-64 build (qemu-x86_64 on the Pi) are an emulation.
    expect(await probeEmulation({ sysRoot: root, arch: 'x64' })).toMatch(/^x64 userland on an arm CPU/);
  });
});

/**
 * The agent's device identity (agent/deviceInfo.ts, agent/emulation.ts, devices/) over files recorded on real
 * Raspberry Pis and published (test/fixtures/pi-recorded/README.md gives each source). Temperature, frequency and
 * governor have no recording to test against: deviceInfo.test.ts covers them on simulated trees.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseGetThrottled, readConditions, readPiModel } from '../../../agent/deviceInfo.js';
import { cpuFamilyOf, probeEmulation } from '../../../agent/emulation.js';
import { recogniseProfile } from '../../../devices/index.js';

const recorded = (p: string): string => fileURLToPath(new URL(`../../fixtures/pi-recorded/${p}`, import.meta.url));

/** The model string the board's kernel printed in /proc/cpuinfo (the same device-tree property as /proc/device-tree/model). */
const cpuinfoModel = (cpuinfo: string): string | null => /^Model\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? null;

describe('device-tree model recorded on real boards', () => {
  it.each([
    ['pi3b-rev1.2-raspbian-nelisys', 'Raspberry Pi 3 Model B Rev 1.2', 'arm', 'pi3b'],
    ['pi3b-rev1.2-raspbian-diozero', 'Raspberry Pi 3 Model B Rev 1.2', 'arm', 'pi3b'],
    ['pi4b-rev1.1-raspbian-diozero', 'Raspberry Pi 4 Model B Rev 1.1', 'arm', 'pi4'],
  ] as const)('%s: readPiModel gives %s (trailing NUL or not), recognised as %s on %s', async (tree, model, arch, profile) => {
    const piModel = await readPiModel(recorded(tree));
    expect(piModel).toBe(model);
    expect(recogniseProfile({ environment: 'node', arch, piModel, hasBattery: false })?.id).toBe(profile);
    // The same board under a 64-bit userland (the Pi OS default on 3B, 4 and 5) gets the same profile.
    expect(recogniseProfile({ environment: 'node', arch: 'arm64', piModel, hasBattery: false })?.id).toBe(profile);
  });

  it('a Pi with vcgencmd reports its recorded get_throttled output with the bits decoded', async () => {
    const output = readFileSync(recorded('vcgencmd/get_throttled.pi3-firmware615-b.txt'), 'utf8');
    const c = await readConditions({ sysRoot: recorded('pi3b-rev1.2-raspbian-nelisys'), run: async () => output });
    expect(c.throttle).toEqual({ source: 'vcgencmd', raw: '0x50005', flags: expect.objectContaining({ isUnderVoltageNow: true, isThrottledNow: true, hasUnderVoltageOccurred: true }) });
    // No thermal zone or cpufreq recorded in this tree: reported as absent, not invented.
    expect(c.tempC).toBeNull();
    expect(c.curFreqMHz).toBeNull();
    expect(c.governor).toBeNull();
  });
});

describe('/proc/cpuinfo recorded on real boards', () => {
  it.each([
    // The CPU name is the `model name` line, which only some kernels print (none on the 64-bit Pi 4 and 5 kernels).
    ['pi3b-rev1.2-hrw6', 'arm64', 'Raspberry Pi 3 Model B Rev 1.2', 'pi3b', 'ARMv8 Processor rev 4 (v8l)'],
    ['pi3b-rev1.2-raspbian-nelisys', 'arm', 'Raspberry Pi 3 Model B Rev 1.2', 'pi3b', 'ARMv7 Processor rev 4 (v7l)'],
    ['pi4b-rev1.5-fastfetch1529', 'arm64', 'Raspberry Pi 4 Model B Rev 1.5', 'pi4', 'unnamed'],
    ['pi5b-rev1.0-hrw96', 'arm64', 'Raspberry Pi 5 Model B Rev 1.0', 'pi5', 'unnamed'],
  ] as const)('%s: an arm CPU, native for %s, emulated for x64; its model %s maps to %s', async (tree, arch, model, profile, cpuName) => {
    const root = recorded(tree);
    const cpuinfo = readFileSync(`${root}/proc/cpuinfo`, 'utf8');
    expect(cpuFamilyOf(cpuinfo)).toBe('arm');
    expect(await probeEmulation({ sysRoot: root, arch })).toBeNull();
    // An x86-64 build run on this board (qemu-x86_64 through binfmt) reads this same file: that is an emulation.
    expect(await probeEmulation({ sysRoot: root, arch: 'x64' })).toContain(`x64 userland on an arm CPU (${cpuName}): `);
    const piModel = cpuinfoModel(cpuinfo);
    expect(piModel).toBe(model);
    expect(recogniseProfile({ environment: 'node', arch, piModel, hasBattery: false })?.id).toBe(profile);
  });
});

describe('vcgencmd get_throttled recorded on real boards', () => {
  it.each([
    ['get_throttled.pi3-firmware615-a.txt', '0x50000', { hasUnderVoltageOccurred: true, hasThrottlingOccurred: true, isUnderVoltageNow: false, isThrottledNow: false }],
    ['get_throttled.pi3-firmware615-b.txt', '0x50005', { isUnderVoltageNow: true, isThrottledNow: true, hasUnderVoltageOccurred: true, hasThrottlingOccurred: true }],
    ['get_throttled.pi3bplus-linux2367.txt', '0x80008', { isSoftTempLimitNow: true, hasSoftTempLimitOccurred: true, isThrottledNow: false, isUnderVoltageNow: false }],
    ['get_throttled.duckietown358.txt', '0x0', { isUnderVoltageNow: false, isFreqCappedNow: false, isThrottledNow: false, isSoftTempLimitNow: false, hasUnderVoltageOccurred: false, hasFreqCapOccurred: false, hasThrottlingOccurred: false, hasSoftTempLimitOccurred: false }],
  ] as const)('%s: %s', (file, raw, flags) => {
    const parsed = parseGetThrottled(readFileSync(recorded(`vcgencmd/${file}`), 'utf8'));
    expect(parsed?.raw).toBe(raw);
    expect(parsed?.flags).toMatchObject(flags);
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { probeBattery } from '../../../../agent/sensors/battery.js';
import { integrateTrapezoidJ } from '../../../../agent/sensors/energyMeter.js';
import { parseExternalReading, probeExternalCommand } from '../../../../agent/sensors/externalCommand.js';
import { decodeIna, probeInaHwmon, probeInaI2c, swap16 } from '../../../../agent/sensors/ina2xx.js';
import { parsePmicReadAdc, pmicPowerW, probePmic } from '../../../../agent/sensors/pmic.js';
import { chooseMeter, DEFAULT_ENERGY_CONFIG } from '../../../../agent/sensors/index.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../../../fixtures/sysfs/${p}`, import.meta.url));
const PMIC = readFileSync(fixture('pmic_read_adc.pi5.txt'), 'utf8');

describe('trapezoid integration', () => {
  it('2 W then 4 W over 1 s = 3 J', () => {
    expect(integrateTrapezoidJ([{ tMs: 0, powerW: 2 }, { tMs: 1000, powerW: 4 }])).toBe(3);
  });
});

describe('Raspberry Pi 5 PMIC (simulated vcgencmd output)', () => {
  it('pairs 12 rails with current and voltage; EXT5V_V and BATT_V are not counted', () => {
    const rails = parsePmicReadAdc(PMIC);
    expect(rails).toHaveLength(12);
    expect(rails.map((r) => r.rail)).not.toContain('EXT5V');
    expect(rails.find((r) => r.rail === 'VDD_CORE')).toEqual({ rail: 'VDD_CORE', currentA: 0.7236, voltageV: 0.72 });
    const expected = rails.reduce((a, r) => a + r.currentA * r.voltageV, 0);
    expect(pmicPowerW(rails)).toBeCloseTo(expected, 12);
  });

  it('samples and integrates through the injected command runner', async () => {
    const probe = await probePmic({ samplePeriodMs: 5, run: async () => PMIC });
    if (!probe.isAvailable) throw new Error(probe.reason);
    expect(probe.rails).toContain('VDD_CORE');
    const reading = await (await probe.meter.start()).stop();
    expect(reading.samples).toBeGreaterThanOrEqual(2);
    expect(reading.resolution.kind).toBe('sampled');
  });

  it("no vcgencmd (ENOENT) -> unavailable 'not found'", async () => {
    const probe = await probePmic({ samplePeriodMs: 100, run: async () => Promise.reject(Object.assign(new Error('spawn vcgencmd ENOENT'), { code: 'ENOENT' })) });
    expect(probe.isAvailable ? null : probe.reason).toMatch(/vcgencmd not found/);
  });

  it('a failure the command runner describes is said once, not wrapped in a second "failed:"', async () => {
    const runner = async (): Promise<string> => Promise.reject(Object.assign(new Error('vcgencmd pmic_read_adc failed: spawn vcgencmd EACCES'), { code: 'EACCES' }));
    const reason = (await probePmic({ samplePeriodMs: 100, run: runner })) as { reason?: string };
    expect(reason.reason).toBe("vcgencmd pmic_read_adc failed: spawn vcgencmd EACCES (needs a Raspberry Pi 5 and a user in group 'video')");
    const bare = (await probePmic({ samplePeriodMs: 100, run: async () => Promise.reject(new Error('timeout')) })) as { reason?: string };
    expect(bare.reason).toMatch(/^vcgencmd pmic_read_adc failed: timeout/);
  });

  it('a Pi 4 (no PMIC ADC lines) -> unavailable', async () => {
    const probe = await probePmic({ samplePeriodMs: 100, run: async () => 'error=1 error_msg="Command not registered"' });
    expect(probe.isAvailable ? null : probe.reason).toMatch(/only the Raspberry Pi 5/);
  });
});

describe('INA2xx', () => {
  it('INA219: shunt 0x0FA0 (40 mV) on 0.1 ohm = 0.4 A, bus 0x2580>>3 * 4 mV = 4.8 V -> 1.92 W', () => {
    const d = decodeIna('ina219', 0x0fa0, 0x2580, 0.1);
    expect(d.currentA).toBeCloseTo(0.4, 12);
    expect(d.busV).toBeCloseTo(4.8, 12);
    expect(d.powerW).toBeCloseTo(1.92, 12);
  });
  it('INA226: negative shunt 0xFF38 (-200 * 2.5 µV) on 0.01 ohm = -0.05 A; bus 4000 * 1.25 mV = 5 V', () => {
    const d = decodeIna('ina226', 0xff38, 4000, 0.01);
    expect(d.currentA).toBeCloseTo(-0.05, 12);
    expect(d.busV).toBe(5);
  });
  it('INA260: current 800 * 1.25 mA = 1 A at 5 V -> 5 W (shunt argument ignored)', () => {
    expect(decodeIna('ina260', 800, 4000, 123).powerW).toBeCloseTo(5, 12);
  });
  it('SMBus little-endian words are byte-swapped', () => {
    expect(swap16(0xa00f)).toBe(0x0fa0);
  });
  it('hwmon route reads power1_input in µW (2.65 W)', async () => {
    const probe = await probeInaHwmon('ina226', { root: fixture('hwmon'), samplePeriodMs: 5 });
    if (!probe.isAvailable) throw new Error(probe.reason);
    const r = await (await probe.meter.start()).stop();
    expect(r.energyJ).toBeCloseTo((2.65 * r.durationMs) / 1000, 9);
  });
  it('without the optional i2c-bus module the I2C route is unavailable and says how to install it', async () => {
    const probe = await probeInaI2c({ chip: 'ina219', bus: 1, address: 0x40, shuntOhms: 0.1, samplePeriodMs: 100 }, async () => ({ module: null, reason: "optional dependency 'i2c-bus' is not installed" }));
    expect(probe.isAvailable ? null : probe.reason).toMatch(/i2c-bus/);
  });
});

describe('battery discharge (simulated power_supply)', () => {
  it('reads BAT0 power_now 7.45 W while discharging', async () => {
    const probe = await probeBattery({ root: fixture('battery'), samplePeriodMs: 5 });
    if (!probe.isAvailable) throw new Error(probe.reason);
    const r = await (await probe.meter.start()).stop();
    expect(r.energyJ).toBeCloseTo((7.45 * r.durationMs) / 1000, 9);
    expect(probe.rails[0]).toMatch(/BAT0/);
  });
  it('mains online -> unavailable (no estimate)', async () => {
    const probe = await probeBattery({ root: fixture('battery-charging'), samplePeriodMs: 5 });
    expect(probe.isAvailable ? null : probe.reason).toMatch(/'AC' is online/);
  });
});

describe('external command hook', () => {
  it.each([
    ['12.5 J', 'energy', 12.5, 0.1],
    ['J=0.25', 'energy', 0.25, 0.01],
    ['1500 mJ', 'energy', 1.5, 0.001],
    ['power: 4.20 W', 'power', 4.2, 0.01],
    ['3200mW', 'power', 3.2, 0.001],
  ] as const)("parses '%s'", (text, kind, value, step) => {
    const r = parseExternalReading(text);
    expect(r.kind).toBe(kind);
    expect(r.value).toBeCloseTo(value, 12);
    expect(r.stepSi).toBeCloseTo(step, 15);
  });
  it("refuses a bare number '42' (no unit is guessed)", () => {
    expect(() => parseExternalReading('42')).toThrow(/'42', expected a number with a unit/);
  });
  it('joules make a cumulative counter meter (injected runner)', async () => {
    let j = 10;
    const probe = await probeExternalCommand({ command: 'ignored', samplePeriodMs: 5, run: async () => `${(j += 1.5).toFixed(1)} J` });
    if (!probe.isAvailable) throw new Error(probe.reason);
    const r = await (await probe.meter.start()).stop();
    expect(r.energyJ).toBeCloseTo(1.5, 12);
    expect(r.resolution).toEqual({ kind: 'counter', energyJ: expect.closeTo(0.1, 12) });
  });
  it('watts make a sampled meter, run through /bin/sh for real', async () => {
    const probe = await probeExternalCommand({ command: 'echo "2.5 W"', samplePeriodMs: 5 });
    if (!probe.isAvailable) throw new Error(probe.reason);
    const r = await (await probe.meter.start()).stop();
    expect(r.energyJ).toBeCloseTo((2.5 * r.durationMs) / 1000, 9);
  });
  it('a failing command -> unavailable with its error', async () => {
    const probe = await probeExternalCommand({ command: 'exit 3', samplePeriodMs: 5 });
    expect(probe.isAvailable ? null : probe.reason).toMatch(/energy command failed/);
  });
});

describe('meter choice', () => {
  it('no meter anywhere gives unavailable with every reason, not a number', async () => {
    const config = { ...DEFAULT_ENERGY_CONFIG, raplRoot: '/nonexistent', hwmonRoot: '/nonexistent', powerSupplyRoot: '/nonexistent', vcgencmd: '/nonexistent/vcgencmd' };
    const source = await chooseMeter(config, ['rapl', 'battery']);
    expect(source.isAvailable).toBe(false);
    if (!source.isAvailable) {
      expect(source.reason).toMatch(/^no energy meter available/);
      for (const m of ['rapl', 'battery', 'pi5-pmic', 'ina219', 'external-command']) expect(source.reason).toContain(`${m}:`);
    }
  });
  it('--energy none is unavailable even where a meter exists', async () => {
    const source = await chooseMeter({ ...DEFAULT_ENERGY_CONFIG, mode: 'none', powerSupplyRoot: fixture('battery') }, ['battery']);
    expect(source).toEqual({ isAvailable: false, reason: expect.stringMatching(/--energy none/) });
  });
  it('auto picks the profile-preferred available meter (battery fixture)', async () => {
    const source = await chooseMeter({ ...DEFAULT_ENERGY_CONFIG, raplRoot: '/nonexistent', powerSupplyRoot: fixture('battery'), vcgencmd: '/nonexistent/v' }, ['rapl', 'battery']);
    expect(source.isAvailable && source.meter.method).toBe('battery');
  });
});

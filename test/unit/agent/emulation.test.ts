import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cpuFamilyOf, detectEmulation } from '../../../agent/emulation.js';
import { agentServesTarget, checkTargetName } from '../../../host/orchestrator/fleet.js';

// X86_HOST: the first lines of /proc/cpuinfo read inside the trixie arm64 userland of scripts/pi-emulation/ on this
// machine (qemu-user passes the host's file through; flags shortened). PI4: /proc/cpuinfo of a Raspberry Pi 4 Model B
// Rev 1.5 on a 64-bit kernel, recorded by its owner and published (test/fixtures/pi-recorded/README.md).
const X86_HOST = 'processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2\n';
const PI4 = readFileSync(fileURLToPath(new URL('../../fixtures/pi-recorded/pi4b-rev1.5-fastfetch1529/proc/cpuinfo', import.meta.url)), 'utf8');

describe('detectEmulation', () => {
  it('an arm64 or armhf userland reading an x86 /proc/cpuinfo is emulated, with the reason', () => {
    expect(cpuFamilyOf(X86_HOST)).toBe('x86');
    const arm64 = detectEmulation({ arch: 'arm64', cpuinfo: X86_HOST, hasDeviceTree: false });
    expect(arm64).toMatch(/^arm64 userland on an x86 CPU \(AMD EPYC\).*no \/proc\/device-tree/);
    expect(detectEmulation({ arch: 'arm', cpuinfo: X86_HOST, hasDeviceTree: false })).toMatch(/^arm userland on an x86 CPU/);
  });

  it('a real Pi, or x86 on x86, is not emulated; an unreadable cpuinfo says nothing', () => {
    expect(cpuFamilyOf(PI4)).toBe('arm');
    expect(detectEmulation({ arch: 'arm64', cpuinfo: PI4, hasDeviceTree: true })).toBeNull();
    expect(detectEmulation({ arch: 'x64', cpuinfo: X86_HOST, hasDeviceTree: false })).toBeNull();
    expect(detectEmulation({ arch: 'arm64', cpuinfo: null, hasDeviceTree: false })).toBeNull();
    expect(detectEmulation({ arch: 'x64', cpuinfo: PI4, hasDeviceTree: true })).toMatch(/^x64 userland on an arm CPU/);
  });
});

describe('emulated agents and targets', () => {
  const real = { name: 'kitchen-pi', profile: 'pi4', emulation: null };
  const emulated = { name: 'pi4-emu', profile: 'pi4', emulation: 'arm64 userland on an x86 CPU (AMD EPYC)' };
  it('an emulated agent serves only <profile>-emu (and its name), a real one never serves -emu', () => {
    expect(agentServesTarget(emulated, 'pi4-emu')).toBe(true);
    expect(agentServesTarget(emulated, 'pi4')).toBe(false);
    expect(agentServesTarget(emulated, 'name:pi4-emu')).toBe(true);
    expect(agentServesTarget(real, 'pi4')).toBe(true);
    expect(agentServesTarget(real, 'pi4-emu')).toBe(false);
    expect(agentServesTarget(emulated, 'pi3b-emu')).toBe(false);
  });

  it('<profile>-emu is a valid target name for a known profile only', () => {
    expect(() => checkTargetName('pi3b-emu', ['pi3b', 'pi4'])).not.toThrow();
    expect(() => checkTargetName('pi9-emu', ['pi3b', 'pi4'])).toThrow(/unknown target 'pi9-emu'.*<profile>-emu/);
  });
});

/**
 * Whether this agent runs under CPU emulation (qemu-user + binfmt_misc, e.g. scripts/pi-emulation/): an ARM userland
 * on an x86 CPU, or the reverse. qemu-user passes the host's /proc/cpuinfo through, so the CPU it describes does not
 * match the architecture the agent's own binaries were built for (process.arch). A missing /proc/device-tree on ARM
 * is recorded as supporting evidence (every Raspberry Pi has one), not as proof (ACPI ARM servers have none).
 *
 * An emulated agent's timings are those of the emulator (100-360x slower than the device, and shaped differently):
 * it reports the reason in its descriptor (`emulation`), every measurement carries it, and the host serves such an
 * agent only under `<profile>-emu` targets and labels everything it shows of them `emulated`.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What /proc/cpuinfo says the CPU is. */
export function cpuFamilyOf(cpuinfo: string): 'x86' | 'arm' | 'unknown' {
  if (/^vendor_id\s*:\s*(GenuineIntel|AuthenticAMD|HygonGenuine|CentaurHauls)/m.test(cpuinfo) || /^flags\s*:.*\bsse2\b/m.test(cpuinfo)) return 'x86';
  if (/^CPU implementer\s*:/m.test(cpuinfo) || /^CPU architecture\s*:/m.test(cpuinfo)) return 'arm';
  return 'unknown';
}

/** The family of CPU that runs `process.arch` binaries natively. */
function familyOfArch(arch: string): 'x86' | 'arm' | 'other' {
  if (arch === 'x64' || arch === 'ia32') return 'x86';
  if (arch === 'arm' || arch === 'arm64') return 'arm';
  return 'other';
}

/** null on native hardware; otherwise the reason, e.g. "arm64 userland on an x86 CPU (AMD EPYC): ...". */
export function detectEmulation(facts: { arch: string; cpuinfo: string | null; hasDeviceTree: boolean }): string | null {
  if (!facts.cpuinfo) return null;
  const cpu = cpuFamilyOf(facts.cpuinfo);
  const wanted = familyOfArch(facts.arch);
  if (cpu === 'unknown' || wanted === 'other' || cpu === wanted) return null;
  const model = /^model name\s*:\s*(.+)$/m.exec(facts.cpuinfo)?.[1]?.trim() ?? 'unnamed';
  const tree = wanted === 'arm' && !facts.hasDeviceTree ? '; no /proc/device-tree' : '';
  return `${facts.arch} userland on an ${cpu} CPU (${model}): /proc/cpuinfo does not describe the CPU this agent's binaries are for${tree}; an emulator (qemu-user) runs it, timings are not the device's`;
}

export async function probeEmulation(options: { sysRoot: string; arch?: string }): Promise<string | null> {
  const cpuinfo = await readFile(join(options.sysRoot, 'proc/cpuinfo'), 'utf8').catch(() => null);
  const hasDeviceTree = await access(join(options.sysRoot, 'proc/device-tree')).then(
    () => true,
    () => false,
  );
  return detectEmulation({ arch: options.arch ?? process.arch, cpuinfo, hasDeviceTree });
}

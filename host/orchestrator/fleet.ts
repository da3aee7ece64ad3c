/**
 * Which connected agents serve which target. A target is a device profile id (`pi3b`, `x86-desktop`,
 * `browser-wasm`, ...), an alias (`browser` = `browser-wasm`, `local` = the agent `orchestrate` starts itself),
 * an explicit agent name (`name:kitchen-pi`), or `<profile>-emu` (`pi4-emu`): agents of that profile that run
 * under CPU emulation (agent/emulation.ts). An emulated agent never serves the plain profile target, so emulator
 * timings cannot mix with a real device's. Several agents matching one target form its pool.
 */
import { networkInterfaces } from 'node:os';
import { ZeronasError } from '../../shared/errors.js';
import type { DeviceDescriptor } from '../../shared/protocol/index.js';
import type { HostServer } from './server.js';
import { deviceProfiles, type DeviceProfile } from '../../devices/index.js';

export const TARGET_ALIASES: Record<string, string> = { browser: 'browser-wasm', webgpu: 'browser-webgpu' };

/** The name the embedded loopback agent registers under; `--targets local` matches it. */
export const LOCAL_AGENT_NAME = 'local';

/** Suffix of the targets served by emulated agents of a profile (`pi4-emu`). */
export const EMULATED_TARGET_SUFFIX = '-emu';

/** `pi4-emu` -> `pi4`; null for a target that is not an emulated one. */
export function emulatedProfileOf(target: string): string | null {
  return target.endsWith(EMULATED_TARGET_SUFFIX) ? target.slice(0, -EMULATED_TARGET_SUFFIX.length) : null;
}

/**
 * Refuses a target no agent could ever serve (`pi9`), naming the forms a target takes; otherwise the run would wait
 * for an agent that cannot exist.
 */
export function checkTargetName(target: string, profiles: readonly string[]): void {
  const emulated = emulatedProfileOf(target);
  if (target === 'local' || /^name:[A-Za-z0-9._-]+$/.test(target) || target in TARGET_ALIASES || profiles.includes(target) || (emulated !== null && profiles.includes(emulated))) return;
  throw new ZeronasError(
    'ZN_BAD_ARGUMENT',
    `unknown target '${target}'; a target is a device profile (${profiles.join(', ')}), an alias (${Object.keys(TARGET_ALIASES).join(', ')}), local (an agent on this machine), name:<agent name>, or <profile>-emu (agents of that profile under CPU emulation)`,
    { target },
  );
}

export function agentServesTarget(device: Pick<DeviceDescriptor, 'name' | 'profile' | 'emulation'>, target: string): boolean {
  if (target.startsWith('name:')) return device.name === target.slice(5);
  if (target === 'local') return device.name === LOCAL_AGENT_NAME;
  const emulated = emulatedProfileOf(target);
  if (emulated !== null) return Boolean(device.emulation) && device.profile === emulated;
  const profile = TARGET_ALIASES[target] ?? target;
  return !device.emulation && device.profile === profile;
}

/**
 * Base URLs a device on the network can reach (scheme `http`/`https`, or `ws`/`wss`): the listen address, or every
 * non-internal IPv4 address (then loopback) when listening on all addresses.
 */
export function reachableBaseUrls(listen: string, port: number, scheme: string): string[] {
  const hosts: string[] = [];
  if (listen === '0.0.0.0' || listen === '::') {
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) hosts.push(a.address);
    }
    hosts.push('127.0.0.1');
  } else hosts.push(listen.includes(':') ? `[${listen}]` : listen);
  return hosts.map((h) => `${scheme}://${h}:${port}`);
}

/** The bundle (`zeronas agent-bundle --arch`) a device of `profile` most likely needs: a PC's is x64, a Pi's arm64. */
function bundleArchFor(profile: string | null): 'x64' | 'arm64' {
  return profile !== null && (deviceProfiles as Record<string, DeviceProfile>)[profile]?.match.arch?.includes('x64') ? 'x64' : 'arm64';
}

/**
 * How to attach an agent for `target` on a device, given the agent URL the device can reach (ending in `/agent`):
 * one line per way, each a command that works as printed. In a zeronas checkout, `node bin/zeronas-agent.js` (never
 * `npx zeronas-agent`: outside a checkout npx would fetch whatever package the public registry has under that name
 * and run it with the token in its environment). On a Raspberry Pi or another Debian machine, the offline bundle
 * made on this host and scripts/install-agent.sh (installs /opt/zeronas and a systemd service).
 * The checkout form carries the token in the environment, not on the command line (`ps` shows command lines to
 * every user); the installer takes it as an argument and keeps it in /etc/zeronas/agent.env (mode 0640). With
 * `token` the commands work as printed; without it the user substitutes the host's `zeronas token`. Under TLS,
 * `pin` (the certificate's fingerprint) makes the agent accept this host's certificate and no other.
 */
export function attachHints(target: string, agentUrl: string, token?: string, pin?: string | null): string[] {
  const hostArgs = `--host ${agentUrl}${pin ? ` --pin ${pin}` : ''}`;
  const placeholder = `"<output of 'zeronas token' on the host>"`;
  const checkout = (args: string): string => `ZERONAS_TOKEN=${token ?? placeholder} node bin/zeronas-agent.js ${hostArgs} ${args}`;
  const installer = (args: string, profile: string | null, extra = ''): string => {
    const arch = bundleArchFor(profile);
    const archNote = arch === 'arm64' ? 'arm64: 64-bit Raspberry Pi OS; armhf for a 32-bit one, amd64 for a PC' : 'amd64/x64: a PC; arm64 or armhf for a Raspberry Pi';
    return `on a Raspberry Pi or another Debian machine, make the bundle here with 'npx zeronas agent-bundle --arch ${arch}' (${archNote}), copy zeronas-agent-${arch}.tgz and scripts/install-agent.sh to the device, and run there: sudo bash install-agent.sh --bundle zeronas-agent-${arch}.tgz${extra} ${hostArgs} --token ${token ?? placeholder} ${args}`;
  };
  if (target.startsWith('name:')) {
    const args = `--name ${target.slice(5)}`;
    return [`in a zeronas checkout on the device: ${checkout(args)}`, installer(args, null)];
  }
  const profile = TARGET_ALIASES[target] ?? target;
  if (profile.startsWith('browser')) return [`open ${agentUrl.replace(/^ws/, 'http')} on the device (pairing code printed above)`];
  const emulated = emulatedProfileOf(target);
  if (emulated !== null) {
    const args = `--device ${emulated} --force-device`;
    return [`in the emulated userland (scripts/pi-emulation/; its figures are labelled emulated), in a zeronas checkout: ${checkout(args)}`, installer(args, emulated, ' --no-systemd')];
  }
  if (profile === 'replay') return [`in a zeronas checkout: ${checkout('--replay <csv>:<column>')}   (answers from a published table: benchmarks only, not a measurement)`];
  const args = `--device ${profile}`;
  return [`in a zeronas checkout on the device: ${checkout(args)}`, installer(args, profile)];
}

/** attachHints on one line (for an error message). */
export function attachHint(target: string, agentUrl: string, token?: string, pin?: string | null): string {
  return attachHints(target, agentUrl, token, pin).join(' ; or ');
}

/**
 * Why an agent named like a target does not serve it (`zeronas-agent --name pi3b` on a desktop: targets match the
 * device profile, not the name), with how to attach it; null when the agent serves the target or is not named like it.
 */
export function nameMismatchHint(device: Pick<DeviceDescriptor, 'name' | 'profile' | 'emulation'>, target: string): string | null {
  if (target === 'local' || target.startsWith('name:') || device.name !== target || agentServesTarget(device, target)) return null;
  const profile = TARGET_ALIASES[target] ?? target;
  const is = device.emulation ? `an emulated '${device.profile ?? 'no profile'}'` : `'${device.profile ?? 'no profile'}'`;
  const use = device.emulation && device.profile === profile ? `use the target ${profile}${EMULATED_TARGET_SUFFIX} for emulated agents` : `start that agent with --device ${profile} if it is one`;
  return `agent '${device.name}' is named like target '${target}' but its device profile is ${is}: targets match the device profile, not the agent's name. To attach it: ${use}, or use the target name:${device.name} (any device, by agent name)`;
}

export interface WaitForAgentsOptions {
  /** A "still waiting" line every this many ms (default 15 s). */
  progressEveryMs?: number;
  /**
   * Where the run is kept and the command that continues it with a given --wait-agents: on timeout, ZN_NO_AGENT
   * names both (its details carry them too), since nothing of the run is lost.
   */
  resume?: { runDir: string; command: (waitAgentsS: number) => string };
}

/** A longer wait to suggest after `waitMs` ran out: double, at least 5 minutes (a person attaching a device). */
export const longerWaitS = (waitMs: number): number => Math.max(300, Math.ceil((2 * waitMs) / 1000));

/**
 * Waits until every target has an agent: prints how to attach one (with `token`, a command that works as printed:
 * keep such lines out of files), which targets it still waits for (when one attaches, and every
 * `progressEveryMs`), a hint for an agent named like a target it does not serve, and fails with ZN_NO_AGENT at the
 * deadline.
 */
export async function waitForAgents(server: HostServer, targets: string[], waitMs: number, log: (line: string) => void, token?: string, options: WaitForAgentsOptions = {}): Promise<void> {
  const started = Date.now();
  const deadline = started + waitMs;
  const progressEveryMs = options.progressEveryMs ?? 15_000;
  let nextProgress = started + progressEveryMs;
  let hinted = false;
  let lastMissing: string[] | null = null;
  const mismatchHinted = new Set<string>();
  const secondsOf = (ms: number): string => `${Math.round(ms / 1000)} s`;
  for (;;) {
    const agents = [...server.agents.values()];
    const missing = targets.filter((t) => !agents.some((a) => agentServesTarget(a.device, t)));
    if (missing.length === 0) return;
    if (!hinted) {
      for (const t of missing.filter((t) => t !== 'local')) {
        for (const hint of attachHints(t, server.agentUrlForDevices, token, server.tlsFingerprint)) log(`waiting for an agent for target '${t}': ${hint}`);
      }
      hinted = true;
    } else if (lastMissing && missing.length < lastMissing.length) {
      const attached = lastMissing.filter((t) => !missing.includes(t));
      log(`target(s) ${attached.join(', ')} attached; still waiting (${secondsOf(Date.now() - started)} of ${secondsOf(waitMs)}) for: ${missing.join(', ')}`);
    }
    lastMissing = missing;
    for (const a of agents) {
      for (const t of missing) {
        const hint = mismatchHinted.has(`${a.id}|${t}`) ? null : nameMismatchHint(a.device, t);
        if (hint) {
          mismatchHinted.add(`${a.id}|${t}`);
          log(hint);
        }
      }
    }
    const now = Date.now();
    if (now > deadline) {
      // `local` is started by the host itself: if it is late, the machine is slow or busy, not missing an agent.
      const hints = missing.map((t) =>
        t === 'local'
          ? `The built-in local agent did not connect in time (a busy or slow machine): give it longer with --wait-agents ${Math.max(60, (2 * waitMs) / 1000)}`
          : attachHint(t, server.agentUrlForDevices, undefined, server.tlsFingerprint),
      );
      const resume = options.resume ? { runDir: options.resume.runDir, command: options.resume.command(longerWaitS(waitMs)) } : undefined;
      throw new ZeronasError(
        'ZN_NO_AGENT',
        `no agent attached for target(s) ${missing.join(', ')} within ${waitMs / 1000}s. ${missing.length === 1 && missing[0] === 'local' ? '' : 'To attach one: '}${hints.join(' ; ')}` +
          (resume ? `. Nothing is lost (run folder ${resume.runDir}); continue with a longer wait, and attach the agent meanwhile: ${resume.command}` : ''),
        { missing, ...(resume ? { runDir: resume.runDir, resumeCommand: resume.command } : {}) },
      );
    }
    if (now >= nextProgress) {
      log(`still waiting (${secondsOf(now - started)} of ${secondsOf(waitMs)}) for: ${missing.join(', ')}`);
      nextProgress = now + progressEveryMs;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

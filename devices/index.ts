/**
 * Device profiles: how an agent is recognised as a target, the measurement settings recommended for it, and the
 * energy meters to prefer. One JSON file per profile, validated here against one schema; the registry is a typed
 * object literal (no side-effect registration). Recognition: an explicit `--device` wins; otherwise the matching
 * profile with the lowest `priority` number (Pi models first, by /proc/device-tree/model). A profile marked
 * `isExplicitOnly` (the `replay` profile of `zeronas-agent --replay`) is never recognised, only chosen explicitly.
 */
import { z } from 'zod';
import { ZeronasError } from '../shared/errors.js';
import { ENERGY_METHODS, RUNTIME_IDS } from '../shared/protocol/messages.js';
import pi3b from './pi3b.json' with { type: 'json' };
import pi4 from './pi4.json' with { type: 'json' };
import pi5 from './pi5.json' with { type: 'json' };
import x86Laptop from './x86-laptop.json' with { type: 'json' };
import x86Desktop from './x86-desktop.json' with { type: 'json' };
import arm64Laptop from './arm64-laptop.json' with { type: 'json' };
import browserWasm from './browser-wasm.json' with { type: 'json' };
import browserWebgpu from './browser-webgpu.json' with { type: 'json' };
import replay from './replay.json' with { type: 'json' };

export const deviceProfileSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string(),
  environment: z.enum(['node', 'browser']),
  /** Never recognised from the hardware, only chosen explicitly (the replay profile: `zeronas-agent --replay`). */
  isExplicitOnly: z.boolean().optional(),
  match: z.object({
    /** Lower wins when several profiles match. */
    priority: z.number().int(),
    /** Regular expression tested against /proc/device-tree/model. */
    piModel: z.string().optional(),
    arch: z.array(z.string()).optional(),
    isPi: z.boolean().optional(),
    hasBattery: z.boolean().optional(),
    environment: z.enum(['node', 'browser']).optional(),
    executionProvider: z.string().optional(),
  }),
  /** Runtimes in the order `auto` tries them. */
  runtimes: z.array(z.enum(RUNTIME_IDS)).min(1),
  executionProvider: z.string(),
  measurement: z.object({
    threads: z.union([z.number().int().positive(), z.literal('physical-cores')]),
    warmupRuns: z.number().int().nonnegative(),
    warmupMinMs: z.number().nonnegative(),
    minRuns: z.number().int().positive(),
    minTotalMs: z.number().nonnegative(),
    maxTotalMs: z.number().positive(),
    cooldownMs: z.number().nonnegative(),
    repeatIfThrottled: z.boolean(),
    maxThrottleRepeats: z.number().int().nonnegative(),
    throttleCooldownMs: z.number().nonnegative(),
    idleBaselineMs: z.number().nonnegative(),
    energyMinMs: z.number().nonnegative(),
    profileRuns: z.number().int().positive(),
    timeoutMs: z.number().int().positive(),
  }),
  energy: z.object({ preferred: z.array(z.enum(ENERGY_METHODS)) }),
  notes: z.string(),
});
export type DeviceProfile = z.infer<typeof deviceProfileSchema>;

const raw = {
  pi3b,
  pi4,
  pi5,
  'x86-laptop': x86Laptop,
  'x86-desktop': x86Desktop,
  'arm64-laptop': arm64Laptop,
  'browser-wasm': browserWasm,
  'browser-webgpu': browserWebgpu,
  replay,
} as const;
export type DeviceProfileId = keyof typeof raw;

export const deviceProfiles: Record<DeviceProfileId, DeviceProfile> = Object.fromEntries(
  Object.entries(raw).map(([id, json]) => {
    const parsed = deviceProfileSchema.safeParse(json);
    if (!parsed.success || parsed.data.id !== id) {
      throw new ZeronasError('ZN_BAD_DATA', `devices/${id}.json is not a valid device profile: ${parsed.success ? `id '${parsed.data.id}' != file name` : parsed.error.message}`);
    }
    return [id, parsed.data];
  }),
) as Record<DeviceProfileId, DeviceProfile>;

/**
 * The profiles a Node agent can be installed under (`install-agent.sh --device`): not a browser's, not the replay
 * profile (explicit-only, for `--replay`). Agent bundles list them in their manifest; the installer checks --device
 * against that list, or against a checkout's devices/*.json by the same two rules.
 */
export function installableProfileIds(): string[] {
  return Object.values(deviceProfiles)
    .filter((p) => p.environment === 'node' && !p.isExplicitOnly)
    .map((p) => p.id);
}

export function getDeviceProfile(id: string): DeviceProfile {
  const profile = (deviceProfiles as Record<string, DeviceProfile>)[id];
  if (!profile) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `unknown device profile '${id}'; known: ${Object.keys(deviceProfiles).join(', ')}`, { profile: id });
  }
  return profile;
}

export interface DeviceFacts {
  environment: 'node' | 'browser';
  arch: string;
  piModel: string | null;
  hasBattery: boolean;
  executionProvider?: string;
}

/**
 * Why `profile` does not describe the hardware in `facts` (its match rules fail), or null when it does. A profile
 * forced onto other hardware runs its settings there (a Pi's 4 threads on a 2-core PC) and labels the results with
 * a device they were not measured on.
 */
export function profileMismatch(profile: DeviceProfile, facts: DeviceFacts): string | null {
  const m = profile.match;
  if (profile.isExplicitOnly) return null;
  if (profile.environment !== facts.environment) return `profile '${profile.id}' is for ${profile.environment} agents, this is ${facts.environment}`;
  if (m.piModel !== undefined && !(facts.piModel !== null && new RegExp(m.piModel).test(facts.piModel))) {
    return `profile '${profile.id}' is for a ${profile.title}; this machine is ${facts.piModel ?? `not a Raspberry Pi (${facts.arch})`}`;
  }
  if (m.arch !== undefined && !m.arch.includes(facts.arch)) return `profile '${profile.id}' is for ${m.arch.join('/')} machines; this one is ${facts.arch}`;
  if (m.isPi !== undefined && m.isPi !== (facts.piModel !== null)) return `profile '${profile.id}' is for ${m.isPi ? 'a Raspberry Pi' : 'a machine that is not a Raspberry Pi'}`;
  return null;
}

export function recogniseProfile(facts: DeviceFacts): DeviceProfile | null {
  const matches = Object.values(deviceProfiles).filter((p) => {
    const m = p.match;
    if (p.isExplicitOnly) return false;
    if (p.environment !== facts.environment) return false;
    if (m.piModel !== undefined && !(facts.piModel !== null && new RegExp(m.piModel).test(facts.piModel))) return false;
    if (m.arch !== undefined && !m.arch.includes(facts.arch)) return false;
    if (m.isPi !== undefined && m.isPi !== (facts.piModel !== null)) return false;
    if (m.hasBattery !== undefined && m.hasBattery !== facts.hasBattery) return false;
    if (m.executionProvider !== undefined && facts.executionProvider !== undefined && m.executionProvider !== facts.executionProvider) return false;
    return true;
  });
  matches.sort((a, b) => a.match.priority - b.match.priority);
  return matches[0] ?? null;
}

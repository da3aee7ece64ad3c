/**
 * What a replay agent says it is: profile `replay`, one runtime `replay` (version `<csv basename>#<column>`), one
 * execution provider `replay`, CPU model `replay of <column>`, OS fields `replay`, an energy meter `replay` that is
 * available only with --replay-energy, and conditions that say no hardware was read. Nothing in it describes the
 * machine the agent runs on except `hostname` (where the process is, for the operator).
 *
 * Fingerprint = sha256 over: 'replay', the table's sha256, the replayed, noise and energy columns. The same table
 * and columns are the same "device"; the seed is not part of it (it picks noise draws, as a real device's runs do).
 */
import os from 'node:os';
import type { Conditions, DeviceDescriptor } from '../../shared/protocol/messages.js';
import { fingerprintOf } from '../deviceInfo.js';
import type { ReplayTable } from './replayTable.js';

export const REPLAY_PROFILE_ID = 'replay';
export const REPLAY_RUNTIME = 'replay';
export const REPLAY_EXECUTION_PROVIDER = 'replay';
export const REPLAY_RAIL = 'replay-table';

/** `<csv basename>#<column>`: the runtime version of every measurement a replay agent makes. */
export function replayVersion(table: ReplayTable): string {
  return `${table.basename}#${table.latency.name}`.slice(0, 256);
}

/** Conditions of a replay: no temperature, frequency or throttle state exists; `why` says what was replayed. */
export function replayConditions(at: string, why: string): Conditions {
  return {
    at,
    tempC: null,
    tempSource: 'replay',
    curFreqMHz: null,
    governor: null,
    throttle: { source: 'unavailable', reason: why },
  };
}

export function replayDescriptor(
  table: ReplayTable,
  name: string,
  now: () => Date = () => new Date(),
): DeviceDescriptor {
  const version = replayVersion(table);
  const fingerprint = fingerprintOf({
    kind: 'replay',
    table: table.sha256,
    column: table.latency.name,
    noiseColumn: table.noise?.noiseColumn ?? null,
    energyColumn: table.energy?.name ?? null,
  });
  return {
    fingerprint,
    hostname: os.hostname().slice(0, 256),
    name,
    profile: REPLAY_PROFILE_ID,
    environment: 'node',
    os: {
      platform: 'replay',
      distro: `replay of ${table.basename}`.slice(0, 256),
      release: 'replay',
      kernel: 'replay',
      arch: 'replay',
    },
    cpu: {
      model: `replay of ${table.latency.name}`.slice(0, 256),
      cores: 1,
      physicalCores: null,
      governor: null,
      curFreqMHz: null,
      maxFreqMHz: null,
    },
    memoryBytes: 0,
    piModel: null,
    platformVersion: `node ${process.versions.node} (replay agent)`,
    runtimes: [
      {
        runtime: REPLAY_RUNTIME,
        isAvailable: true,
        version,
        executionProviders: [REPLAY_EXECUTION_PROVIDER],
        reason: null,
      },
    ],
    energyMeters: [
      table.energy
        ? { method: 'replay', isAvailable: true, rails: [REPLAY_RAIL], reason: null }
        : { method: 'replay', isAvailable: false, rails: [], reason: 'replay agent without --replay-energy' },
    ],
    conditions: replayConditions(now().toISOString(), `replay agent: answers from ${version}; no hardware is read`),
  };
}

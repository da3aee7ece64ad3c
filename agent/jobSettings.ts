/**
 * Turns a job's optional settings into complete ones: job value, else the device profile's recommendation, else
 * the fallback below (used only when no profile matched, and reported as such in the agent's log). Chooses the
 * runtime (see runtimes/index.ts) and checks the execution provider exists there, so a job for a provider this
 * agent lacks is rejected before any transfer.
 */
import { resolveMeasurementSettings } from '../shared/measure/resolveSettings.js';
import { ZeronasError } from '../shared/errors.js';
import type { DeviceDescriptor, MeasurementSettingsInput, ResolvedMeasurementSettings } from '../shared/protocol/messages.js';
import type { DeviceProfile } from '../devices/index.js';
import { DEFAULT_EXECUTION_PROVIDER, selectRuntime, type NodeRuntimeId } from './runtimes/index.js';

/** Settings when no device profile matched: the x86-desktop recommendation, single-threaded. */
export const FALLBACK_MEASUREMENT: DeviceProfile['measurement'] = {
  threads: 1,
  warmupRuns: 10,
  warmupMinMs: 500,
  minRuns: 50,
  minTotalMs: 2000,
  maxTotalMs: 60000,
  cooldownMs: 1000,
  repeatIfThrottled: true,
  maxThrottleRepeats: 2,
  throttleCooldownMs: 30000,
  idleBaselineMs: 2000,
  energyMinMs: 2000,
  profileRuns: 10,
  timeoutMs: 600000,
};

export interface ResolvedJob {
  settings: ResolvedMeasurementSettings;
  runtime: NodeRuntimeId;
  runtimeSelection: string;
}

export function resolveJobSettings(
  input: MeasurementSettingsInput,
  options: { profile: DeviceProfile | null; device: DeviceDescriptor; defaultRuntime: 'auto' | NodeRuntimeId },
): ResolvedJob {
  const m = options.profile?.measurement ?? FALLBACK_MEASUREMENT;
  const requestedRuntime = input.runtime ?? options.defaultRuntime;
  const preference = (options.profile?.runtimes.filter((r) => r !== 'ort-web') ?? ['ort-node', 'ort-wasm']) as NodeRuntimeId[];
  const choice = selectRuntime(requestedRuntime, options.device.runtimes, preference);
  const ep = !input.executionProvider || input.executionProvider === 'default' ? DEFAULT_EXECUTION_PROVIDER[choice.runtime] : input.executionProvider;
  const available = options.device.runtimes.find((r) => r.runtime === choice.runtime)?.executionProviders ?? [];
  if (!available.includes(ep)) {
    throw new ZeronasError('ZN_RUNTIME_UNAVAILABLE', `execution provider '${ep}' is not available in ${choice.runtime} here; it has ${available.join(', ') || 'none'}`, {
      runtime: choice.runtime,
      executionProvider: ep,
    });
  }
  const profileThreads = m.threads === 'physical-cores' ? (options.device.cpu.physicalCores ?? options.device.cpu.cores) : m.threads;
  return {
    runtime: choice.runtime,
    runtimeSelection: choice.selection,
    settings: resolveMeasurementSettings(input, m, { runtime: requestedRuntime, executionProvider: ep, threads: profileThreads }),
  };
}

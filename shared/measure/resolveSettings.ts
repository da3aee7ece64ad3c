import type { MeasurementSettingsInput, ResolvedMeasurementSettings } from '../protocol/messages.js';

/** The measurement recommendations a device profile gives (devices/*.json `measurement`, threads resolved apart). */
export interface MeasurementDefaults {
  warmupRuns: number;
  warmupMinMs: number;
  minRuns: number;
  minTotalMs: number;
  maxTotalMs: number;
  cooldownMs: number;
  repeatIfThrottled: boolean;
  maxThrottleRepeats: number;
  throttleCooldownMs: number;
  idleBaselineMs: number;
  energyMinMs: number;
  profileRuns: number;
  timeoutMs: number;
}

/**
 * A job's optional settings made complete: the job's value, else the profile's recommendation. The runtime,
 * provider and thread count are decided by each agent (Node or browser) and passed in, since only the agent knows
 * what it can run. Used by the Node agent and the browser page alike, so both resolve settings the same way.
 */
export function resolveMeasurementSettings(
  input: MeasurementSettingsInput,
  defaults: MeasurementDefaults,
  decided: { runtime: ResolvedMeasurementSettings['runtime']; executionProvider: string; threads: number },
): ResolvedMeasurementSettings {
  const m = defaults;
  return {
    runtime: decided.runtime,
    executionProvider: decided.executionProvider,
    threads: input.threads ?? decided.threads,
    warmupRuns: input.warmupRuns ?? m.warmupRuns,
    warmupMinMs: input.warmupMinMs ?? m.warmupMinMs,
    minRuns: input.minRuns ?? m.minRuns,
    minTotalMs: input.minTotalMs ?? m.minTotalMs,
    maxTotalMs: input.maxTotalMs ?? m.maxTotalMs,
    cooldownMs: input.cooldownMs ?? m.cooldownMs,
    repeatIfThrottled: input.repeatIfThrottled ?? m.repeatIfThrottled,
    maxThrottleRepeats: input.maxThrottleRepeats ?? m.maxThrottleRepeats,
    throttleCooldownMs: input.throttleCooldownMs ?? m.throttleCooldownMs,
    energy: input.energy ?? 'auto',
    idleBaselineMs: input.idleBaselineMs ?? m.idleBaselineMs,
    energyMinMs: input.energyMinMs ?? m.energyMinMs,
    isProfiling: input.isProfiling ?? false,
    profileRuns: input.profileRuns ?? m.profileRuns,
    timeoutMs: input.timeoutMs ?? m.timeoutMs,
    inputSeed: input.inputSeed ?? 0,
  };
}

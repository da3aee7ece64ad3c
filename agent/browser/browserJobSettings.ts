/**
 * A job's optional settings made complete for the page, as agent/jobSettings.ts does for the Node agent: job
 * value, else the page's device profile (devices/browser-wasm.json or browser-webgpu.json). Differences: the
 * runtime is always ort-web; a job saying 'default' gets the profile's execution provider (wasm or webgpu, the
 * provider that defines the target); the provider must have run in the start-up probe, else the offer is rejected
 * with ZN_RUNTIME_UNAVAILABLE before any transfer. Threads are fixed per page (onnxruntime-web's setting is global),
 * so the measurement's runtime.threads, not settings.threads, says what ran.
 */
import { resolveMeasurementSettings } from '../../shared/measure/resolveSettings.js';
import { ZeronasError } from '../../shared/errors.js';
import type { MeasurementSettingsInput, ResolvedMeasurementSettings } from '../../shared/protocol/messages.js';
import type { DeviceProfile } from '../../devices/index.js';

export interface BrowserJob {
  settings: ResolvedMeasurementSettings;
  runtimeSelection: string;
}

/**
 * Threads for a profile: a number is taken as is; 'physical-cores' is unknown in a browser (it reports logical
 * cores only), so onnxruntime-web's own default is used: ceil(logical / 2), at most 4 (HARDWARE.md §7.4).
 */
export function profileThreads(profile: DeviceProfile, logicalCores: number): number {
  const t = profile.measurement.threads;
  return t === 'physical-cores' ? Math.max(1, Math.min(4, Math.ceil(logicalCores / 2))) : t;
}

export function resolveBrowserJob(
  input: MeasurementSettingsInput,
  options: { profile: DeviceProfile; runningProviders: readonly string[]; threads: number },
): BrowserJob {
  const m = options.profile.measurement;
  const runtime = input.runtime ?? 'auto';
  if (runtime !== 'auto' && runtime !== 'ort-web') {
    throw new ZeronasError('ZN_RUNTIME_UNAVAILABLE', `runtime '${runtime}' is not available in a browser page; it has ort-web`, { requested: runtime });
  }
  const ep = !input.executionProvider || input.executionProvider === 'default' ? options.profile.executionProvider : input.executionProvider;
  if (!options.runningProviders.includes(ep)) {
    throw new ZeronasError(
      'ZN_RUNTIME_UNAVAILABLE',
      `execution provider '${ep}' did not run in this page's start-up probe; it runs ${options.runningProviders.join(', ') || 'none'}`,
      { runtime: 'ort-web', executionProvider: ep },
    );
  }
  return {
    runtimeSelection: runtime === 'auto' ? 'auto: ort-web (the only runtime of a browser page)' : 'requested',
    settings: resolveMeasurementSettings(input, m, { runtime, executionProvider: ep, threads: options.threads }),
  };
}

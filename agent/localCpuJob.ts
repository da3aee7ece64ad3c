/**
 * A measurement job as the agent would build it for a plain CPU run with no energy meter and no device profile, for
 * the benchmarks and tests that drive the measurement process directly (no host, no protocol).
 */
import type { ChildJob } from './measureChild.js';
import { DEFAULT_ENERGY_CONFIG } from './sensors/index.js';

export function localCpuJob(job: Pick<ChildJob, 'jobId' | 'modelPath' | 'model' | 'inputs' | 'settings'>, deviceName = 'local'): ChildJob {
  return {
    ...job,
    runtime: 'ort-node',
    runtimeSelection: 'requested',
    device: { fingerprint: '0'.repeat(64), name: deviceName, hostname: deviceName, profile: null },
    energy: { ...DEFAULT_ENERGY_CONFIG, mode: 'none' },
    energyPreference: [],
    sysRoot: '/',
    vcgencmd: 'vcgencmd',
  };
}

/**
 * Who this browser is, for the `hello` descriptor. Browsers hide the CPU model, the OS release and every sensor,
 * so those fields say "unknown" rather than guessing. The fingerprint is sha256 over: a random id kept in this
 * browser's localStorage (two identical phones stay two devices), user agent (browser version changes make old
 * measurements stale, HARDWARE.md §9), platform, logical cores, device memory, and the page's profile (wasm and
 * WebGPU pages on one phone are different targets). Runtime versions are not in it (LUTs key on both).
 */
import { sha256HexOfText } from './sha256.js';
import type { BrowserEnvironment, DeviceDescriptor } from '../../shared/protocol/messages.js';
import type { ProbeReport } from './workerProtocol.js';
import { browserConditions } from './browserConditions.js';

const BROWSER_ID_KEY = 'zeronas.browserId';

interface NavigatorExtras {
  deviceMemory?: number;
  userAgentData?: { platform?: string };
}

/** A random id for this browser profile, created on first use (or per page load when storage is blocked). */
export function browserId(storage: Pick<Storage, 'getItem' | 'setItem'> | null = safeLocalStorage()): string {
  const existing = storage?.getItem(BROWSER_ID_KEY);
  if (existing && /^[0-9a-f]{32}$/.test(existing)) return existing;
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  storage?.setItem(BROWSER_ID_KEY, id);
  return id;
}

export function safeLocalStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function fingerprintOf(parts: Record<string, string | number | null>): string {
  // Same canonical form as the Node agent (agent/deviceInfo.ts): sorted [key, value] pairs as JSON.
  return sha256HexOfText(JSON.stringify(Object.keys(parts).sort().map((k) => [k, parts[k]!])));
}

export interface DescribeBrowserOptions {
  name: string;
  profile: string;
  report: ProbeReport;
}

export function describeBrowser(options: DescribeBrowserOptions): DeviceDescriptor {
  const nav = navigator as Navigator & NavigatorExtras;
  const id = browserId();
  const userAgent = nav.userAgent.slice(0, 256);
  const platform = (nav.userAgentData?.platform || nav.platform || 'unknown').slice(0, 256);
  const cores = nav.hardwareConcurrency || 1;
  const deviceMemoryGiB = typeof nav.deviceMemory === 'number' ? nav.deviceMemory : null;
  const { report } = options;
  const ran = report.probes.filter((p) => p.didRun).map((p) => p.executionProvider);
  const browser: BrowserEnvironment = {
    userAgent,
    platform,
    hardwareConcurrency: cores,
    deviceMemoryGiB,
    isCrossOriginIsolated: report.isCrossOriginIsolated,
    timerResolutionMs: report.timerResolutionMs,
    executionProviderProbes: report.probes,
  };
  const fingerprint = fingerprintOf({ browserId: id, userAgent, platform, cores, deviceMemoryGiB, profile: options.profile });
  return {
    fingerprint,
    hostname: `browser-${id.slice(0, 8)}`,
    name: options.name,
    profile: options.profile,
    environment: 'browser',
    os: { platform, distro: 'unknown (browser)', release: 'unknown (browser)', kernel: 'unknown (browser)', arch: 'unknown (browser)' },
    cpu: { model: 'unknown (browsers do not expose the CPU model)', cores, physicalCores: null, governor: null, curFreqMHz: null, maxFreqMHz: null },
    memoryBytes: deviceMemoryGiB === null ? 0 : Math.round(deviceMemoryGiB * 2 ** 30),
    piModel: null,
    platformVersion: userAgent,
    runtimes: [
      {
        runtime: 'ort-web',
        isAvailable: ran.length > 0,
        version: report.ortVersion,
        executionProviders: ran,
        reason: ran.length > 0 ? null : report.probes.map((p) => `${p.executionProvider}: ${p.reason}`).join('; ').slice(0, 4000),
      },
    ],
    energyMeters: [],
    conditions: browserConditions(),
    browser,
  };
}

/**
 * Per-device latency lookup tables (HARDWARE.md §4.6, §5.1, §10): one record per kernel key (kernelKeys.ts) with
 * robust statistics (median, p10, p90, n, as the Facebook runtime LUT keeps percentiles, not just a mean), and the
 * conditions every measurement carries (DESIGN.md "Contracts"): device fingerprint, runtime and version, the
 * execution provider that actually ran, threads, warm-up/repeat settings, date. A table is valid only for the
 * device fingerprint + runtime version it was measured on; `checkLutFreshness` reports a mismatch and
 * `assertLutFresh` turns it into ZN_LUT_STALE (or ZN_EP_MISMATCH for a different execution provider).
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ZeronasError } from '../../shared/errors.js';
import { readJsonFile } from '../util/jsonFile.js';
import type { Graph } from '../ir/graph.js';
import { EXECUTION_HYPOTHESES } from './execution.js';
import { kernelsOf } from './kernelKeys.js';

export const LUT_FORMAT = 'zeronas-lut';
export const LUT_FORMAT_VERSION = 1;

const entrySchema = z.object({
  /** Median of the timed repeats, ms (the value summed by predictFromLut); with rounds, the median of their medians. */
  medianMs: z.number().nonnegative(),
  /** Median of each measurement round, in round order (tables measured in rounds; see measureJobs.ts). */
  roundMediansMs: z.array(z.number().nonnegative()).optional(),
  p10Ms: z.number().nonnegative().optional(),
  p90Ms: z.number().nonnegative(),
  minMs: z.number().nonnegative().optional(),
  maxMs: z.number().nonnegative().optional(),
  /** Number of timed repeats behind the statistics. */
  n: z.number().int().positive(),
  /** Energy per run, mJ, when the device has a meter. */
  energyMj: z.number().nonnegative().optional(),
});

const lutSchema = z.object({
  format: z.literal(LUT_FORMAT),
  version: z.literal(LUT_FORMAT_VERSION),
  device: z.object({ fingerprint: z.string().min(1), name: z.string().optional() }),
  runtime: z.object({ name: z.string().min(1), version: z.string().min(1) }),
  /** The execution provider that actually ran (never the requested one if they differ). */
  executionProvider: z.string().min(1),
  threads: z.number().int().positive(),
  measurement: z.object({
    warmupRuns: z.number().int().nonnegative(),
    repeats: z.number().int().positive(),
    minRepeatMs: z.number().nonnegative().optional(),
    /** Independent rounds over all kernels, each in a fresh shuffled order (absent: one). */
    rounds: z.number().int().positive().optional(),
    /** Entries were divided by the drift this kernel traced, measured every `every` kernels (driftCorrection.ts). */
    driftSentinel: z.object({ kernel: z.string(), every: z.number().int().positive() }).optional(),
    batch: z.number().int().positive(),
    foldBatchNorm: z.boolean(),
  }),
  /** Which nodes the runtime executes (execution.ts); decides which kernels a graph sums. */
  execution: z.enum(EXECUTION_HYPOTHESES),
  /** ISO-8601 date of the measurement. */
  createdAt: z.string().min(1),
  entries: z.record(z.string(), entrySchema),
});

export type LookupTable = z.infer<typeof lutSchema>;
export type LutEntry = z.infer<typeof entrySchema>;

/** Validates a parsed JSON value as a lookup table; errors name the first bad field. */
export function parseLookupTable(value: unknown, source = 'lookup table'): LookupTable {
  const result = lutSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ZeronasError('ZN_BAD_DATA', `${source}: field '${issue.path.join('.') || '(root)'}' ${issue.message}`, {
      source,
      path: issue.path.map(String),
    });
  }
  return result.data;
}

export async function loadLookupTable(path: string): Promise<LookupTable> {
  return parseLookupTable(await readJsonFile(path, 'lookup table'), path);
}

/** Writes the table as pretty JSON with entries sorted by key (stable diffs). */
export async function saveLookupTable(path: string, lut: LookupTable): Promise<void> {
  parseLookupTable(lut, path);
  const entries = Object.fromEntries(Object.entries(lut.entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ ...lut, entries }, null, 2)}\n`);
}

export interface LutPrediction {
  /** Σ_k count_k · median_k over the kernels found in the table, ms. */
  valueMs: number;
  /** Σ_k count_k · (p90_k − median_k): a one-sided spread of the sum if every kernel ran at its p90. */
  spreadMs: number;
  /** Kernel keys the graph runs that the table lacks. */
  missing: string[];
  /** Σ_k count_k: kernel invocations summed (each table entry carries one run's fixed overhead). */
  calls: number;
  /** valueMs split by kernel kind (relu_conv_bn, avg_pool, ...), for corrections that weigh kinds apart. */
  byKindMs: Map<string, number>;
}

/**
 * Predicted latency of a graph from a table: latency ≈ Σ over the kernels the graph runs (under the table's
 * execution hypothesis) of count × median. The sum ignores inter-kernel effects (fusion, caches, scheduling);
 * costModel.ts fits a correction from it to end-to-end latency. Throws ZN_LUT_INCOMPLETE when kernels are missing
 * unless `allowMissing`, in which case they are listed and left out of the sum.
 */
export function predictFromLut(lut: LookupTable, graph: Graph, options: { allowMissing?: boolean } = {}): LutPrediction {
  let valueMs = 0;
  let spreadMs = 0;
  let calls = 0;
  const byKindMs = new Map<string, number>();
  const missing: string[] = [];
  for (const k of kernelsOf(graph, { execution: lut.execution })) {
    const e = lut.entries[k.key];
    if (!e) {
      missing.push(k.key);
      continue;
    }
    valueMs += k.count * e.medianMs;
    byKindMs.set(k.kind, (byKindMs.get(k.kind) ?? 0) + k.count * e.medianMs);
    calls += k.count;
    spreadMs += k.count * Math.max(0, e.p90Ms - e.medianMs);
  }
  if (missing.length && !options.allowMissing) {
    throw new ZeronasError(
      'ZN_LUT_INCOMPLETE',
      `lookup table for device '${lut.device.fingerprint}' lacks ${missing.length} kernel(s) of '${graph.name}', e.g. '${missing[0]}'; measure them (enumerateSpaceKernels) or pass allowMissing`,
      { missing, device: lut.device.fingerprint },
    );
  }
  return { valueMs, spreadMs, missing, calls, byKindMs };
}

/** What the caller runs on now: compared against the table's key. */
export interface RuntimeIdentity {
  deviceFingerprint: string;
  runtimeName: string;
  runtimeVersion: string;
  executionProvider?: string;
}

export interface StalenessWarning {
  code: 'ZN_LUT_STALE' | 'ZN_EP_MISMATCH';
  message: string;
  /** Fields that differ: deviceFingerprint, runtimeName, runtimeVersion, executionProvider. */
  mismatches: { field: keyof RuntimeIdentity; table: string; current: string }[];
  table: RuntimeIdentity;
  current: RuntimeIdentity;
}

/**
 * What an agent runs `runtimeName` as now: its fingerprint and that runtime's version ('none' when the agent lacks
 * it; its first available runtime's name then, so the mismatch names what it has). One definition for both sides
 * of a table: orchestrate checks a table against it, `zeronas lut` checks stored measurements against it.
 */
export function agentRuntimeIdentity(
  device: { fingerprint: string; runtimes: { runtime: string; version?: string | null; isAvailable: boolean }[] },
  runtimeName: string,
): RuntimeIdentity {
  const rt = device.runtimes.find((r) => r.runtime === runtimeName && r.isAvailable);
  return {
    deviceFingerprint: device.fingerprint,
    runtimeName: rt?.runtime ?? device.runtimes.find((r) => r.isAvailable)?.runtime ?? 'none',
    runtimeVersion: rt?.version ?? 'none',
  };
}

/** Anything keyed like a table: a LookupTable, or a fitted cost model's metadata. */
export interface DeviceKeyed {
  device: { fingerprint: string };
  runtime: { name: string; version: string };
  executionProvider?: string;
}

/**
 * Compares a table's (or model's) key with the current device + runtime. Returns null when they match, else a
 * warning naming both fingerprints and every differing field. A different device or runtime (name or version) is
 * ZN_LUT_STALE; only a different execution provider is ZN_EP_MISMATCH.
 */
export function checkLutFreshness(keyed: DeviceKeyed, current: RuntimeIdentity, options: { remeasureCommand?: string } = {}): StalenessWarning | null {
  const table: RuntimeIdentity = {
    deviceFingerprint: keyed.device.fingerprint,
    runtimeName: keyed.runtime.name,
    runtimeVersion: keyed.runtime.version,
    ...(keyed.executionProvider !== undefined ? { executionProvider: keyed.executionProvider } : {}),
  };
  const mismatches: StalenessWarning['mismatches'] = [];
  for (const field of ['deviceFingerprint', 'runtimeName', 'runtimeVersion', 'executionProvider'] as const) {
    const a = table[field];
    const b = current[field];
    if (a !== undefined && b !== undefined && a !== b) mismatches.push({ field, table: a, current: b });
  }
  if (mismatches.length === 0) return null;
  const onlyEp = mismatches.every((m) => m.field === 'executionProvider');
  const what = mismatches.map((m) => `${m.field} '${m.table}' (table) vs '${m.current}' (current)`).join(', ');
  return {
    code: onlyEp ? 'ZN_EP_MISMATCH' : 'ZN_LUT_STALE',
    message:
      `lookup table measured on device '${table.deviceFingerprint}' with ${table.runtimeName} ${table.runtimeVersion} ` +
      `does not match device '${current.deviceFingerprint}' with ${current.runtimeName} ${current.runtimeVersion}: ${what}; ` +
      `re-measure the table on this device${options.remeasureCommand ? `: ${options.remeasureCommand}` : ''} (or pass the matching table)`,
    mismatches,
    table,
    current,
  };
}

/** Throws the warning of `checkLutFreshness` as a ZeronasError (ZN_LUT_STALE or ZN_EP_MISMATCH). */
export function assertLutFresh(keyed: DeviceKeyed, current: RuntimeIdentity): void {
  const warning = checkLutFreshness(keyed, current);
  if (warning) {
    throw new ZeronasError(warning.code, warning.message, {
      table: warning.table,
      current: warning.current,
      mismatches: warning.mismatches,
    });
  }
}

/**
 * Which kernel measurements in a lut job store `zeronas lut` may reuse. The store keeps every measurement a table
 * was ever built from; jobs are deduplicated by run id, so the run id decides what is measured again. A stored
 * measurement run is reused only when every measurement in it was taken on the device and runtime version of the
 * target's agents now connected (the same test orchestrate applies to the table, lookupTable.ts), and not with
 * --fresh; otherwise a new run id starts (`lut.g1`, `lut.g2`, ...) and everything is measured again, while the old
 * measurements stay in the store. The current run id of each target is kept in the store's meta table.
 */
import type { Measurement } from '../../shared/protocol/index.js';
import { agentRuntimeIdentity, checkLutFreshness, type StalenessWarning } from '../cost/lookupTable.js';
import type { MeasurementRow, Store } from '../orchestrator/store.js';

/** Run id of the first measurement run of a store (stores written before run ids changed use it too). */
export const FIRST_LUT_RUN_ID = 'lut';

export interface AgentIdentitySource {
  name: string;
  fingerprint: string;
  runtimes: { runtime: string; version?: string | null; isAvailable: boolean }[];
}

export interface LutMeasurementRun {
  /** Run id of the jobs to enqueue (round 0; round r is `<runId>.r<r>`, measureJobs.ts). */
  runId: string;
  /** Stored measurements (rounds 0..rounds-1, sentinels included) that this run reuses. */
  reused: MeasurementRow[];
  /** Why a new run started: 'fresh' (asked), 'stale' (stored measurements from another device or runtime), or null. */
  restartReason: 'fresh' | 'stale' | null;
  /** With restartReason 'stale': the first mismatch found (stored measurement vs connected agent). */
  stale?: { agent: string; warning: StalenessWarning };
  /** The run replaced (restartReason set), for the message. */
  previousRunId?: string;
}

const metaKey = (target: string): string => `lut.measurementRun|${target}`;

/** `lut` -> `lut.g1`, `lut.g<n>` -> `lut.g<n+1>`. */
export function nextLutRunId(runId: string): string {
  const m = /^lut\.g(\d+)$/.exec(runId);
  return m ? `lut.g${Number(m[1]) + 1}` : 'lut.g1';
}

/** Rows of one measurement run of `target`: its rounds 0..rounds-1. */
export function rowsOfLutRun(store: Store, runId: string, target: string, rounds: number): MeasurementRow[] {
  const out: MeasurementRow[] = [];
  for (let r = 0; r < rounds; r++) out.push(...store.measurements(r === 0 ? runId : `${runId}.r${r}`, target));
  return out;
}

/**
 * Picks the run whose finished jobs `zeronas lut` reuses for `target` (and records a new one in the store when it
 * starts one). `agents` are the target's agents now connected.
 */
export function chooseLutMeasurementRun(store: Store, o: { target: string; rounds: number; agents: AgentIdentitySource[]; fresh?: boolean }): LutMeasurementRun {
  const current = store.getMeta(metaKey(o.target)) ?? FIRST_LUT_RUN_ID;
  const stored = rowsOfLutRun(store, current, o.target, o.rounds);
  let stale: LutMeasurementRun['stale'];
  for (const row of stored) {
    const m = JSON.parse(row.result_json) as Pick<Measurement, 'device' | 'runtime'>;
    const keyed = { device: { fingerprint: m.device.fingerprint }, runtime: { name: m.runtime.runtime, version: m.runtime.version } };
    for (const a of o.agents) {
      const warning = checkLutFreshness(keyed, agentRuntimeIdentity(a, m.runtime.runtime));
      if (warning) {
        stale = { agent: a.name, warning };
        break;
      }
    }
    if (stale) break;
  }
  const restartReason = o.fresh && stored.length > 0 ? 'fresh' : stale ? 'stale' : null;
  if (restartReason === null) return { runId: current, reused: stored, restartReason };
  const runId = nextLutRunId(current);
  store.setMeta(metaKey(o.target), runId);
  return { runId, reused: [], restartReason, previousRunId: current, ...(stale ? { stale } : {}) };
}

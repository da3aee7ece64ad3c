/**
 * `zeronas results` and `zeronas fleet`: what a host has measured, readable outside a run.
 *
 * results: one row per architecture of a run, in HW-NAS-Bench's column conventions (`index`, `arch_str`,
 * `<dataset>_<device>_latency` in ms, `<dataset>_<device>_energy` in mJ), so a table joins with the published ones
 * on `arch_str` (and `index` for NAS-Bench-201). A device's value is the median over every measurement of the
 * architecture in the run and its verification rounds; `<dataset>_<device>_n` says how many, and
 * `<dataset>_<device>_source` says `measured`, `emulated` (timings of an emulator, scripts/pi-emulation/),
 * `forced-device` (an agent started with `--force-device` on hardware its profile does not describe: a PC's timings
 * under a Pi's name) or `replay` (a replayed device's values are a published table's).
 *
 * fleet: every agent the run stores under a folder know, with its device, runtimes, when it was last seen, how much
 * it measured and its latest result. "Connected" is as the store last recorded it; a host that died leaves it set.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { csvField } from '../../shared/csv.js';
import { ZeronasError } from '../../shared/errors.js';
import { median } from '../cost/regression.js';
import { Store, type MeasurementRow } from '../orchestrator/store.js';
import { readJson, runPaths, storeFoldersUnder } from '../run/runFolder.js';
import { nb201ArchAtIndex } from '../spaces/nb201Index.js';
import type { OrchestrateConfig } from './orchestrate.js';

export interface ResultsTable {
  runId: string;
  space: string;
  columns: string[];
  rows: (string | number | null)[][];
}

/** The column prefix of a space's device columns: HW-NAS-Bench's dataset name for NB201 (CIFAR-10 inputs). */
function datasetPrefix(space: string): string {
  return space === 'nb201' ? 'cifar10' : space;
}

/** `name:kitchen-pi` -> `kitchen-pi`; other characters a column name should not hold become `_`. */
function deviceColumn(target: string): string {
  return target.replace(/^name:/, '').replace(/[^A-Za-z0-9-]/g, '_');
}

let nb201Indices: Map<string, number> | undefined;
function nb201IndexOf(arch: string): number | null {
  if (!nb201Indices) {
    nb201Indices = new Map();
    for (let i = 0; i < 15_625; i++) nb201Indices.set(nb201ArchAtIndex(i), i);
  }
  return nb201Indices.get(arch) ?? null;
}

/**
 * Where a stored value comes from: a published table (replay), an emulator (emulated), hardware the device profile
 * does not describe (forced-device: `zeronas-agent --force-device`) or the device (measured). Measurements from
 * agents older than the forcedDevice field carry none: measured.
 */
type ValueSource = 'replay' | 'emulated' | 'forced-device' | 'measured';
function sourceOf(row: MeasurementRow): ValueSource {
  try {
    const m = JSON.parse(row.result_json) as { runtime?: { runtime?: string }; device?: { emulation?: string | null; forcedDevice?: string | null } };
    if (m.runtime?.runtime === 'replay') return 'replay';
    if (m.device?.emulation) return 'emulated';
    return m.device?.forcedDevice ? 'forced-device' : 'measured';
  } catch {
    return 'measured';
  }
}

/** The label of values from several sources: the least trustworthy one present. */
const SOURCE_PRECEDENCE: ValueSource[] = ['replay', 'emulated', 'forced-device', 'measured'];

export function runResults(runDir: string): ResultsTable {
  const dir = resolve(runDir);
  const paths = runPaths(dir);
  if (!existsSync(paths.config) || !existsSync(paths.store)) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `'${dir}' is not a run folder (no config.json and store.sqlite); a run folder is what orchestrate writes, e.g. runs/<id>`, { path: dir });
  }
  const config = readJson<OrchestrateConfig>(paths.config);
  const store = new Store(paths.store);
  let rows: MeasurementRow[];
  try {
    rows = store.measurementsOfRunFamily(config.runId);
  } finally {
    store.close();
  }
  const prefix = datasetPrefix(config.space);
  const targets = [...new Set([...config.targets, ...rows.map((r) => r.target)])];
  const byArch = new Map<string, Map<string, MeasurementRow[]>>();
  for (const r of rows) {
    const perTarget = byArch.get(r.arch) ?? new Map<string, MeasurementRow[]>();
    perTarget.set(r.target, [...(perTarget.get(r.target) ?? []), r]);
    byArch.set(r.arch, perTarget);
  }
  const hasEnergy = new Set(rows.filter((r) => r.energy_j !== null).map((r) => r.target));
  const columns = ['index', 'arch_str'];
  for (const t of targets) {
    const c = `${prefix}_${deviceColumn(t)}`;
    columns.push(`${c}_latency`, ...(hasEnergy.has(t) ? [`${c}_energy`] : []), `${c}_n`, `${c}_source`);
  }
  const out: (string | number | null)[][] = [];
  for (const [arch, perTarget] of [...byArch].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const row: (string | number | null)[] = [config.space === 'nb201' ? nb201IndexOf(arch) : null, arch];
    for (const t of targets) {
      const ms = perTarget.get(t) ?? [];
      const lat = ms.map((m) => m.latency_median_ms).filter((v): v is number => v !== null);
      const energy = ms.map((m) => m.energy_j).filter((v): v is number => v !== null);
      row.push(lat.length ? significant(median(lat)) : null);
      if (hasEnergy.has(t)) row.push(energy.length ? significant(median(energy) * 1000) : null);
      const sources = new Set(ms.map(sourceOf));
      row.push(ms.length, ms.length ? SOURCE_PRECEDENCE.find((s) => sources.has(s))! : null);
    }
    out.push(row);
  }
  return { runId: config.runId, space: config.space, columns, rows: out };
}

/**
 * Nine significant digits: drops binary noise such as J → mJ's 0.4818489999997837 and keeps far more than a timer
 * resolves (a nanosecond on a 1 s model).
 */
function significant(v: number): number {
  return Number(v.toPrecision(9));
}

/** The table as CSV (empty fields for missing values). */
export function toCsv(table: Pick<ResultsTable, 'columns' | 'rows'>): string {
  return [table.columns, ...table.rows].map((r) => r.map((v) => (v === null ? '' : csvField(v))).join(',')).join('\n') + '\n';
}

export interface FleetAgent {
  id: string;
  name: string;
  profile: string | null;
  cpu: string | null;
  runtimes: string[];
  connected: boolean;
  lastSeen: string;
  measurements: number;
  /** The latest measurement; `runId` is the run's folder id (a verification round's `<id>.verify-<r>` is named in `stage`). */
  last: { target: string; arch: string; latencyMs: number | null; at: string; runId: string; stage: string } | null;
  /** The run folders whose stores know this agent. */
  runs: string[];
}

/** `<id>.verify-1` → run `<id>`, stage `verify-1`; a loop measurement's stage is `measure`. */
function runAndStage(runId: string): { runId: string; stage: string } {
  const dot = runId.lastIndexOf('.');
  return dot > 0 && /^verify-\d+$/.test(runId.slice(dot + 1)) ? { runId: runId.slice(0, dot), stage: runId.slice(dot + 1) } : { runId, stage: 'measure' };
}

export function runFleet(roots: string[]): FleetAgent[] {
  const agents = new Map<string, FleetAgent & { lastSeenMs: number; lastAtMs: number }>();
  for (const folder of roots.flatMap((root) => storeFoldersUnder(root))) {
    const store = new Store(join(folder, 'store.sqlite'));
    try {
      const activity = new Map(store.agentActivity().map((a) => [a.agentId, a]));
      for (const a of store.agents()) {
        const d = a.descriptor as { profile?: string | null; cpu?: { model?: string }; runtimes?: { runtime: string; isAvailable: boolean; version?: string | null }[] };
        const act = activity.get(a.id);
        const prev = agents.get(a.id);
        const isNewer = !prev || a.last_seen_ms >= prev.lastSeenMs;
        const lastRow = act?.last ?? null;
        const entry = prev ?? {
          id: a.id,
          name: a.name,
          profile: null,
          cpu: null,
          runtimes: [],
          connected: false,
          lastSeen: '',
          lastSeenMs: 0,
          measurements: 0,
          last: null,
          lastAtMs: 0,
          runs: [],
        };
        if (isNewer) {
          entry.profile = d.profile ?? null;
          entry.cpu = d.cpu?.model ?? null;
          entry.runtimes = (d.runtimes ?? []).filter((r) => r.isAvailable).map((r) => `${r.runtime}${r.version ? ` ${r.version}` : ''}`);
          entry.connected = a.connected;
          entry.lastSeenMs = a.last_seen_ms;
          entry.lastSeen = new Date(a.last_seen_ms).toISOString();
        }
        entry.measurements += act?.count ?? 0;
        if (lastRow && lastRow.received_ms >= entry.lastAtMs) {
          entry.lastAtMs = lastRow.received_ms;
          entry.last = { target: lastRow.target, arch: lastRow.arch, latencyMs: lastRow.latency_median_ms, at: new Date(lastRow.received_ms).toISOString(), ...runAndStage(lastRow.run_id) };
        }
        entry.runs.push(folder);
        agents.set(a.id, entry);
      }
    } finally {
      store.close();
    }
  }
  return [...agents.values()]
    .sort((a, b) => b.lastSeenMs - a.lastSeenMs)
    .map(({ lastSeenMs: _s, lastAtMs: _a, ...rest }) => rest);
}

/**
 * The run's durable state in SQLite (better-sqlite3 v12; v13 needs Node 22). One file per run folder, so a run
 * folder is self-contained and `--resume runs/<id>` reopens exactly what was there. WAL mode: readers (the
 * dashboard) never block the scheduler, and a crash loses at most the transaction in flight.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { ZeronasError } from '../../shared/errors.js';

export type JobState = 'queued' | 'leased' | 'done' | 'failed';

export interface JobRow {
  id: number;
  run_id: string;
  target: string;
  kind: string;
  arch: string;
  model_sha256: string;
  settings_json: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  lease_agent: string | null;
  lease_token: string | null;
  lease_expires_ms: number | null;
  not_before_ms: number;
  leased_at_ms: number | null;
  created_ms: number;
  dedupe_key: string;
  last_error: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agents (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, descriptor_json TEXT NOT NULL,
  first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL, connected INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS models (
  sha256 TEXT PRIMARY KEY, bytes BLOB NOT NULL, size INTEGER NOT NULL, arch TEXT, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL,
  arch TEXT NOT NULL, model_sha256 TEXT NOT NULL REFERENCES models(sha256), settings_json TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued','leased','done','failed')),
  attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
  lease_agent TEXT, lease_token TEXT, lease_expires_ms INTEGER, leased_at_ms INTEGER,
  not_before_ms INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, dedupe_key TEXT NOT NULL UNIQUE,
  last_error TEXT);
CREATE INDEX IF NOT EXISTS jobs_state_target ON jobs(state, target, not_before_ms);
CREATE TABLE IF NOT EXISTS measurements (
  id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL UNIQUE REFERENCES jobs(id), run_id TEXT NOT NULL,
  target TEXT NOT NULL, agent_id TEXT NOT NULL, arch TEXT NOT NULL, model_sha256 TEXT NOT NULL,
  latency_median_ms REAL, energy_j REAL, result_json TEXT NOT NULL, offered_ms INTEGER, received_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS proxy_scores (
  space TEXT NOT NULL, arch TEXT NOT NULL, proxy TEXT NOT NULL, settings_key TEXT NOT NULL,
  ok INTEGER NOT NULL, value REAL, reason TEXT, seconds REAL, created_ms INTEGER NOT NULL,
  PRIMARY KEY (space, arch, proxy, settings_key));
CREATE TABLE IF NOT EXISTS lookup_tables (
  id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, fingerprint TEXT NOT NULL, runtime_version TEXT NOT NULL,
  table_json TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS search_runs (
  id TEXT PRIMARY KEY, algo TEXT NOT NULL, state_json TEXT NOT NULL, updated_ms INTEGER NOT NULL);
`;

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export class Store {
  readonly db: Database.Database;

  constructor(readonly path: string) {
    try {
      this.db = new Database(path);
    } catch (err) {
      throw new ZeronasError('ZN_IO', `cannot open the run store '${path}': ${(err as Error).message}`, { path }, err);
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Stores a model by content address; storing the same bytes twice is a no-op. */
  putModel(bytes: Uint8Array, arch?: string): string {
    const sha = sha256Hex(bytes);
    this.db
      .prepare('INSERT OR IGNORE INTO models(sha256, bytes, size, arch, created_ms) VALUES (?, ?, ?, ?, ?)')
      .run(sha, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes.length, arch ?? null, Date.now());
    return sha;
  }

  getModel(sha256: string): Uint8Array | undefined {
    const row = this.db.prepare('SELECT bytes FROM models WHERE sha256 = ?').get(sha256) as { bytes: Buffer } | undefined;
    return row ? new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength) : undefined;
  }

  upsertAgent(id: string, name: string, descriptor: unknown, connected: boolean): void {
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO agents(id, name, descriptor_json, first_seen_ms, last_seen_ms, connected) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, descriptor_json = excluded.descriptor_json,
           last_seen_ms = excluded.last_seen_ms, connected = excluded.connected`,
      )
      .run(id, name, JSON.stringify(descriptor), now, now, connected ? 1 : 0);
  }

  setAgentConnected(id: string, connected: boolean): void {
    this.db.prepare('UPDATE agents SET connected = ?, last_seen_ms = ? WHERE id = ?').run(connected ? 1 : 0, Date.now(), id);
  }

  agents(): { id: string; name: string; descriptor: unknown; connected: boolean; last_seen_ms: number }[] {
    return (this.db.prepare('SELECT * FROM agents ORDER BY first_seen_ms').all() as Record<string, unknown>[]).map((r) => ({
      id: r.id as string,
      name: r.name as string,
      descriptor: JSON.parse(r.descriptor_json as string),
      connected: r.connected === 1,
      last_seen_ms: r.last_seen_ms as number,
    }));
  }

  getProxyScore(space: string, arch: string, proxy: string, settingsKey: string): { ok: boolean; value: number | null; reason: string | null } | undefined {
    const row = this.db
      .prepare('SELECT ok, value, reason FROM proxy_scores WHERE space = ? AND arch = ? AND proxy = ? AND settings_key = ?')
      .get(space, arch, proxy, settingsKey) as { ok: number; value: number | null; reason: string | null } | undefined;
    return row ? { ok: row.ok === 1, value: row.value, reason: row.reason } : undefined;
  }

  putProxyScore(space: string, arch: string, proxy: string, settingsKey: string, result: { ok: boolean; value?: number; reason?: string; seconds?: number }): void {
    // SQLite stores -Infinity as a REAL fine; NaN becomes NULL, so failures are kept as ok = 0 with a reason.
    this.db
      .prepare(
        `INSERT OR REPLACE INTO proxy_scores(space, arch, proxy, settings_key, ok, value, reason, seconds, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(space, arch, proxy, settingsKey, result.ok ? 1 : 0, result.value ?? null, result.reason ?? null, result.seconds ?? null, Date.now());
  }

  measurements(runId: string, target?: string): MeasurementRow[] {
    const sql = `SELECT * FROM measurements WHERE run_id = ?${target ? ' AND target = ?' : ''} ORDER BY id`;
    const rows = (target ? this.db.prepare(sql).all(runId, target) : this.db.prepare(sql).all(runId)) as MeasurementRow[];
    return rows;
  }

  /** Measurements of a run and of its verification rounds (runs `<runId>.verify-<r>`), oldest first. */
  measurementsOfRunFamily(runId: string): MeasurementRow[] {
    return this.db
      .prepare(`SELECT * FROM measurements WHERE run_id = ? OR substr(run_id, 1, ?) = ? ORDER BY id`)
      .all(runId, runId.length + 8, `${runId}.verify-`) as MeasurementRow[];
  }

  /** Per agent: how many measurements it made and its latest one (null when none). */
  agentActivity(): { agentId: string; count: number; last: MeasurementRow | null }[] {
    const rows = this.db
      .prepare(
        `SELECT a.id AS agent_id, COUNT(m.id) AS n, MAX(m.id) AS last_id FROM agents a LEFT JOIN measurements m ON m.agent_id = a.id GROUP BY a.id`,
      )
      .all() as { agent_id: string; n: number; last_id: number | null }[];
    const byId = this.db.prepare('SELECT * FROM measurements WHERE id = ?');
    return rows.map((r) => ({ agentId: r.agent_id, count: r.n, last: r.last_id === null ? null : (byId.get(r.last_id) as MeasurementRow) }));
  }

  putSearchState(id: string, algo: string, state: unknown): void {
    this.db
      .prepare('INSERT OR REPLACE INTO search_runs(id, algo, state_json, updated_ms) VALUES (?, ?, ?, ?)')
      .run(id, algo, JSON.stringify(state), Date.now());
  }

  getSearchState<T>(id: string): T | undefined {
    const row = this.db.prepare('SELECT state_json FROM search_runs WHERE id = ?').get(id) as { state_json: string } | undefined;
    return row ? (JSON.parse(row.state_json) as T) : undefined;
  }
}

export interface MeasurementRow {
  id: number;
  job_id: number;
  run_id: string;
  target: string;
  agent_id: string;
  arch: string;
  model_sha256: string;
  latency_median_ms: number | null;
  energy_j: number | null;
  result_json: string;
  offered_ms: number | null;
  received_ms: number;
}

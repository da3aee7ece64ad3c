/**
 * The live fleet view of a running host, for `zeronas fleet --host <url>` (host/workflows/liveFleet.ts):
 *   GET /fleet   with `Authorization: Bearer <host token>`: the agents this host knows right now, as JSON
 * "Knows" is the run store's agents table (every agent that connected to this run, including before a resume) merged
 * with the server's live map (state, current job, heartbeats). Only the host token opens it (compared in constant
 * time): a paired browser's token is for measuring, not for reading the fleet. The answer carries no secret: no
 * token, no lease token, no pairing code, not the agents' full descriptors (only the fields listed in LiveFleetAgent).
 * The token travels in a header, never in the address, so it stays out of logs and proxies' access lines.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LogBudget } from './admission.js';
import type { HostServer } from './server.js';
import type { MeasurementRow, Store } from './store.js';
import { tokensEqual } from './token.js';

export const FLEET_PATH = '/fleet';
export const FLEET_VIEW_VERSION = 1;
/** Latest results listed per agent. */
const LAST_RESULTS = 3;

export interface LiveFleetResult {
  runId: string;
  target: string;
  arch: string;
  latencyMs: number | null;
  energyMJ: number | null;
  /** `measured`, or `replay` for a replay agent (a published table's value, not a timing). */
  source: 'measured' | 'replay';
  runtime: string | null;
  at: string;
}

export interface LiveFleetAgent {
  id: string;
  name: string;
  profile: string | null;
  environment: string | null;
  cpu: string | null;
  cores: number | null;
  /** Runtimes the agent reported available, `<runtime> <version>`. */
  runtimes: string[];
  /** Connected to this host now (the server's live map, not the store's flag). */
  isLive: boolean;
  /** idle/busy while live; `disconnected` otherwise. */
  state: 'idle' | 'busy' | 'disconnected';
  /** The job it is measuring now. */
  currentJob: { target: string; arch: string } | null;
  connectedAt: string | null;
  lastSeen: string;
  lastSeenAgoMs: number;
  /** Measurements of this agent in the host's store (all runs of the store, verification rounds included). */
  measurements: number;
  /** Newest first. */
  lastResults: LiveFleetResult[];
}

export interface LiveFleet {
  fleetView: typeof FLEET_VIEW_VERSION;
  now: string;
  /** The run ids in the host's store (normally one run and its verification rounds). */
  runs: string[];
  agents: LiveFleetAgent[];
}

interface StoredDescriptor {
  profile?: string | null;
  environment?: string;
  cpu?: { model?: string; cores?: number };
  runtimes?: { runtime: string; isAvailable: boolean; version?: string | null }[];
}

function resultOf(row: MeasurementRow): LiveFleetResult {
  let runtime: string | null = null;
  let isReplay = false;
  try {
    const r = (JSON.parse(row.result_json) as { runtime?: { runtime?: string; version?: string } }).runtime;
    if (r?.runtime) runtime = `${r.runtime}${r.version ? ` ${r.version}` : ''}`;
    isReplay = r?.runtime === 'replay';
  } catch {
    // A result the store holds but cannot parse still has its columns.
  }
  return {
    runId: row.run_id,
    target: row.target,
    arch: row.arch,
    latencyMs: row.latency_median_ms,
    energyMJ: row.energy_j === null ? null : row.energy_j * 1000,
    source: isReplay ? 'replay' : 'measured',
    runtime,
    at: new Date(row.received_ms).toISOString(),
  };
}

/** The fleet as the host knows it at `now`: stored agents merged with the live ones, most recently seen first. */
export function fleetSnapshot(server: Pick<HostServer, 'agents'>, store: Store, now = Date.now()): LiveFleet {
  const db = store.db;
  const counts = new Map((db.prepare('SELECT agent_id, COUNT(*) AS n FROM measurements GROUP BY agent_id').all() as { agent_id: string; n: number }[]).map((r) => [r.agent_id, r.n]));
  const latest = db.prepare('SELECT * FROM measurements WHERE agent_id = ? ORDER BY id DESC LIMIT ?');
  const jobOf = db.prepare('SELECT target, arch FROM jobs WHERE id = ?');
  const stored = new Map(store.agents().map((a) => [a.id, a]));
  const ids = new Set([...stored.keys(), ...server.agents.keys()]);
  const agents: LiveFleetAgent[] = [...ids].map((id) => {
    const live = server.agents.get(id);
    const row = stored.get(id);
    const d = (live?.device ?? row?.descriptor ?? {}) as StoredDescriptor;
    const lastSeenMs = live?.lastSeen ?? row?.last_seen_ms ?? 0;
    const jobRowId = live?.jobId ? Number(live.jobId.split('.')[0]) : NaN;
    const job = Number.isFinite(jobRowId) ? (jobOf.get(jobRowId) as { target: string; arch: string } | undefined) : undefined;
    return {
      id,
      name: live?.device.name ?? row?.name ?? id,
      profile: d.profile ?? null,
      environment: d.environment ?? null,
      cpu: d.cpu?.model ?? null,
      cores: d.cpu?.cores ?? null,
      runtimes: (d.runtimes ?? []).filter((r) => r.isAvailable).map((r) => `${r.runtime}${r.version ? ` ${r.version}` : ''}`),
      isLive: live !== undefined,
      state: live ? live.state : 'disconnected',
      currentJob: job ? { target: job.target, arch: job.arch } : null,
      connectedAt: live ? new Date(live.connectedAt).toISOString() : null,
      lastSeen: new Date(lastSeenMs).toISOString(),
      lastSeenAgoMs: Math.max(0, now - lastSeenMs),
      measurements: counts.get(id) ?? 0,
      lastResults: (latest.all(id, LAST_RESULTS) as MeasurementRow[]).map(resultOf),
    };
  });
  agents.sort((a, b) => Number(b.isLive) - Number(a.isLive) || a.lastSeenAgoMs - b.lastSeenAgoMs || (a.id < b.id ? -1 : 1));
  const runs = (db.prepare('SELECT DISTINCT run_id FROM jobs ORDER BY run_id').all() as { run_id: string }[]).map((r) => r.run_id);
  return { fleetView: FLEET_VIEW_VERSION, now: new Date(now).toISOString(), runs, agents };
}

/** The bearer token of a request, or undefined. */
function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(text);
}

/** Serves GET /fleet on `server`, for the host token only. */
export function openFleetView(server: HostServer, options: { token: string; store: Store; log: (line: string) => void }): void {
  // Refusals are logged, within a budget per address: a stranger cannot fill the run's log through this door either.
  const refusals = new LogBudget(options.log);
  server.route((req, res, url) => {
    if (url.pathname !== FLEET_PATH) return false;
    if (req.method !== 'GET') {
      sendJson(res, 405, { code: 'ZN_BAD_ARGUMENT', message: `${req.method ?? ''} ${FLEET_PATH}: only GET` }, { allow: 'GET' });
      return true;
    }
    const presented = bearer(req);
    if (!tokensEqual(presented, options.token)) {
      const address = req.socket.remoteAddress ?? 'unknown';
      refusals.log(address, `fleet view: refused ${presented === undefined ? 'a request without a token' : 'a wrong token'} from ${address}`);
      sendJson(res, 401, { code: 'ZN_AUTH', message: 'the fleet view needs this host\'s token: Authorization: Bearer <zeronas token on the host>' }, { 'www-authenticate': 'Bearer realm="zeronas"' });
      return true;
    }
    sendJson(res, 200, fleetSnapshot(server, options.store));
    return true;
  });
}

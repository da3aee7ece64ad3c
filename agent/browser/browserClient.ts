/**
 * The page's client: the shared protocol session (agent/session/agentSession.ts, the Node agent's too) over the
 * browser's WebSocket (browserTransport.ts). hello (paired token + descriptor) -> welcome -> heartbeats; one job at a
 * time; model bytes arrive as binary model-chunk frames, are checked (job, order, size cap, sha256 with the page's
 * own sha256.ts) and kept in a small in-memory cache; the measurement itself runs in the page's worker.
 *
 * Differences from the Node agent, all forced by the browser: the WebSocket API has no ping, so liveness is the
 * heartbeat message (the host drops a silent page after HEARTBEAT_TIMEOUT_MS); a refused token ends the session
 * (the page pairs again); and a page can be hidden, where browsers throttle timers, so `suspend()` abandons the
 * running job with a `rejected` result (ZN_PAGE_HIDDEN) and closes the socket: the host requeues the job and offers
 * nothing more until `resume()` reconnects.
 */
import { RECONNECT_BASE_MS, RECONNECT_MAX_MS } from '../../shared/protocol/limits.js';
import type { DeviceDescriptor, JobOfferMessage, ResultMessage } from '../../shared/protocol/messages.js';
import { backoffDelayMs as sessionBackoffDelayMs } from '../session/backoff.js';
import { AgentSession, type ModelStore, type SessionState } from '../session/agentSession.js';
import { browserWebSocketTransport } from './browserTransport.js';
import { sha256Hex } from './sha256.js';
import type { MeasureOutcome } from './workerProtocol.js';

export const BROWSER_AGENT_VERSION = '0.1.0';

/** Models kept in page memory for re-measurement after a reconnect (they are small: NB201 cells are < 2 MB). */
export const MODEL_CACHE_BYTES = 64 * 1024 * 1024;

export interface MeasurementHandle {
  readonly done: Promise<MeasureOutcome>;
  cancel(): void;
}

export type ConnectionState = SessionState;

export interface ClientEvents {
  state(state: ConnectionState, detail: string): void;
  job(job: { jobId: string; label: string; phase: 'transfer' | 'measuring' } | null): void;
  result(result: ResultMessage): void;
}

export interface BrowserClientOptions {
  wsUrl: string;
  token: string;
  descriptor: () => DeviceDescriptor;
  maxModelBytes: number;
  /** Resolves and checks an offer; throws a ZeronasError to reject it. Returns the starter of its measurement. */
  prepareJob: (offer: JobOfferMessage) => (modelBytes: Uint8Array) => MeasurementHandle;
  events: ClientEvents;
  log: (line: string) => void;
}

/** The session's backoff with the protocol's defaults. */
export function backoffDelayMs(attempt: number, baseMs = RECONNECT_BASE_MS, maxMs = RECONNECT_MAX_MS, random = Math.random): number {
  return sessionBackoffDelayMs(attempt, baseMs, maxMs, random);
}

/** Models in page memory, oldest evicted first past MODEL_CACHE_BYTES. */
export function memoryModelStore(maxBytes = MODEL_CACHE_BYTES): ModelStore<Uint8Array> {
  const models = new Map<string, Uint8Array>();
  return {
    list: () => Promise.resolve([...models.keys()]),
    find: (sha256) => Promise.resolve(models.get(sha256) ?? null),
    keep: (sha256, bytes) => {
      models.set(sha256, bytes);
      let total = 0;
      for (const b of models.values()) total += b.byteLength;
      for (const [key, b] of models) {
        if (total <= maxBytes) break;
        models.delete(key); // Map keeps insertion order: the oldest goes first.
        total -= b.byteLength;
      }
      return Promise.resolve(bytes);
    },
  };
}

export class BrowserAgentClient {
  private readonly session: AgentSession<Uint8Array>;

  constructor(options: BrowserClientOptions) {
    this.session = new AgentSession<Uint8Array>({
      connect: browserWebSocketTransport(options.wsUrl),
      hostUrl: options.wsUrl,
      token: options.token,
      agentVersion: BROWSER_AGENT_VERSION,
      descriptor: options.descriptor,
      models: memoryModelStore(),
      maxModelBytes: options.maxModelBytes,
      selfName: 'page',
      prepareJob: (offer) => {
        const start = options.prepareJob(offer);
        // The worker gets its own copy (transferred to it), so the cached bytes stay usable here.
        return (bytes) => start(bytes!.slice());
      },
      sha256Hex,
      isAuthRefusalFinal: true,
      log: options.log,
      events: options.events,
    });
  }

  /** The id the host filed this page under, once welcomed. */
  get agentId(): string | null {
    return this.session.agentId;
  }

  start(): void {
    this.session.start();
  }

  /** Page hidden or frozen: abandon the job (the host requeues it) and leave the pool until resume(). */
  suspend(reason: string): void {
    this.session.suspend(reason, {
      code: 'ZN_PAGE_HIDDEN',
      message: `job abandoned: ${reason}; browsers throttle hidden pages, so its timings would be wrong`,
    });
  }

  resume(): void {
    this.session.resume();
  }
}

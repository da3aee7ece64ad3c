/**
 * The page's WebSocket client: protocol v1 exactly as the Node agent speaks it (shared/protocol/messages.ts), over
 * the browser's WebSocket. hello (paired token + descriptor) -> welcome -> heartbeats; one job at a time (offers
 * while busy: ZN_AGENT_BUSY); model bytes arrive as binary model-chunk frames, are checked (job, order, size cap,
 * sha256) and kept in a small in-memory cache; the measurement itself runs in the page's worker.
 *
 * Differences from the Node agent, both forced by the browser: the WebSocket API has no ping, so liveness is the
 * heartbeat message (the host drops a silent page after HEARTBEAT_TIMEOUT_MS); and a page can be hidden, where
 * browsers throttle timers, so `suspend()` abandons the running job with a `rejected` result (ZN_PAGE_HIDDEN) and
 * closes the socket: the host requeues the job and offers nothing more until `resume()` reconnects.
 */
import { ZeronasError } from '../../shared/errors.js';
import { CLOSE_CODES, decodeHostFrame, encodeMessage, errorMessageFor } from '../../shared/protocol/codec.js';
import {
  HEARTBEAT_MS,
  MODEL_TRANSFER_IDLE_MS,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
} from '../../shared/protocol/limits.js';
import type {
  AgentToHostMessage,
  DeviceDescriptor,
  JobOfferMessage,
  ModelChunkHeader,
  ResultMessage,
  WireError,
} from '../../shared/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.js';
import { sha256Hex } from './sha256.js';
import type { MeasureOutcome } from './workerProtocol.js';

export const BROWSER_AGENT_VERSION = '0.1.0';

/** Models kept in page memory for re-measurement after a reconnect (they are small: NB201 cells are < 2 MB). */
export const MODEL_CACHE_BYTES = 64 * 1024 * 1024;

export interface MeasurementHandle {
  readonly done: Promise<MeasureOutcome>;
  cancel(): void;
}

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'suspended' | 'refused';

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

/** delay = min(max, base * 2^attempt), then uniform in [delay/2, delay] (as the Node agent, agent/client.ts). */
export function backoffDelayMs(attempt: number, baseMs = RECONNECT_BASE_MS, maxMs = RECONNECT_MAX_MS, random = Math.random): number {
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return delay / 2 + random() * (delay / 2);
}

interface CurrentJob {
  offer: JobOfferMessage;
  phase: 'transfer' | 'measuring';
  buffer: Uint8Array | null;
  receivedBytes: number;
  transferTimer: ReturnType<typeof setTimeout> | null;
  handle: MeasurementHandle | null;
  starter: (modelBytes: Uint8Array) => MeasurementHandle;
  isAbandoned: boolean;
}

export class BrowserAgentClient {
  private ws: WebSocket | null = null;
  private isStopped = false;
  private isSuspended = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private isWelcomed = false;
  private current: CurrentJob | null = null;
  private readonly pendingResults: ResultMessage[] = [];
  private readonly cache = new Map<string, Uint8Array>();
  agentId: string | null = null;

  constructor(private readonly options: BrowserClientOptions) {}

  start(): void {
    this.connect();
  }

  /** Page hidden or frozen: abandon the job (the host requeues it) and leave the pool until resume(). */
  suspend(reason: string): void {
    if (this.isSuspended || this.isStopped) return;
    this.isSuspended = true;
    const job = this.current;
    if (job) {
      job.isAbandoned = true;
      job.handle?.cancel();
      if (job.transferTimer) clearTimeout(job.transferTimer);
      this.current = null;
      this.options.events.job(null);
      this.reject(job.offer.jobId, { code: 'ZN_PAGE_HIDDEN', message: `job abandoned: ${reason}; browsers throttle hidden pages, so its timings would be wrong` });
    }
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    this.isWelcomed = false;
    this.ws?.close(CLOSE_CODES.goingAway, 'page hidden');
    this.options.events.state('suspended', reason);
  }

  resume(): void {
    if (!this.isSuspended || this.isStopped) return;
    this.isSuspended = false;
    this.attempt = 0;
    this.connect();
  }

  private connect(): void {
    if (this.isStopped || this.isSuspended) return;
    const { log, events } = this.options;
    events.state('connecting', this.options.wsUrl);
    const ws = new WebSocket(this.options.wsUrl);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.isWelcomed = false;
    ws.onopen = () => {
      log(`connected to ${this.options.wsUrl}`);
      this.send({
        v: PROTOCOL_VERSION,
        type: 'hello',
        token: this.options.token,
        agentVersion: BROWSER_AGENT_VERSION,
        device: this.options.descriptor(),
        capabilities: { maxModelBytes: this.options.maxModelBytes, maxInflightJobs: 1, cachedModels: [...this.cache.keys()] },
      });
    };
    ws.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      const data = event.data;
      this.onFrame(typeof data === 'string' ? data : new Uint8Array(data), typeof data !== 'string');
    };
    ws.onerror = () => log('connection error');
    ws.onclose = (event) => {
      this.stopHeartbeat();
      if (this.ws === ws) this.ws = null;
      const job = this.current;
      if (job?.phase === 'transfer') this.failJob(job, { code: 'ZN_PROTOCOL_SEQUENCE', message: 'connection closed during model transfer' });
      if (this.isSuspended || this.isStopped) return;
      if (event.code === CLOSE_CODES.auth) {
        this.isStopped = true;
        events.state('refused', `the host refused this page's token (${event.reason || 'auth'}); pair again with a new code`);
        return;
      }
      const delay = backoffDelayMs(this.attempt++);
      events.state('disconnected', `code ${event.code}${event.reason ? `, ${event.reason}` : ''}; reconnecting in ${Math.round(delay)} ms`);
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    };
  }

  private send(message: AgentToHostMessage): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(encodeMessage(message));
    return true;
  }

  private sendResult(result: ResultMessage): void {
    this.options.events.result(result);
    if (!this.isWelcomed || !this.send(result)) {
      this.options.log(`result for job '${result.jobId}' kept until the host is reachable again`);
      this.pendingResults.push(result);
    }
  }

  private startHeartbeat(intervalMs: number): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      this.send({
        v: PROTOCOL_VERSION,
        type: 'heartbeat',
        sentAt: new Date().toISOString(),
        state: this.current ? 'busy' : 'idle',
        jobId: this.current?.offer.jobId ?? null,
      });
    }, intervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private onFrame(data: string | Uint8Array, isBinary: boolean): void {
    // A suspended page is leaving: frames still in flight (e.g. an offer) are left to the host's requeue.
    if (this.isSuspended) return;
    const decoded = decodeHostFrame(data, isBinary);
    if (!decoded.ok) {
      const f = decoded.failure;
      this.options.log(`rejected frame from host: ${f.code}: ${f.message}`);
      this.send(errorMessageFor(f, null));
      if (f.closeCode !== null) this.ws?.close(f.closeCode, f.code);
      return;
    }
    const frame = decoded.value;
    if (frame.kind === 'model-chunk') return this.onChunk(frame.header, frame.payload);
    const message = frame.message;
    switch (message.type) {
      case 'welcome':
        this.isWelcomed = true;
        this.attempt = 0;
        this.agentId = message.agentId;
        this.options.events.state('connected', message.agentId);
        this.startHeartbeat(message.heartbeatMs ?? HEARTBEAT_MS);
        for (const r of this.pendingResults.splice(0)) this.sendResult(r);
        return;
      case 'job-offer':
        return this.onOffer(message);
      case 'cancel':
        return this.onCancel(message.jobId, message.reason);
      case 'error':
        this.options.log(`host reported ${message.error.code}: ${message.error.message}${message.jobId ? ` (job ${message.jobId})` : ''}`);
        return;
    }
  }

  private reject(jobId: string, error: WireError): void {
    this.options.log(`rejected job '${jobId}': ${error.code}: ${error.message}`);
    this.sendResult({ v: PROTOCOL_VERSION, type: 'result', jobId, status: 'rejected', error });
  }

  private onOffer(offer: JobOfferMessage): void {
    if (!this.isWelcomed) {
      this.send(errorMessageFor({ code: 'ZN_PROTOCOL_SEQUENCE', message: 'job-offer before welcome', details: {} }, offer.jobId));
      return;
    }
    if (this.current) {
      return this.reject(offer.jobId, { code: 'ZN_AGENT_BUSY', message: `agent is busy with job '${this.current.offer.jobId}' (one measurement at a time)` });
    }
    if (offer.model.sizeBytes > this.options.maxModelBytes) {
      return this.reject(offer.jobId, {
        code: 'ZN_PAYLOAD_TOO_LARGE',
        message: `offered model of ${offer.model.sizeBytes} bytes exceeds this page's cap of ${this.options.maxModelBytes} bytes`,
        details: { sizeBytes: offer.model.sizeBytes, maxModelBytes: this.options.maxModelBytes },
      });
    }
    let starter: CurrentJob['starter'];
    try {
      starter = this.options.prepareJob(offer);
    } catch (err) {
      const e = err instanceof ZeronasError ? err : new ZeronasError('ZN_BAD_ARGUMENT', (err as Error).message);
      return this.reject(offer.jobId, { code: e.code, message: e.message, details: e.details });
    }
    const job: CurrentJob = { offer, phase: 'transfer', buffer: null, receivedBytes: 0, transferTimer: null, handle: null, starter, isAbandoned: false };
    this.current = job;
    const cached = this.cache.get(offer.model.sha256);
    if (cached) {
      this.send({ v: PROTOCOL_VERSION, type: 'job-accept', jobId: offer.jobId, needsModel: false });
      this.runJob(job, cached);
      return;
    }
    job.buffer = new Uint8Array(offer.model.sizeBytes);
    this.armTransferTimer(job);
    this.options.events.job({ jobId: offer.jobId, label: offer.model.label ?? offer.model.sha256.slice(0, 12), phase: 'transfer' });
    this.send({ v: PROTOCOL_VERSION, type: 'job-accept', jobId: offer.jobId, needsModel: true });
  }

  private armTransferTimer(job: CurrentJob): void {
    if (job.transferTimer) clearTimeout(job.transferTimer);
    job.transferTimer = setTimeout(() => {
      if (this.current === job && job.phase === 'transfer') {
        this.failJob(job, { code: 'ZN_PROTOCOL_SEQUENCE', message: `no model-chunk for ${MODEL_TRANSFER_IDLE_MS} ms; transfer abandoned` });
      }
    }, MODEL_TRANSFER_IDLE_MS);
  }

  /** Same rules as agent/modelTransfer.ts: right job, contiguous offsets, never past the offered size, hash checked. */
  private onChunk(header: ModelChunkHeader, payload: Uint8Array): void {
    const job = this.current;
    if (!job || job.phase !== 'transfer' || !job.buffer || header.jobId !== job.offer.jobId || header.sha256 !== job.offer.model.sha256) {
      this.send(errorMessageFor({ code: 'ZN_PROTOCOL_SEQUENCE', message: `unexpected model-chunk for job '${header.jobId}': no transfer of that job in progress`, details: {} }, header.jobId));
      return;
    }
    if (header.offsetBytes !== job.receivedBytes) {
      return this.failJob(job, { code: 'ZN_PROTOCOL_SEQUENCE', message: `model-chunk offset ${header.offsetBytes}, expected ${job.receivedBytes} (chunks must be contiguous and in order)` });
    }
    const end = job.receivedBytes + payload.byteLength;
    if (end > job.buffer.byteLength) {
      return this.failJob(job, { code: 'ZN_PAYLOAD_TOO_LARGE', message: `model transfer reached ${end} bytes, more than the offered ${job.buffer.byteLength} bytes` });
    }
    job.buffer.set(payload, job.receivedBytes);
    job.receivedBytes = end;
    this.armTransferTimer(job);
    if (!header.isLast) return;
    if (job.transferTimer) clearTimeout(job.transferTimer);
    if (end !== job.buffer.byteLength) {
      return this.failJob(job, { code: 'ZN_PROTOCOL_SEQUENCE', message: `last model-chunk ends at ${end} bytes, the offer said ${job.buffer.byteLength}` });
    }
    const actual = sha256Hex(job.buffer);
    if (actual !== job.offer.model.sha256) {
      return this.failJob(job, { code: 'ZN_MODEL_HASH', message: `received model hashes to ${actual}, the offer said ${job.offer.model.sha256}`, details: { expected: job.offer.model.sha256, actual } });
    }
    this.remember(job.offer.model.sha256, job.buffer);
    const bytes = job.buffer;
    job.buffer = null;
    this.runJob(job, bytes);
  }

  private remember(sha256: string, bytes: Uint8Array): void {
    this.cache.set(sha256, bytes);
    let total = 0;
    for (const b of this.cache.values()) total += b.byteLength;
    for (const [key, b] of this.cache) {
      if (total <= MODEL_CACHE_BYTES) break;
      this.cache.delete(key); // Map keeps insertion order: the oldest goes first.
      total -= b.byteLength;
    }
  }

  private runJob(job: CurrentJob, bytes: Uint8Array): void {
    if (this.current !== job) return;
    job.phase = 'measuring';
    this.options.events.job({ jobId: job.offer.jobId, label: job.offer.model.label ?? job.offer.model.sha256.slice(0, 12), phase: 'measuring' });
    this.options.log(`job '${job.offer.jobId}': measuring`);
    // The worker gets its own copy (transferred), so the cached bytes stay usable here.
    const handle = job.starter(bytes.slice());
    job.handle = handle;
    void handle.done.then((outcome) => this.finishJob(job, outcome));
  }

  private finishJob(job: CurrentJob, outcome: MeasureOutcome): void {
    if (job.isAbandoned) return; // suspend() already answered for it
    if (this.current === job) {
      this.current = null;
      this.options.events.job(null);
    }
    const jobId = job.offer.jobId;
    if (outcome.status === 'ok') {
      this.options.log(`job '${jobId}': median ${outcome.measurement.latency.medianMs.toFixed(3)} ms over ${outcome.measurement.latency.n} runs`);
      this.sendResult({ v: PROTOCOL_VERSION, type: 'result', jobId, status: 'ok', measurement: outcome.measurement });
    } else if (outcome.status === 'failed') {
      this.options.log(`job '${jobId}' failed: ${outcome.error.code}: ${outcome.error.message}`);
      this.sendResult({ v: PROTOCOL_VERSION, type: 'result', jobId, status: 'failed', error: outcome.error });
    } else {
      this.sendResult({ v: PROTOCOL_VERSION, type: 'result', jobId, status: 'cancelled' });
    }
  }

  private failJob(job: CurrentJob, error: WireError): void {
    if (job.transferTimer) clearTimeout(job.transferTimer);
    if (this.current === job) {
      this.current = null;
      this.options.events.job(null);
    }
    this.options.log(`job '${job.offer.jobId}' failed: ${error.code}: ${error.message}`);
    this.sendResult({ v: PROTOCOL_VERSION, type: 'result', jobId: job.offer.jobId, status: 'failed', error });
  }

  private onCancel(jobId: string, reason: string): void {
    const job = this.current;
    if (!job || job.offer.jobId !== jobId) {
      this.send(errorMessageFor({ code: 'ZN_PROTOCOL_SEQUENCE', message: `cancel for job '${jobId}', which is not running here`, details: {} }, jobId));
      return;
    }
    this.options.log(`job '${jobId}' cancelled by host: ${reason}`);
    if (job.handle) {
      job.handle.cancel(); // finishJob sends the 'cancelled' result
    } else {
      if (job.transferTimer) clearTimeout(job.transferTimer);
      this.current = null;
      this.options.events.job(null);
      this.sendResult({ v: PROTOCOL_VERSION, type: 'result', jobId, status: 'cancelled' });
    }
  }
}

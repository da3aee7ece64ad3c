/**
 * The agent's WebSocket client (protocol flow in shared/protocol/messages.ts). Connects out to the host, sends
 * `hello`, heartbeats (message + ws ping) and drops a silent socket after HEARTBEAT_TIMEOUT_MS; reconnects with
 * exponential backoff and full jitter. Runs one job at a time: offers while busy are rejected with ZN_AGENT_BUSY.
 * Every frame is decoded by the codec; a malformed one is answered with a typed `error` and logged, never thrown.
 * Results produced while disconnected are kept and sent after the next `welcome`. An agent without a model cache
 * (a replay agent, agent/replay/) never needs model bytes: it accepts every offer with needsModel=false.
 */
import WebSocket from 'ws';
import { ZeronasError } from '../shared/errors.js';
import { CLOSE_CODES, decodeHostFrame, encodeMessage, errorMessageFor } from '../shared/protocol/codec.js';
import { presentedPin } from './hostPin.js';
import {
  HEARTBEAT_MS,
  HEARTBEAT_TIMEOUT_MS,
  MAX_MESSAGE_BYTES,
  MODEL_TRANSFER_IDLE_MS,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
} from '../shared/protocol/limits.js';
import type {
  AgentToHostMessage,
  DeviceDescriptor,
  JobOfferMessage,
  ModelChunkHeader,
  ResultMessage,
  WireError,
} from '../shared/protocol/messages.js';
import { PROTOCOL_VERSION } from '../shared/protocol/version.js';
import type { ModelCache } from './modelCache.js';
import { ModelTransfer } from './modelTransfer.js';
import { externalDataRefusal } from './onnxExternalData.js';
import type { MeasurementHandle, MeasureOutcome } from './measureWorker.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentClientOptions {
  hostUrl: string;
  token: string;
  descriptor: () => Promise<DeviceDescriptor>;
  /** Models on disk by sha256; null for an agent that answers without the model bytes (replay agents). */
  cache: ModelCache | null;
  maxModelBytes: number;
  /**
   * Checks and resolves an offer; throws a ZeronasError to reject it. Returns a starter for the measurement, which
   * gets the cached model's path (null when the agent has no cache).
   */
  prepareJob: (offer: JobOfferMessage) => JobStarter;
  log: (line: string) => void;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  random?: () => number;
  /** The host certificate's fingerprint (agent/hostPin.ts): only that certificate is accepted, CAs are not asked. */
  pin?: string | null;
  /** Called at the end of stop(), after the job in progress is cancelled (ends the warm measurement process). */
  onStopped?: () => Promise<void>;
}

/** delay = min(max, base * 2^attempt), then uniform in [delay/2, delay] (jitter spreads reconnect storms). */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return delay / 2 + random() * (delay / 2);
}

export type JobStarter = (modelPath: string | null) => MeasurementHandle;

interface CurrentJob {
  offer: JobOfferMessage;
  phase: 'transfer' | 'measuring';
  transfer: ModelTransfer | null;
  transferTimer: ReturnType<typeof setTimeout> | null;
  handle: MeasurementHandle | null;
  starter: JobStarter;
}

export class AgentClient {
  private ws: WebSocket | null = null;
  private isStopping = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private lastSeenMs = 0;
  private isWelcomed = false;
  private current: CurrentJob | null = null;
  private pendingResults: ResultMessage[] = [];

  constructor(private readonly options: AgentClientOptions) {}

  start(): void {
    this.connect();
  }

  /** Clean shutdown: cancels a running measurement, closes the socket with 1001. */
  async stop(): Promise<void> {
    this.isStopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    if (this.current?.handle) {
      this.current.handle.cancel();
      await this.current.handle.done;
    }
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(CLOSE_CODES.goingAway, 'agent shutting down');
        setTimeout(resolve, 2_000).unref();
      });
    } else ws?.terminate();
    await this.options.onStopped?.();
  }

  private connect(): void {
    const { log } = this.options;
    const pin = this.options.pin ?? null;
    const ws = new WebSocket(this.options.hostUrl, { maxPayload: MAX_MESSAGE_BYTES, handshakeTimeout: 10_000, ...(pin ? { rejectUnauthorized: false } : {}) });
    this.ws = ws;
    if (pin) {
      // Before 'open' (and so before hello carries the token): a certificate other than the pinned one ends it here.
      ws.on('upgrade', (res) => {
        const presented = presentedPin(res);
        if (presented !== pin) {
          log(`refusing the host at ${this.options.hostUrl}: its certificate is ${presented ?? 'missing'}, not the pinned ${pin} (another machine in the way, or the host's certificate was replaced: then use the --pin it prints)`);
          ws.terminate();
        }
      });
    }
    this.isWelcomed = false;
    ws.on('open', () => {
      log(`connected to ${this.options.hostUrl}`);
      this.lastSeenMs = Date.now();
      void this.sendHello();
    });
    ws.on('message', (data, isBinary) => {
      this.lastSeenMs = Date.now();
      this.onFrame(data as Buffer, isBinary);
    });
    ws.on('pong', () => {
      this.lastSeenMs = Date.now();
    });
    ws.on('error', (err) => log(`connection error: ${err.message}`));
    ws.on('close', (code, reason) => {
      this.stopHeartbeat();
      if (this.ws === ws) this.ws = null;
      this.abortTransfer('connection closed during model transfer');
      if (this.isStopping) return;
      const delay = backoffDelayMs(this.attempt++, this.options.reconnectBaseMs ?? RECONNECT_BASE_MS, this.options.reconnectMaxMs ?? RECONNECT_MAX_MS, this.options.random);
      log(`disconnected (code ${code}${reason.length ? `, ${reason.toString()}` : ''}); reconnecting in ${Math.round(delay)} ms`);
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
  }

  private async sendHello(): Promise<void> {
    const device = await this.options.descriptor();
    const cached = this.options.cache ? (await this.options.cache.list()).map((e) => e.sha256).slice(0, 10_000) : [];
    this.send({
      v: PROTOCOL_VERSION,
      type: 'hello',
      token: this.options.token,
      agentVersion: AGENT_VERSION,
      device,
      capabilities: { maxModelBytes: this.options.maxModelBytes, maxInflightJobs: 1, cachedModels: cached },
    });
  }

  private send(message: AgentToHostMessage): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(encodeMessage(message));
    return true;
  }

  private sendResult(result: ResultMessage): void {
    if (!this.isWelcomed || !this.send(result)) {
      this.options.log(`result for job '${result.jobId}' kept until the host is reachable again`);
      this.pendingResults.push(result);
    }
  }

  private sendError(err: { code: string; message: string; details?: Record<string, unknown> }, jobId: string | null): void {
    this.send(errorMessageFor({ code: err.code as never, message: err.message, details: err.details ?? {} }, jobId));
  }

  private startHeartbeat(intervalMs: number): void {
    this.stopHeartbeat();
    const timeoutMs = Math.max(HEARTBEAT_TIMEOUT_MS, 4 * intervalMs);
    this.heartbeatTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws) return;
      if (Date.now() - this.lastSeenMs > timeoutMs) {
        this.options.log(`host silent for more than ${timeoutMs} ms; dropping the connection`);
        ws.terminate();
        return;
      }
      this.send({
        v: PROTOCOL_VERSION,
        type: 'heartbeat',
        sentAt: new Date().toISOString(),
        state: this.current ? 'busy' : 'idle',
        jobId: this.current?.offer.jobId ?? null,
      });
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }, intervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    const decoded = decodeHostFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary);
    if (!decoded.ok) {
      const f = decoded.failure;
      this.options.log(`rejected frame from host: ${f.code}: ${f.message}`);
      this.sendError(f, null);
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
        this.options.log(`registered as '${message.agentId}'`);
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
      this.sendError({ code: 'ZN_PROTOCOL_SEQUENCE', message: 'job-offer before welcome' }, offer.jobId);
      return;
    }
    if (this.current) {
      return this.reject(offer.jobId, {
        code: 'ZN_AGENT_BUSY',
        message: `agent is busy with job '${this.current.offer.jobId}' (one measurement at a time)`,
      });
    }
    if (offer.model.sizeBytes > this.options.maxModelBytes) {
      return this.reject(offer.jobId, {
        code: 'ZN_PAYLOAD_TOO_LARGE',
        message: `offered model of ${offer.model.sizeBytes} bytes exceeds this agent's cap of ${this.options.maxModelBytes} bytes`,
        details: { sizeBytes: offer.model.sizeBytes, maxModelBytes: this.options.maxModelBytes },
      });
    }
    let starter: JobStarter;
    try {
      starter = this.options.prepareJob(offer);
    } catch (err) {
      const e = err instanceof ZeronasError ? err : new ZeronasError('ZN_BAD_ARGUMENT', (err as Error).message);
      return this.reject(offer.jobId, { code: e.code, message: e.message, details: e.details });
    }
    const job: CurrentJob = { offer, phase: 'transfer', transfer: null, transferTimer: null, handle: null, starter };
    this.current = job;
    const cache = this.options.cache;
    if (!cache) {
      this.send({ v: PROTOCOL_VERSION, type: 'job-accept', jobId: offer.jobId, needsModel: false });
      this.runJob(job);
      return;
    }
    void cache.has(offer.model.sha256).then((isCached) => {
      if (this.current !== job) return;
      if (isCached) {
        this.send({ v: PROTOCOL_VERSION, type: 'job-accept', jobId: offer.jobId, needsModel: false });
        this.options.log(`job '${offer.jobId}': model ${offer.model.sha256.slice(0, 12)} is cached`);
        this.runJob(job);
        return;
      }
      job.transfer = new ModelTransfer(offer.jobId, offer.model.sha256, offer.model.sizeBytes, this.options.maxModelBytes);
      this.armTransferTimer(job);
      this.send({ v: PROTOCOL_VERSION, type: 'job-accept', jobId: offer.jobId, needsModel: true });
    });
  }

  private armTransferTimer(job: CurrentJob): void {
    if (job.transferTimer) clearTimeout(job.transferTimer);
    job.transferTimer = setTimeout(() => {
      if (this.current === job && job.phase === 'transfer') {
        this.failJob(job, { code: 'ZN_PROTOCOL_SEQUENCE', message: `no model-chunk for ${MODEL_TRANSFER_IDLE_MS} ms; transfer abandoned` });
      }
    }, MODEL_TRANSFER_IDLE_MS);
  }

  private onChunk(header: ModelChunkHeader, payload: Uint8Array): void {
    const job = this.current;
    if (!job || job.phase !== 'transfer' || !job.transfer || header.jobId !== job.offer.jobId) {
      this.sendError({ code: 'ZN_PROTOCOL_SEQUENCE', message: `unexpected model-chunk for job '${header.jobId}': no transfer of that job in progress` }, header.jobId);
      return;
    }
    let complete: Uint8Array | null;
    try {
      complete = job.transfer.add(header, payload);
    } catch (err) {
      const e = err as ZeronasError;
      return this.failJob(job, { code: e.code, message: e.message, details: e.details });
    }
    this.armTransferTimer(job);
    if (!complete) return;
    if (job.transferTimer) clearTimeout(job.transferTimer);
    job.transfer = null;
    const bytes = complete;
    // Complete and sha256-verified: a model with external data (or one that cannot be read) is refused here, before
    // it is cached or reaches onnxruntime (onnxExternalData.ts says why).
    const refusal = externalDataRefusal(bytes);
    if (refusal) return this.failJob(job, refusal);
    // A transfer is only ever started by an agent with a cache.
    void this.options.cache!.write(job.offer.model.sha256, bytes).then(
      () => this.runJob(job),
      (err: ZeronasError) => this.failJob(job, { code: err.code ?? 'ZN_IO', message: err.message }),
    );
  }

  private runJob(job: CurrentJob): void {
    if (this.current !== job) return;
    job.phase = 'measuring';
    this.options.log(`job '${job.offer.jobId}': measuring`);
    const handle = job.starter(this.options.cache ? this.options.cache.pathOf(job.offer.model.sha256) : null);
    job.handle = handle;
    void handle.done.then((outcome) => this.finishJob(job, outcome));
  }

  private finishJob(job: CurrentJob, outcome: MeasureOutcome): void {
    if (this.current === job) this.current = null;
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
    if (this.current === job) this.current = null;
    this.options.log(`job '${job.offer.jobId}' failed: ${error.code}: ${error.message}`);
    this.sendResult({ v: PROTOCOL_VERSION, type: 'result', jobId: job.offer.jobId, status: 'failed', error });
  }

  private abortTransfer(reason: string): void {
    const job = this.current;
    if (job?.phase === 'transfer') this.failJob(job, { code: 'ZN_PROTOCOL_SEQUENCE', message: reason });
  }

  private onCancel(jobId: string, reason: string): void {
    const job = this.current;
    if (!job || job.offer.jobId !== jobId) {
      this.sendError({ code: 'ZN_PROTOCOL_SEQUENCE', message: `cancel for job '${jobId}', which is not running here` }, jobId);
      return;
    }
    this.options.log(`job '${jobId}' cancelled by host: ${reason}`);
    if (job.handle) {
      job.handle.cancel(); // finishJob sends the 'cancelled' result
    } else {
      if (job.transferTimer) clearTimeout(job.transferTimer);
      this.current = null;
      this.sendResult({ v: PROTOCOL_VERSION, type: 'result', jobId, status: 'cancelled' });
    }
  }
}

/**
 * The agent's side of protocol v1 (shared/protocol/messages.ts), one state machine for the Node agent
 * (agent/client.ts) and the browser page (agent/browser/browserClient.ts). Everything platform-specific comes in:
 * the connection (transport.ts), where models are kept (ModelStore), how a job is measured (prepareJob), the sha256
 * function, timers and clock. So this file imports no node: module and no DOM API: it is bundled into the page.
 *
 * The flow: connect -> `hello` (token, device, cached models) -> `welcome` -> heartbeats every heartbeatMs (and
 * transport pings where there are any; a host silent for HEARTBEAT_TIMEOUT_MS is then dropped). One job at a time:
 * an offer while busy is rejected with ZN_AGENT_BUSY; an offered model that is not held is received as `model-chunk`
 * frames, checked (job, order, size, sha256), kept, then measured; the result goes back, or is kept while
 * disconnected and sent after the next `welcome`. A cancel ends the job in any phase. Every frame is decoded by the
 * codec; a malformed or out-of-sequence one is answered with a typed `error` and logged, never thrown. A lost
 * connection is retried with exponential backoff and full jitter.
 */
import { ZeronasError } from '../../shared/errors.js';
import { CLOSE_CODES, decodeHostFrame, encodeMessage, errorMessageFor } from '../../shared/protocol/codec.js';
import {
  HEARTBEAT_MS,
  HEARTBEAT_TIMEOUT_MS,
  MODEL_TRANSFER_IDLE_MS,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
} from '../../shared/protocol/limits.js';
import type {
  AgentToHostMessage,
  DeviceDescriptor,
  JobOfferMessage,
  Measurement,
  ModelChunkHeader,
  ResultMessage,
  WireError,
} from '../../shared/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.js';
import { backoffDelayMs } from './backoff.js';
import { ModelTransfer, type Sha256Hex } from './modelTransfer.js';
import { SYSTEM_CLOCK, type AgentTransport, type ConnectTransport, type SessionClock } from './transport.js';

export type MeasureOutcome = { status: 'ok'; measurement: Measurement } | { status: 'failed'; error: WireError } | { status: 'cancelled' };

/** A measurement in progress (a process in Node, a Web Worker in the page). */
export interface MeasurementHandle {
  readonly done: Promise<MeasureOutcome>;
  cancel(): void;
}

/** Starts the measurement of an accepted job, given the model as the store holds it (null: the agent has no store). */
export type JobStarter<Model> = (model: Model | null) => MeasurementHandle;

/**
 * Where models are kept between jobs, by sha256, so each is transferred once. `Model` is what a measurement takes:
 * a file path in Node (agent/modelCache.ts), the bytes in the page.
 */
export interface ModelStore<Model> {
  /** sha256 of the models held, announced in `hello`. */
  list(): Promise<string[]>;
  /** The model when a verified copy is held, else null. */
  find(sha256: string): Promise<Model | null>;
  /** Keeps a complete, hash-checked model. Rejects with a ZeronasError (e.g. ZN_IO) when it cannot. */
  keep(sha256: string, bytes: Uint8Array): Promise<Model>;
}

export type SessionState = 'connecting' | 'connected' | 'disconnected' | 'suspended' | 'refused';

/** For a user interface (the page shows them); the Node agent only logs. */
export interface SessionEvents {
  state?(state: SessionState, detail: string): void;
  job?(job: { jobId: string; label: string; phase: 'transfer' | 'measuring' } | null): void;
  /** Every result this agent produced, once, whether or not the host has it yet. */
  result?(result: ResultMessage): void;
}

export interface AgentSessionOptions<Model> {
  connect: ConnectTransport;
  /** The host's address, for log lines. */
  hostUrl: string;
  token: string;
  agentVersion: string;
  descriptor: () => Promise<DeviceDescriptor> | DeviceDescriptor;
  /** null for an agent that answers without the model bytes (replay agents): every offer is accepted with needsModel=false. */
  models: ModelStore<Model> | null;
  maxModelBytes: number;
  /** How refusals name this side ('agent', 'page'). */
  selfName: string;
  /** Checks and resolves an offer; throws a ZeronasError to reject it. */
  prepareJob: (offer: JobOfferMessage) => JobStarter<Model>;
  sha256Hex: Sha256Hex;
  /** A last check of a received model before it is kept; a WireError fails the job with it. */
  vetModel?: (bytes: Uint8Array) => WireError | null;
  /**
   * When the host closes with the auth code: true ends the session (a page's paired token is then spent: pair
   * again); false keeps reconnecting (the Node agent: the operator may fix the token on the host side).
   */
  isAuthRefusalFinal?: boolean;
  log: (line: string) => void;
  events?: SessionEvents;
  clock?: SessionClock;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  random?: () => number;
  /** Called at the end of stop(), after the job in progress is cancelled (ends the warm measurement process). */
  onStopped?: () => Promise<void>;
}

/** How long stop() waits for the host to answer its close before going anyway. */
const STOP_CLOSE_WAIT_MS = 2_000;

interface CurrentJob<Model> {
  offer: JobOfferMessage;
  phase: 'transfer' | 'measuring';
  transfer: ModelTransfer | null;
  transferTimer: unknown;
  handle: MeasurementHandle | null;
  starter: JobStarter<Model>;
  /** suspend() answered for it already: its outcome, when it comes, is dropped. */
  isAbandoned: boolean;
}

export class AgentSession<Model> {
  private transport: AgentTransport | null = null;
  private isStopping = false;
  private isSuspended = false;
  private attempt = 0;
  private reconnectTimer: unknown = null;
  private heartbeatTimer: unknown = null;
  private lastSeenMs = 0;
  private isWelcomed = false;
  private current: CurrentJob<Model> | null = null;
  private readonly pendingResults: ResultMessage[] = [];
  private readonly closeWaiters: (() => void)[] = [];
  private readonly clock: SessionClock;
  /** The id the host filed this agent under (from `welcome`). */
  agentId: string | null = null;

  constructor(private readonly options: AgentSessionOptions<Model>) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
  }

  start(): void {
    this.connect();
  }

  /** Clean shutdown: cancels a running measurement, closes the connection with 1001. */
  async stop(): Promise<void> {
    this.isStopping = true;
    this.clock.clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    if (this.current?.handle) {
      this.current.handle.cancel();
      await this.current.handle.done;
    }
    const transport = this.transport;
    if (transport?.isOpen()) {
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimeout(resolve, STOP_CLOSE_WAIT_MS);
        this.closeWaiters.push(() => {
          this.clock.clearTimeout(timer);
          resolve();
        });
        transport.close(CLOSE_CODES.goingAway, 'agent shutting down');
      });
    } else transport?.terminate();
    await this.options.onStopped?.();
  }

  /**
   * Leaves the pool for a while (a hidden page, whose timers the browser throttles): the running job is abandoned
   * with a `rejected` result carrying `jobError` (the host requeues it), the connection closes, nothing reconnects
   * until resume().
   */
  suspend(reason: string, jobError: WireError): void {
    if (this.isSuspended || this.isStopping) return;
    this.isSuspended = true;
    const job = this.current;
    if (job) {
      job.isAbandoned = true;
      job.handle?.cancel();
      this.clock.clearTimeout(job.transferTimer);
      this.clearCurrent(job);
      this.reject(job.offer.jobId, jobError);
    }
    this.clock.clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    this.isWelcomed = false;
    this.transport?.close(CLOSE_CODES.goingAway, reason);
    this.options.events?.state?.('suspended', reason);
  }

  resume(): void {
    if (!this.isSuspended || this.isStopping) return;
    this.isSuspended = false;
    this.attempt = 0;
    this.connect();
  }

  private connect(): void {
    if (this.isStopping || this.isSuspended) return;
    const { log, hostUrl } = this.options;
    this.options.events?.state?.('connecting', hostUrl);
    this.isWelcomed = false;
    // Events of a transport that is no longer the current one are dropped: after suspend() + resume(), the old
    // connection's close arrives while the new one is connecting and must not touch its job or schedule a reconnect.
    const transport: AgentTransport = this.options.connect({
      onOpen: () => {
        if (this.transport !== transport) return;
        log(`connected to ${hostUrl}`);
        this.lastSeenMs = this.clock.now();
        void this.sendHello();
      },
      onFrame: (data, isBinary) => {
        if (this.transport !== transport) return;
        this.lastSeenMs = this.clock.now();
        this.onFrame(data, isBinary);
      },
      onPong: () => {
        if (this.transport === transport) this.lastSeenMs = this.clock.now();
      },
      onError: (message) => log(`connection error${message ? `: ${message}` : ''}`),
      onClose: (code, reason) => this.onClose(transport, code, reason),
    });
    this.transport = transport;
  }

  private onClose(transport: AgentTransport, code: number, reason: string): void {
    for (const resolve of this.closeWaiters.splice(0)) resolve();
    if (this.transport !== transport) return;
    this.transport = null;
    this.stopHeartbeat();
    const job = this.current;
    if (job?.phase === 'transfer') this.failJob(job, { code: 'ZN_PROTOCOL_SEQUENCE', message: 'connection closed during model transfer' });
    if (this.isStopping || this.isSuspended) return;
    const events = this.options.events;
    if (code === CLOSE_CODES.auth && this.options.isAuthRefusalFinal) {
      this.isStopping = true;
      const detail = `the host refused this ${this.options.selfName}'s token (${reason || 'auth'}); pair again with a new code`;
      this.options.log(detail);
      events?.state?.('refused', detail);
      return;
    }
    const delay = backoffDelayMs(this.attempt++, this.options.reconnectBaseMs ?? RECONNECT_BASE_MS, this.options.reconnectMaxMs ?? RECONNECT_MAX_MS, this.options.random);
    const closedBy = `code ${code}${reason ? `, ${reason}` : ''}`;
    this.options.log(`disconnected (${closedBy}); reconnecting in ${Math.round(delay)} ms`);
    events?.state?.('disconnected', `${closedBy}; reconnecting in ${Math.round(delay)} ms`);
    this.reconnectTimer = this.clock.setTimeout(() => this.connect(), delay);
  }

  private async sendHello(): Promise<void> {
    const { models } = this.options;
    let device: DeviceDescriptor;
    let cached: string[];
    try {
      device = await this.options.descriptor();
      cached = models ? (await models.list()).slice(0, 10_000) : [];
    } catch (err) {
      // Without a hello the host drops the connection after its hello timeout, and the backoff retries.
      this.options.log(`cannot describe this ${this.options.selfName} for hello: ${(err as Error).message}`);
      return;
    }
    this.send({
      v: PROTOCOL_VERSION,
      type: 'hello',
      token: this.options.token,
      agentVersion: this.options.agentVersion,
      device,
      capabilities: { maxModelBytes: this.options.maxModelBytes, maxInflightJobs: 1, cachedModels: cached },
    });
  }

  private send(message: AgentToHostMessage): boolean {
    const transport = this.transport;
    if (!transport?.isOpen()) return false;
    transport.sendText(encodeMessage(message));
    return true;
  }

  private sendError(err: { code: string; message: string; details?: Record<string, unknown> }, jobId: string | null): void {
    this.send(errorMessageFor({ code: err.code as never, message: err.message, details: err.details ?? {} }, jobId));
  }

  /** A new result: reported to the events once, then delivered (or kept until the next welcome). */
  private produceResult(result: ResultMessage): void {
    this.options.events?.result?.(result);
    this.deliverResult(result);
  }

  private deliverResult(result: ResultMessage): void {
    if (!this.isWelcomed || !this.send(result)) {
      this.options.log(`result for job '${result.jobId}' kept until the host is reachable again`);
      this.pendingResults.push(result);
    }
  }

  private startHeartbeat(intervalMs: number): void {
    this.stopHeartbeat();
    const timeoutMs = Math.max(HEARTBEAT_TIMEOUT_MS, 4 * intervalMs);
    this.heartbeatTimer = this.clock.setInterval(() => {
      const transport = this.transport;
      if (!transport) return;
      // Silence means death only where pings exist: without them a host with nothing to say would look dead.
      if (transport.ping && this.clock.now() - this.lastSeenMs > timeoutMs) {
        this.options.log(`host silent for more than ${timeoutMs} ms; dropping the connection`);
        transport.terminate();
        return;
      }
      this.send({
        v: PROTOCOL_VERSION,
        type: 'heartbeat',
        sentAt: new Date(this.clock.now()).toISOString(),
        state: this.current ? 'busy' : 'idle',
        jobId: this.current?.offer.jobId ?? null,
      });
      if (transport.ping && transport.isOpen()) transport.ping();
    }, intervalMs);
  }

  private stopHeartbeat(): void {
    this.clock.clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private onFrame(data: string | Uint8Array, isBinary: boolean): void {
    // A suspended agent is leaving: frames still in flight (e.g. an offer) are left to the host's requeue.
    if (this.isSuspended) return;
    const decoded = decodeHostFrame(data, isBinary);
    if (!decoded.ok) {
      const f = decoded.failure;
      this.options.log(`rejected frame from host: ${f.code}: ${f.message}`);
      this.sendError(f, null);
      if (f.closeCode !== null) this.transport?.close(f.closeCode, f.code);
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
        this.options.log(`registered as '${message.agentId}'`);
        this.options.events?.state?.('connected', message.agentId);
        this.startHeartbeat(message.heartbeatMs ?? HEARTBEAT_MS);
        for (const r of this.pendingResults.splice(0)) this.deliverResult(r);
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
    this.produceResult({ v: PROTOCOL_VERSION, type: 'result', jobId, status: 'rejected', error });
  }

  private accept(jobId: string, needsModel: boolean): void {
    this.send({ v: PROTOCOL_VERSION, type: 'job-accept', jobId, needsModel });
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
    const { maxModelBytes, selfName } = this.options;
    if (offer.model.sizeBytes > maxModelBytes) {
      return this.reject(offer.jobId, {
        code: 'ZN_PAYLOAD_TOO_LARGE',
        message: `offered model of ${offer.model.sizeBytes} bytes exceeds this ${selfName}'s cap of ${maxModelBytes} bytes`,
        details: { sizeBytes: offer.model.sizeBytes, maxModelBytes },
      });
    }
    let starter: JobStarter<Model>;
    try {
      starter = this.options.prepareJob(offer);
    } catch (err) {
      const e = err instanceof ZeronasError ? err : new ZeronasError('ZN_BAD_ARGUMENT', (err as Error).message);
      return this.reject(offer.jobId, { code: e.code, message: e.message, details: e.details });
    }
    const job: CurrentJob<Model> = { offer, phase: 'transfer', transfer: null, transferTimer: null, handle: null, starter, isAbandoned: false };
    this.current = job;
    const models = this.options.models;
    if (!models) {
      this.accept(offer.jobId, false);
      this.runJob(job, null);
      return;
    }
    void models.find(offer.model.sha256).then(
      (model) => {
        if (this.current !== job) return;
        if (model !== null) {
          this.accept(offer.jobId, false);
          this.options.log(`job '${offer.jobId}': model ${offer.model.sha256.slice(0, 12)} is cached`);
          this.runJob(job, model);
          return;
        }
        job.transfer = new ModelTransfer(offer.jobId, offer.model.sha256, offer.model.sizeBytes, maxModelBytes, this.options.sha256Hex);
        this.armTransferTimer(job);
        this.options.events?.job?.({ jobId: offer.jobId, label: jobLabel(offer), phase: 'transfer' });
        this.accept(offer.jobId, true);
      },
      (err: ZeronasError) => {
        if (this.current === job) this.failJob(job, { code: err.code ?? 'ZN_IO', message: `model store: ${err.message}` });
      },
    );
  }

  private armTransferTimer(job: CurrentJob<Model>): void {
    this.clock.clearTimeout(job.transferTimer);
    job.transferTimer = this.clock.setTimeout(() => {
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
    this.clock.clearTimeout(job.transferTimer);
    job.transfer = null;
    const bytes = complete;
    // Complete and sha256-verified; the platform's last check (the Node agent refuses models with external data,
    // agent/onnxExternalData.ts) comes before the model is kept or reaches a runtime.
    const refusal = this.options.vetModel?.(bytes) ?? null;
    if (refusal) return this.failJob(job, refusal);
    // A transfer is only ever started by an agent with a model store.
    void this.options.models!.keep(job.offer.model.sha256, bytes).then(
      (model) => this.runJob(job, model),
      (err: ZeronasError) => this.failJob(job, { code: err.code ?? 'ZN_IO', message: err.message }),
    );
  }

  private runJob(job: CurrentJob<Model>, model: Model | null): void {
    if (this.current !== job) return;
    job.phase = 'measuring';
    this.options.events?.job?.({ jobId: job.offer.jobId, label: jobLabel(job.offer), phase: 'measuring' });
    this.options.log(`job '${job.offer.jobId}': measuring`);
    let handle: MeasurementHandle;
    try {
      handle = job.starter(model);
    } catch (err) {
      // E.g. the measurement process cannot be started: the job fails, the agent stays up for the next one.
      const e = err instanceof ZeronasError ? err : new ZeronasError('ZN_INTERNAL', `measurement could not start: ${(err as Error).message}`);
      return this.failJob(job, { code: e.code, message: e.message, details: e.details });
    }
    job.handle = handle;
    void handle.done.then((outcome) => this.finishJob(job, outcome));
  }

  private finishJob(job: CurrentJob<Model>, outcome: MeasureOutcome): void {
    if (job.isAbandoned) return;
    this.clearCurrent(job);
    const jobId = job.offer.jobId;
    if (outcome.status === 'ok') {
      this.options.log(`job '${jobId}': median ${outcome.measurement.latency.medianMs.toFixed(3)} ms over ${outcome.measurement.latency.n} runs`);
      this.produceResult({ v: PROTOCOL_VERSION, type: 'result', jobId, status: 'ok', measurement: outcome.measurement });
    } else if (outcome.status === 'failed') {
      this.options.log(`job '${jobId}' failed: ${outcome.error.code}: ${outcome.error.message}`);
      this.produceResult({ v: PROTOCOL_VERSION, type: 'result', jobId, status: 'failed', error: outcome.error });
    } else {
      this.produceResult({ v: PROTOCOL_VERSION, type: 'result', jobId, status: 'cancelled' });
    }
  }

  private failJob(job: CurrentJob<Model>, error: WireError): void {
    this.clock.clearTimeout(job.transferTimer);
    this.clearCurrent(job);
    this.options.log(`job '${job.offer.jobId}' failed: ${error.code}: ${error.message}`);
    this.produceResult({ v: PROTOCOL_VERSION, type: 'result', jobId: job.offer.jobId, status: 'failed', error });
  }

  private clearCurrent(job: CurrentJob<Model>): void {
    if (this.current !== job) return;
    this.current = null;
    this.options.events?.job?.(null);
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
      // Still receiving the model (or looking it up): nothing runs yet, so the answer is immediate.
      this.clock.clearTimeout(job.transferTimer);
      this.clearCurrent(job);
      this.produceResult({ v: PROTOCOL_VERSION, type: 'result', jobId, status: 'cancelled' });
    }
  }
}

function jobLabel(offer: JobOfferMessage): string {
  return offer.model.label ?? offer.model.sha256.slice(0, 12);
}

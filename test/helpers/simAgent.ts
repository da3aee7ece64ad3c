/**
 * A simulated agent: a `ws` client speaking protocol v1 (hello with a schema-valid device descriptor, heartbeats,
 * job-accept, model-chunk reassembly with a sha256 check, and a `result` whose measurement is schema-valid), with
 * no onnxruntime behind it. The reliability tests use it for fleets and misbehaving peers (silent, slow, forging),
 * and scripts/bench/loadTest.ts attaches hundreds of them. Everything it sends goes through encodeMessage, so a
 * simulated agent can never send what a real one could not.
 */
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { decodeHostFrame, encodeMessage } from '../../shared/protocol/codec.js';
import { HEARTBEAT_MS, MAX_MESSAGE_BYTES } from '../../shared/protocol/limits.js';
import type {
  AgentToHostMessage,
  Conditions,
  DeviceDescriptor,
  HostToAgentMessage,
  JobOfferMessage,
  Measurement,
} from '../../shared/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.js';

const sha256 = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex');

export function fakeConditions(at = new Date()): Conditions {
  return { at: at.toISOString(), tempC: null, tempSource: 'simulated', curFreqMHz: null, governor: null, throttle: { source: 'unavailable', reason: 'simulated agent' } };
}

/** A schema-valid descriptor; the fingerprint is derived from the name, so each name is one device. */
export function fakeDescriptor(name: string, profile: string | null = 'x86-desktop'): DeviceDescriptor {
  return {
    fingerprint: sha256(`sim-device:${name}`),
    hostname: 'sim-host',
    name,
    profile,
    environment: 'node',
    os: { platform: 'linux', distro: 'simulated', release: '1', kernel: '6.0', arch: 'x64' },
    cpu: { model: 'simulated cpu', cores: 4, physicalCores: 4, governor: null, curFreqMHz: null, maxFreqMHz: null },
    memoryBytes: 8 * 1024 ** 3,
    piModel: null,
    platformVersion: process.versions.node,
    runtimes: [{ runtime: 'ort-node', isAvailable: true, version: '1.30.0', executionProviders: ['cpu'], reason: null }],
    energyMeters: [],
    conditions: fakeConditions(),
  };
}

/** A schema-valid measurement of the offered model: `samples` latencies of `latencyMs`, started and finished as given. */
export function fakeMeasurement(offer: JobOfferMessage, device: DeviceDescriptor, startedAt: Date, finishedAt: Date, latencyMs = 1, samples = 5): Measurement {
  const samplesMs = Array.from({ length: samples }, () => latencyMs);
  return {
    model: { sha256: offer.model.sha256, sizeBytes: offer.model.sizeBytes },
    device: { fingerprint: device.fingerprint, name: device.name, hostname: device.hostname, profile: device.profile },
    runtime: { runtime: 'ort-node', version: '1.30.0', executionProvider: 'cpu', requestedExecutionProvider: 'cpu', threads: 1, selection: 'requested' },
    settings: {
      runtime: 'ort-node', executionProvider: 'cpu', threads: 1, warmupRuns: 0, warmupMinMs: 0, minRuns: samples, minTotalMs: 0,
      maxTotalMs: 1_000, cooldownMs: 0, repeatIfThrottled: false, maxThrottleRepeats: 0, throttleCooldownMs: 0, energy: 'off',
      idleBaselineMs: 0, energyMinMs: 0, isProfiling: false, profileRuns: 1, timeoutMs: 60_000, inputSeed: 0,
    },
    inputs: offer.inputs,
    sessionCreateMs: 0,
    warmup: { runs: 0, totalMs: 0 },
    latency: { n: samples, medianMs: latencyMs, meanMs: latencyMs, stdMs: 0, cv: 0, minMs: latencyMs, maxMs: latencyMs, p90Ms: latencyMs, p95Ms: latencyMs, madMs: 0 },
    samplesMs,
    timedTotalMs: latencyMs * samples,
    stoppedBy: 'targets-reached',
    conditionsBefore: fakeConditions(startedAt),
    conditionsAfter: fakeConditions(finishedAt),
    isThrottled: false,
    attempts: 1,
    throttledAttempts: 0,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    energy: { status: 'unavailable', reason: 'simulated agent' },
    profile: null,
  };
}

export interface SimAgentOptions {
  url: string;
  token: string;
  name: string;
  profile?: string | null;
  /** 'work': accept, fetch the model, wait workMs, answer ok. 'hold': accept and never answer (a slow agent). */
  mode?: 'work' | 'hold';
  /** Simulated measuring time per job (ms). */
  workMs?: () => number;
  /** Send heartbeats (default true); false makes a silent peer. */
  isHeartbeating?: boolean;
  /** Models this agent already has (it answers needsModel:false for them). */
  cachedModels?: Set<string>;
  /** Timed samples per result (a large count makes a large result row). */
  samples?: number;
  /** Extra ws client options (TLS CA, ...). */
  wsOptions?: WebSocket.ClientOptions;
}

interface Transfer {
  offer: JobOfferMessage;
  chunks: Buffer[];
  received: number;
}

export class SimAgent {
  readonly device: DeviceDescriptor;
  readonly received: HostToAgentMessage[] = [];
  /** Every result this agent sent, by wire job id (a job id seen twice here would be a duplicate dispatch). */
  readonly sentResults = new Map<string, number>();
  readonly offers: JobOfferMessage[] = [];
  /** Offer received -> result sent, per job (ms, from performance.now()). */
  readonly offerToResultMs: number[] = [];
  readonly modelErrors: string[] = [];
  agentId: string | null = null;
  ws!: WebSocket;
  closed!: Promise<{ code: number; reason: string }>;
  private heartbeat: NodeJS.Timeout | null = null;
  private transfer: Transfer | null = null;
  private readonly cached: Set<string>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: { predicate: (m: HostToAgentMessage) => boolean; resolve: (m: HostToAgentMessage) => void }[] = [];
  mode: 'work' | 'hold';

  constructor(private readonly options: SimAgentOptions) {
    this.device = fakeDescriptor(options.name, options.profile === undefined ? 'x86-desktop' : options.profile);
    this.cached = options.cachedModels ?? new Set();
    this.mode = options.mode ?? 'work';
  }

  /** Connects and resolves once welcomed (rejects when the host closes the socket first). */
  connect(): Promise<string> {
    this.transfer = null;
    this.ws = new WebSocket(this.options.url, { maxPayload: MAX_MESSAGE_BYTES, ...this.options.wsOptions });
    const ws = this.ws;
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
    ws.on('open', () => this.send(this.hello(this.options.token)));
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    ws.on('close', () => this.stopTimers());
    return new Promise((resolve, reject) => {
      void this.closed.then((c) => reject(new Error(`closed before welcome: ${c.code} ${c.reason}`)));
      this.next((m) => m.type === 'welcome').then((m) => resolve((m as Extract<HostToAgentMessage, { type: 'welcome' }>).agentId), reject);
    });
  }

  hello(token: string): AgentToHostMessage {
    return {
      v: PROTOCOL_VERSION,
      type: 'hello',
      token,
      agentVersion: 'sim-0',
      device: this.device,
      capabilities: { maxModelBytes: 64 * 1024 * 1024, maxInflightJobs: 1, cachedModels: [...this.cached].slice(0, 10_000) },
    };
  }

  send(message: AgentToHostMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeMessage(message));
  }

  /** Resolves with the first host message (past or future) matching the predicate. */
  next(predicate: (m: HostToAgentMessage) => boolean, timeoutMs = 60_000): Promise<HostToAgentMessage> {
    const found = this.received.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.options.name}: timed out waiting; got ${this.received.map((m) => m.type).join(',')}`)), timeoutMs);
      this.waiters.push({ predicate, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  /** Answers a job with a schema-valid ok result (used by tests to forge or replay). */
  resultFor(offer: JobOfferMessage, jobId = offer.jobId): AgentToHostMessage {
    const now = new Date();
    return { v: PROTOCOL_VERSION, type: 'result', jobId, status: 'ok', measurement: fakeMeasurement(offer, this.device, now, now) };
  }

  terminate(): void {
    this.stopTimers();
    this.ws.terminate();
  }

  async close(): Promise<void> {
    this.stopTimers();
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1001, 'done');
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 2_000).unref())]);
    this.ws.terminate();
  }

  private stopTimers(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    const decoded = decodeHostFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary);
    if (!decoded.ok) throw new Error(`${this.options.name}: host sent an invalid frame: ${decoded.failure.message}`);
    if (decoded.value.kind === 'model-chunk') {
      const { header, payload } = decoded.value;
      const t = this.transfer;
      if (!t || t.offer.jobId !== header.jobId || header.offsetBytes !== t.received) {
        this.modelErrors.push(`unexpected chunk for ${header.jobId} at ${header.offsetBytes}`);
        return;
      }
      t.chunks.push(Buffer.from(payload));
      t.received += payload.byteLength;
      if (!header.isLast) return;
      this.transfer = null;
      const bytes = Buffer.concat(t.chunks);
      if (bytes.byteLength !== t.offer.model.sizeBytes || sha256(bytes) !== t.offer.model.sha256) {
        this.modelErrors.push(`model of ${t.offer.jobId} does not match its offer`);
        return;
      }
      this.cached.add(t.offer.model.sha256);
      this.work(t.offer);
      return;
    }
    const m = decoded.value.message;
    this.received.push(m);
    if (m.type === 'welcome') {
      this.agentId = m.agentId;
      if (this.options.isHeartbeating !== false) this.startHeartbeat(m.heartbeatMs ?? HEARTBEAT_MS);
    } else if (m.type === 'job-offer') {
      this.offers.push(m);
      this.onOffer(m);
    }
    for (const w of [...this.waiters]) {
      if (w.predicate(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }

  private startHeartbeat(intervalMs: number): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      this.send({ v: PROTOCOL_VERSION, type: 'heartbeat', sentAt: new Date().toISOString(), state: 'idle', jobId: null });
    }, intervalMs);
  }

  private readonly offeredAt = new Map<string, number>();

  private onOffer(offer: JobOfferMessage): void {
    this.offeredAt.set(offer.jobId, performance.now());
    const isCached = this.cached.has(offer.model.sha256);
    this.send({ v: PROTOCOL_VERSION, type: 'job-accept', jobId: offer.jobId, needsModel: !isCached });
    if (isCached) this.work(offer);
    else this.transfer = { offer, chunks: [], received: 0 };
  }

  private work(offer: JobOfferMessage): void {
    if (this.mode === 'hold') return;
    const started = new Date();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const finished = new Date();
      this.send({ v: PROTOCOL_VERSION, type: 'result', jobId: offer.jobId, status: 'ok', measurement: fakeMeasurement(offer, this.device, started, finished, 1, this.options.samples) });
      this.sentResults.set(offer.jobId, (this.sentResults.get(offer.jobId) ?? 0) + 1);
      const t0 = this.offeredAt.get(offer.jobId);
      if (t0 !== undefined) this.offerToResultMs.push(performance.now() - t0);
    }, this.options.workMs?.() ?? 0);
    this.timers.add(timer);
  }
}

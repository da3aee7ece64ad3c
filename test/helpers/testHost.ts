/**
 * A minimal host speaking protocol v1 for agent integration tests: a `ws` server on port 0 that checks the token,
 * answers `hello` with `welcome`, offers jobs, streams model chunks when the agent asks for them, and records every
 * decoded frame. It also exposes the raw socket so tests can send bad bytes the way a broken host would.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE_CODES, decodeAgentFrame, encodeMessage, encodeModelChunk, errorMessageFor } from '../../shared/protocol/codec.js';
import { MAX_MESSAGE_BYTES, MODEL_CHUNK_BYTES } from '../../shared/protocol/limits.js';
import type {
  AgentToHostMessage,
  HelloMessage,
  HostToAgentMessage,
  InputSpec,
  MeasurementSettingsInput,
} from '../../shared/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.js';

export interface OfferOptions {
  settings?: MeasurementSettingsInput;
  inputs?: InputSpec[];
  /** Size announced in the offer (default: the real size). */
  announcedSizeBytes?: number;
  /** Extra bytes appended to the transfer beyond the announced size. */
  extraBytes?: number;
  /** Replace the model bytes actually sent (for a hash mismatch). */
  sentBytes?: Uint8Array;
}

export const NB201_INPUTS: InputSpec[] = [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' }];

export class AgentConnection {
  readonly received: AgentToHostMessage[] = [];
  hello: HelloMessage | null = null;
  private waiters: { predicate: (m: AgentToHostMessage) => boolean; resolve: (m: AgentToHostMessage) => void }[] = [];
  private models = new Map<string, { bytes: Uint8Array; options: OfferOptions }>();
  closed: Promise<{ code: number }>;

  constructor(
    readonly ws: WebSocket,
    private readonly token: string,
    onHello: (c: AgentConnection) => void,
  ) {
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
    ws.on('message', (data, isBinary) => {
      const decoded = decodeAgentFrame(data as Buffer, isBinary);
      if (!decoded.ok) {
        ws.send(JSON.stringify(errorMessageFor(decoded.failure)));
        if (decoded.failure.closeCode) ws.close(decoded.failure.closeCode, decoded.failure.code);
        return;
      }
      const msg = decoded.value;
      if (msg.type === 'hello') {
        if (msg.token !== this.token) {
          ws.send(JSON.stringify(errorMessageFor({ code: 'ZN_AUTH', message: 'bad token', details: {} })));
          ws.close(CLOSE_CODES.auth, 'bad token');
          return;
        }
        this.hello = msg;
        this.send({ v: PROTOCOL_VERSION, type: 'welcome', agentId: msg.device.name, heartbeatMs: 500, serverTime: new Date().toISOString() });
        onHello(this);
      }
      if (msg.type === 'job-accept' && msg.needsModel) this.streamModel(msg.jobId);
      this.received.push(msg);
      for (const w of [...this.waiters]) {
        if (w.predicate(msg)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(msg);
        }
      }
    });
  }

  send(message: HostToAgentMessage): void {
    this.ws.send(encodeMessage(message));
  }

  sendRaw(data: string | Uint8Array, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Resolves with the first message (already received or future) matching the predicate. */
  next<T extends AgentToHostMessage>(predicate: (m: AgentToHostMessage) => m is T, timeoutMs?: number): Promise<T>;
  next(predicate: (m: AgentToHostMessage) => boolean, timeoutMs?: number): Promise<AgentToHostMessage>;
  next(predicate: (m: AgentToHostMessage) => boolean, timeoutMs = 50_000): Promise<AgentToHostMessage> {
    const found = this.received.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for a message; got ${this.received.map((m) => m.type).join(', ')}`)), timeoutMs);
      this.waiters.push({ predicate, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  result(jobId: string, timeoutMs?: number) {
    return this.next((m): m is Extract<AgentToHostMessage, { type: 'result' }> => m.type === 'result' && m.jobId === jobId, timeoutMs);
  }

  offer(jobId: string, modelBytes: Uint8Array, options: OfferOptions = {}): string {
    const sha256 = createHash('sha256').update(modelBytes).digest('hex');
    this.models.set(jobId, { bytes: modelBytes, options });
    this.send({
      v: PROTOCOL_VERSION,
      type: 'job-offer',
      jobId,
      model: { sha256, sizeBytes: options.announcedSizeBytes ?? modelBytes.byteLength },
      inputs: options.inputs ?? NB201_INPUTS,
      settings: options.settings ?? {},
    });
    return sha256;
  }

  private streamModel(jobId: string): void {
    const entry = this.models.get(jobId);
    if (!entry) return;
    const sha256 = createHash('sha256').update(entry.bytes).digest('hex');
    const extra = entry.options.extraBytes ?? 0;
    const base = entry.options.sentBytes ?? entry.bytes;
    const bytes = new Uint8Array(base.byteLength + extra);
    bytes.set(base);
    for (let offset = 0; offset < bytes.byteLength; offset += MODEL_CHUNK_BYTES) {
      const payload = bytes.subarray(offset, Math.min(offset + MODEL_CHUNK_BYTES, bytes.byteLength));
      const isLast = offset + payload.byteLength >= bytes.byteLength;
      this.ws.send(encodeModelChunk({ jobId, sha256, offsetBytes: offset, isLast }, payload), { binary: true });
    }
  }
}

export class TestHost {
  readonly connections: AgentConnection[] = [];
  private waiters: ((c: AgentConnection) => void)[] = [];

  private constructor(
    private readonly wss: WebSocketServer,
    readonly token: string,
  ) {
    wss.on('connection', (ws) => {
      const conn = new AgentConnection(ws, token, (c) => {
        this.connections.push(c);
        for (const w of this.waiters.splice(0)) w(c);
      });
      void conn;
    });
  }

  static async start(token = 'test-token'): Promise<TestHost> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: MAX_MESSAGE_BYTES });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new TestHost(wss, token);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/agent`;
  }

  /** The next agent to complete hello (or the n-th overall, if it already did). */
  waitForAgent(index = this.connections.length, timeoutMs = 50_000): Promise<AgentConnection> {
    if (this.connections[index]) return Promise.resolve(this.connections[index]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no agent registered in time')), timeoutMs);
      const check = (): void => {
        if (this.connections[index]) {
          clearTimeout(timer);
          resolve(this.connections[index]!);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/**
 * The host: one port serving WebSocket (agents, at /agent) and HTTP (pages registered by later layers).
 * Each agent connection follows shared/protocol/messages.ts: hello (token checked in constant time) -> welcome ->
 * heartbeats; the host offers one job at a time, streams the model when the agent lacks it, and records results
 * through the scheduler, which makes duplicates and late results harmless. A frame that fails to decode is
 * answered with a typed `error`; auth, version, size and depth failures close the socket, and so does any bad frame
 * before `hello` is accepted. What a peer costs before it authenticates is bounded by admission.ts (sockets per
 * address, one small frame, a log budget per address); every log line is made inert (shared/printable.ts).
 */
import { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  CLOSE_CODES,
  HEARTBEAT_MS,
  HEARTBEAT_TIMEOUT_MS,
  HELLO_TIMEOUT_MS,
  MAX_MESSAGE_BYTES,
  MAX_PRE_AUTH_MESSAGE_BYTES,
  MODEL_CHUNK_BYTES,
  PROTOCOL_VERSION,
  decodeAgentFrame,
  encodeMessage,
  encodeModelChunk,
  errorMessageFor,
  type AgentToHostMessage,
  type DeviceDescriptor,
  type HostToAgentMessage,
  type InputSpec,
  type Measurement,
  type MeasurementSettingsInput,
} from '../../shared/protocol/index.js';
import { ZeronasError, type ZeronasErrorCode } from '../../shared/errors.js';
import type { Scheduler } from './scheduler.js';
import type { Store } from './store.js';
import { agentServesTarget, reachableBaseUrls } from './fleet.js';
import { tokensEqual } from './token.js';
import { printable } from '../../shared/printable.js';
import { ADMISSION_LIMITS, ConnectionAdmission, LogBudget } from './admission.js';
import { certificateFingerprint } from './hostCertificate.js';

export interface ServerOptions {
  port: number;
  host: string;
  token: string;
  store: Store;
  scheduler: Scheduler;
  tls?: { certPath: string; keyPath: string };
  /**
   * Tokens issued to paired browser agents, accepted besides `token`. Such a token registers a browser profile only
   * (`browser-wasm`, `browser-webgpu`): a pairing code cannot buy a Node agent's place in another target's pool.
   */
  acceptToken?: (presented: string) => boolean;
  /**
   * Where a browser agent pairs (the page's URL, without a code): a browser refused for a bad token (paired with an
   * earlier host process, e.g. before --resume) is then logged with how to pair it again.
   */
  browserPairingUrl?: () => string;
  /** Origins allowed for browser connections, besides the host's own. */
  allowedOrigins?: string[];
  heartbeatMs?: number;
  log?: (line: string) => void;
}

export interface JobSpec {
  inputs: InputSpec[];
  settings: MeasurementSettingsInput;
}

export interface ConnectedAgent {
  id: string;
  device: DeviceDescriptor;
  state: 'idle' | 'busy';
  jobId: string | null;
  connectedAt: number;
  lastSeen: number;
  completed: number;
}

interface InFlight {
  jobRowId: number;
  token: string;
  /** The agent the job was offered to: accepts and results from any other agent are ignored. */
  agentId: string;
  isModelSent: boolean;
  offeredAt: number;
  modelSha256: string;
}

type HttpRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface MeasurementEvent {
  jobId: number;
  agentId: string;
  target: string;
  arch: string;
  outcome: string;
  measurement?: Measurement;
  dispatchOverheadMs?: number;
}

export class HostServer extends EventEmitter {
  readonly agents = new Map<string, ConnectedAgent>();
  private readonly sockets = new Map<string, WebSocket>();
  private readonly inflight = new Map<string, InFlight>(); // wire jobId -> lease
  private readonly routes: HttpRoute[] = [];
  private http!: Server;
  private wss!: WebSocketServer;
  private timer: NodeJS.Timeout | undefined;
  private activeTargets: string[] = [];
  private readonly admission = new ConnectionAdmission();
  /** Lines a peer causes (bad frames, refusals, its errors) are budgeted per remote address. */
  private readonly peerLog = new LogBudget((line) => this.log(line));
  port = 0;
  /** `sha256:<hex>` of the certificate served (agents pin it), or null for plain ws://. */
  tlsFingerprint: string | null = null;

  constructor(private readonly options: ServerOptions) {
    super();
  }

  /** Every line the host logs: peer-supplied text inside it cannot forge lines or reach the terminal raw. */
  private log(line: string): void {
    this.options.log?.(printable(line));
  }

  get url(): string {
    return `${this.options.tls ? 'wss' : 'ws'}://${this.options.host === '0.0.0.0' ? '127.0.0.1' : this.options.host}:${this.port}`;
  }

  /** Where the server listens, for people: the address it is bound to (not only the loopback URL `url` gives). */
  get listeningOn(): string {
    const local = `${this.url}/agent`;
    return this.options.host === '0.0.0.0'
      ? `${this.url} and every other address of this machine (agents here connect to ${local}, devices on the network to ${this.agentUrlForDevices})`
      : `${this.url} (agents connect to ${local})`;
  }

  /** The agent URL a device on the network can reach (the first LAN address when listening on all addresses). */
  get agentUrlForDevices(): string {
    return `${reachableBaseUrls(this.options.host, this.port, this.options.tls ? 'wss' : 'ws')[0]!}/agent`;
  }

  /** Adds an HTTP handler; it returns true when it answered the request. */
  route(handler: HttpRoute): void {
    this.routes.push(handler);
  }

  /** Targets of the current run; agents serving none of them stay idle. */
  setTargets(targets: string[]): void {
    this.activeTargets = targets;
    this.pump();
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handleHttp(req, res);
    if (this.options.tls) {
      let cert: string;
      let key: Buffer;
      try {
        cert = readFileSync(this.options.tls.certPath, 'utf8');
        key = readFileSync(this.options.tls.keyPath);
        this.tlsFingerprint = certificateFingerprint(cert);
      } catch (err) {
        throw new ZeronasError('ZN_IO', `cannot read the TLS certificate '${this.options.tls.certPath}' or key '${this.options.tls.keyPath}': ${(err as Error).message}`, {}, err);
      }
      this.http = createHttpsServer({ cert, key }, handler);
    } else this.http = createHttpServer(handler);
    this.wss = new WebSocketServer({
      server: this.http,
      path: '/agent',
      maxPayload: MAX_MESSAGE_BYTES,
      verifyClient: (info, done) => {
        const origin = info.origin;
        if (!origin) return done(true); // Node agents send no Origin (and may name the host however their DNS does)
        if (!this.isServedHost(info.req.headers.host)) {
          this.peerLog.log(info.req.socket.remoteAddress ?? 'unknown', `refused WebSocket for Host '${info.req.headers.host ?? ''}' (not an address this host serves)`);
          return done(false, 403, 'host not served');
        }
        if (this.isAllowedOrigin(origin, info.req.headers.host)) return done(true);
        this.log(`refused WebSocket from origin ${origin}`);
        done(false, 403, 'origin not allowed');
      },
    });
    this.wss.on('connection', (ws, req) => this.onConnection(ws, req));
    // ws re-emits the HTTP server's errors; without a listener a port in use would crash the process with a stack.
    this.wss.on('error', (err) => {
      if (this.http.listening) this.log(`server error: ${err.message}`); // before listening, start() reports it
    });
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new ZeronasError(
            'ZN_IO',
            `cannot listen on ${this.options.host}:${this.options.port}: ${err.message}` +
              (err.code === 'EADDRINUSE' ? `; another program (or another zeronas host) uses port ${this.options.port}: pass --port <free port>, or --port 0 for any` : ''),
            { port: this.options.port },
            err,
          ),
        ),
      );
      this.http.listen(this.options.port, this.options.host, () => resolve());
    });
    this.port = (this.http.address() as AddressInfo).port;
    this.timer = setInterval(() => {
      this.guard('the lease and heartbeat check', () => {
        const expired = this.options.scheduler.expireLeases();
        if (expired) this.log(`${expired} lease(s) expired and were requeued`);
        this.checkHeartbeats();
        this.peerLog.tick();
        this.pump();
      });
    }, 500);
  }

  /**
   * Runs a handler so that a failure (typically the store: disk full, unwritable run folder) is logged with its
   * cause and answered with a typed error instead of crashing the host. Every store write is one transaction, so a
   * failed one leaves nothing half-written; an unrecorded result keeps its lease, which expires and is re-run.
   */
  private guard(what: string, fn: () => void, ws?: WebSocket): void {
    try {
      fn();
    } catch (err) {
      const message = `host failed while handling ${what}: ${(err as Error).message}`;
      const sqliteCode = (err as { code?: unknown }).code;
      const code: ZeronasErrorCode =
        err instanceof ZeronasError ? err.code : typeof sqliteCode === 'string' && sqliteCode.startsWith('SQLITE_') ? 'ZN_IO' : 'ZN_INTERNAL';
      this.log(`${code}: ${message}`);
      if (ws) this.send(ws, errorMessageFor({ code, message, details: {} }));
    }
  }

  private isAllowedOrigin(origin: string, hostHeader: string | undefined): boolean {
    try {
      const o = new URL(origin);
      if (hostHeader && o.host === hostHeader) return true;
    } catch {
      return false;
    }
    return (this.options.allowedOrigins ?? []).includes(origin);
  }

  /**
   * Whether a browser's `Host` header names this host: an address it listens on (every interface address when it
   * listens on all), loopback, `localhost` or this machine's name, with its port. A DNS-rebinding page (evil.example
   * resolving to this machine) sends its own name, which matches its own Origin, so the origin check alone passes it.
   */
  private isServedHost(hostHeader: string | undefined): boolean {
    if (!hostHeader) return false;
    let url: URL;
    try {
      url = new URL(`http://${hostHeader}`);
    } catch {
      return false;
    }
    if (Number(url.port || 80) !== this.port) return false;
    const name = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    const served = new Set(['localhost', '127.0.0.1', '::1', hostname().toLowerCase(), `${hostname().toLowerCase()}.local`]);
    if (this.options.host === '0.0.0.0' || this.options.host === '::') {
      for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) served.add(a.address.toLowerCase());
    } else served.add(this.options.host.toLowerCase());
    return served.has(name);
  }

  private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!this.isServedHost(req.headers.host)) {
      this.peerLog.log(req.socket.remoteAddress ?? 'unknown', `refused HTTP ${url.pathname.slice(0, 80)} for Host '${req.headers.host ?? ''}' (not an address this host serves)`);
      res.writeHead(403, { 'content-type': 'text/plain' }).end('host not served\n');
      return;
    }
    try {
      for (const r of this.routes) if (await r(req, res, url)) return;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    } catch (err) {
      this.log(`HTTP ${url.pathname} failed: ${(err as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
  }

  private send(ws: WebSocket, message: HostToAgentMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(encodeMessage(message));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const address = req.socket.remoteAddress ?? 'unknown';
    const refusal = this.admission.admit(address);
    if (refusal) {
      this.peerLog.log(address, `refused a connection from ${address}: ${refusal}`);
      ws.close(1013, 'try again later');
      return;
    }
    let agentId: string | null = null;
    let isAuthenticated = false;
    let lastSeen = Date.now();
    let badFrames = 0;
    const who = (): string => agentId ?? `unauthenticated peer ${address}`;
    // Before hello, count raw bytes as they arrive: a stranger may not make the host buffer more than one small frame.
    let preAuthBytes = 0;
    const countPreAuth = (chunk: Buffer): void => {
      preAuthBytes += chunk.length;
      if (preAuthBytes > MAX_PRE_AUTH_MESSAGE_BYTES + 1024 && !req.socket.destroyed) {
        this.peerLog.log(address, `closed ${who()}: more than ${MAX_PRE_AUTH_MESSAGE_BYTES} bytes before hello`);
        req.socket.destroy();
      }
    };
    req.socket.prependListener('data', countPreAuth); // before ws's own listener: nothing past the limit is parsed
    const helloTimer = setTimeout(() => {
      if (!agentId) ws.close(CLOSE_CODES.auth, 'no hello');
    }, HELLO_TIMEOUT_MS);

    ws.on('message', (data, isBinary) => this.guard(`a frame from ${who()}`, () => {
      // Frames already buffered when the host decided to close are dropped unread (a flood pipelines many).
      if (ws.readyState !== ws.OPEN) return;
      lastSeen = Date.now();
      if (agentId) {
        const a = this.agents.get(agentId);
        if (a) a.lastSeen = lastSeen;
      }
      const decoded = decodeAgentFrame(data as Buffer, isBinary, agentId ? MAX_MESSAGE_BYTES : MAX_PRE_AUTH_MESSAGE_BYTES);
      if (!decoded.ok) {
        this.peerLog.log(address, `bad frame from ${who()}: ${decoded.failure.code} ${decoded.failure.message}`);
        this.send(ws, errorMessageFor(decoded.failure));
        if (decoded.failure.closeCode) ws.close(decoded.failure.closeCode, decoded.failure.code);
        else if (!agentId) ws.close(CLOSE_CODES.auth, 'hello first');
        else if (++badFrames >= ADMISSION_LIMITS.maxBadFramesPerConnection) {
          // An authenticated peer gets answers, but not an endless stream of them: honest agents send none.
          this.peerLog.log(address, `closed ${who()}: ${badFrames} bad frames`);
          ws.close(CLOSE_CODES.schema, 'too many bad frames');
        }
        return;
      }
      const msg = decoded.value;
      if (!agentId) {
        if (msg.type !== 'hello') {
          this.send(ws, errorMessageFor({ code: 'ZN_AUTH', message: 'the first message must be hello with a token', details: {} }));
          ws.close(CLOSE_CODES.auth, 'hello first');
          return;
        }
        const isHostToken = tokensEqual(msg.token, this.options.token);
        const isPairedToken = !isHostToken && this.options.acceptToken?.(msg.token) === true;
        if (!isHostToken && !isPairedToken) {
          const repair = msg.device.environment === 'browser' && this.options.browserPairingUrl
            ? ` (a browser page paired with an earlier host process, e.g. before a restart or --resume: pairing lasts only as long as the host that issued it; pair it again: open ${this.options.browserPairingUrl()} on the device and enter the newest pairing code printed by the host)`
            : '';
          this.peerLog.log(address, `refused agent '${msg.device.name}' from ${address}: bad token${repair}`);
          this.send(ws, errorMessageFor({ code: 'ZN_AUTH', message: 'invalid token; run `zeronas token` on the host', details: {} }));
          ws.close(CLOSE_CODES.auth, 'bad token');
          return;
        }
        if (isPairedToken && !msg.device.profile?.startsWith('browser-')) {
          this.peerLog.log(address, `refused agent '${msg.device.name}' from ${address}: a paired browser token used for profile '${msg.device.profile ?? 'none'}'`);
          this.send(ws, errorMessageFor({ code: 'ZN_AUTH', message: 'a pairing token is for a browser agent only; Node agents use the host token (`zeronas token`)', details: {} }));
          ws.close(CLOSE_CODES.auth, 'pairing token is for browsers');
          return;
        }
        const refused = this.identityConflict(msg.device);
        if (refused) {
          this.peerLog.log(address, `refused agent from ${address}: ${refused}`);
          this.send(ws, errorMessageFor({ code: 'ZN_AUTH', message: refused, details: {} }));
          ws.close(CLOSE_CODES.auth, 'agent id in use');
          return;
        }
        clearTimeout(helloTimer);
        req.socket.off('data', countPreAuth);
        isAuthenticated = true;
        this.admission.authenticated(address);
        agentId = this.register(ws, msg);
        return;
      }
      this.onAgentMessage(agentId, ws, msg);
    }, ws));
    ws.on('close', () => {
      clearTimeout(helloTimer);
      this.admission.closed(address, isAuthenticated);
      if (agentId) this.guard(`the disconnection of ${agentId}`, () => this.unregister(agentId!, ws));
    });
    ws.on('error', (err) => this.peerLog.log(address, `socket error from ${who()}: ${err.message}`));
  }

  /**
   * Why a hello naming `device` may not register, or null. An agent id is `name@fingerprint[0:12]`, which anyone who
   * saw the dashboard knows: a newcomer with the id of a connected agent that is still heard from is refused (the
   * live one stays); one whose predecessor has gone quiet (a half-open socket after a network change) takes over.
   */
  private identityConflict(device: DeviceDescriptor): string | null {
    const id = agentIdOf(device);
    const live = this.agents.get(id);
    // A socket already closing (the host closed it, or the agent did) is not a live holder of the id, even before
    // its 'close' event: the agent reconnecting at once must not be refused.
    const socket = this.sockets.get(id);
    if (!live || !socket || socket.readyState !== socket.OPEN) return null;
    const quietMs = Date.now() - live.lastSeen;
    if (quietMs > 2 * (this.options.heartbeatMs ?? HEARTBEAT_MS)) return null;
    return `agent id '${id}' is connected and heard from ${quietMs} ms ago; a second agent may not take its place (give it another --name)`;
  }

  private register(ws: WebSocket, hello: Extract<AgentToHostMessage, { type: 'hello' }>): string {
    const device = hello.device;
    const id = agentIdOf(device);
    const previous = this.sockets.get(id);
    if (previous && previous !== ws) {
      // The same agent reconnected while its old socket is half-open (quiet: identityConflict let it through).
      this.log(`agent ${id} reconnected; dropping its previous, silent connection`);
      this.unregister(id, previous);
      previous.terminate();
    }
    const now = Date.now();
    this.agents.set(id, { id, device, state: 'idle', jobId: null, connectedAt: now, lastSeen: now, completed: 0 });
    this.sockets.set(id, ws);
    this.options.store.upsertAgent(id, device.name, device, true);
    this.send(ws, {
      v: PROTOCOL_VERSION,
      type: 'welcome',
      agentId: id,
      heartbeatMs: this.options.heartbeatMs ?? HEARTBEAT_MS,
      serverTime: new Date().toISOString(),
    });
    this.log(`agent ${id} connected (${device.profile ?? 'no profile'}, ${device.cpu.model}, ${device.cpu.cores} cores)`);
    this.emit('agent', { type: 'connected', agent: this.agents.get(id) });
    this.pump();
    return id;
  }

  private unregister(id: string, ws: WebSocket): void {
    if (this.sockets.get(id) !== ws) return;
    this.sockets.delete(id);
    this.agents.delete(id);
    for (const [wireId, f] of this.inflight) {
      const job = this.options.scheduler.job(f.jobRowId);
      if (job?.lease_agent === id) this.inflight.delete(wireId);
    }
    const released = this.options.scheduler.releaseAgent(id);
    this.options.store.setAgentConnected(id, false);
    this.log(`agent ${id} disconnected${released ? `; ${released} job(s) requeued` : ''}`);
    this.emit('agent', { type: 'disconnected', id });
    this.pump();
  }

  private checkHeartbeats(): void {
    const now = Date.now();
    for (const [id, agent] of this.agents) {
      if (now - agent.lastSeen > HEARTBEAT_TIMEOUT_MS + (this.options.heartbeatMs ?? HEARTBEAT_MS)) {
        this.log(`agent ${id} silent for ${now - agent.lastSeen} ms; closing (half-open connection)`);
        const ws = this.sockets.get(id);
        if (ws) {
          this.unregister(id, ws);
          ws.terminate();
        }
      }
    }
  }

  private onAgentMessage(id: string, ws: WebSocket, msg: AgentToHostMessage): void {
    const agent = this.agents.get(id);
    if (!agent) return;
    switch (msg.type) {
      case 'hello':
        this.send(ws, errorMessageFor({ code: 'ZN_PROTOCOL_SEQUENCE', message: 'hello sent twice', details: {} }));
        return;
      case 'heartbeat': {
        // An agent that refused an offer as busy gets no new offer until it reports itself idle again.
        if (msg.state === 'idle' && agent.state === 'busy' && agent.jobId === null) {
          agent.state = 'idle';
          this.pump();
        }
        // Still measuring our job: the lease lives on (a Pi 3B measurement can outlast any fixed lease).
        const f = msg.state === 'busy' && msg.jobId ? this.inflight.get(msg.jobId) : undefined;
        if (f && f.agentId === id) this.options.scheduler.renew(f.jobRowId, f.token);
        return;
      }
      case 'job-accept': {
        const f = this.inflight.get(msg.jobId);
        if (!f || f.agentId !== id || (msg.needsModel && f.isModelSent)) {
          const why = f && f.agentId === id ? 'its model was already sent' : 'no such job was offered to you';
          this.send(ws, errorMessageFor({ code: 'ZN_PROTOCOL_SEQUENCE', message: `job-accept for '${msg.jobId}' ignored: ${why}`, details: {} }, msg.jobId));
          return;
        }
        if (msg.needsModel) {
          f.isModelSent = true;
          this.sendModel(ws, msg.jobId, f.modelSha256);
        }
        return;
      }
      case 'result':
        this.onResult(agent, msg);
        return;
      case 'error':
        this.peerLog.log(id, `agent ${id} reported ${msg.error.code}: ${msg.error.message}`);
        return;
    }
  }

  private sendModel(ws: WebSocket, wireJobId: string, sha256: string): void {
    const bytes = this.options.store.getModel(sha256);
    if (!bytes) {
      this.log(`model ${sha256} missing from the store`);
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += MODEL_CHUNK_BYTES) {
      const payload = bytes.subarray(offset, Math.min(bytes.length, offset + MODEL_CHUNK_BYTES));
      const isLast = offset + payload.length >= bytes.length;
      ws.send(encodeModelChunk({ jobId: wireJobId, sha256, offsetBytes: offset, isLast }, payload));
    }
  }

  private onResult(agent: ConnectedAgent, msg: Extract<AgentToHostMessage, { type: 'result' }>): void {
    const f = this.inflight.get(msg.jobId);
    if (!f || f.agentId !== agent.id) {
      // Unknown, finished, or offered to another agent: a replayed or forged result changes nothing, not even the
      // agent's state (else results for made-up jobs would free an agent to lease every queued job).
      this.peerLog.log(agent.id, `ignored a result for unknown or finished job '${msg.jobId}' from ${agent.id}${f ? ' (offered to another agent)' : ''}`);
      return;
    }
    this.inflight.delete(msg.jobId);
    agent.state = 'idle';
    agent.jobId = null;
    const sched = this.options.scheduler;
    const job = sched.job(f.jobRowId)!;
    let outcome: string;
    let dispatchOverheadMs: number | undefined;
    if (msg.status === 'ok' && msg.measurement.model.sha256 !== f.modelSha256) {
      // A measurement of some other model is not a result for this job, whatever its job id says.
      outcome = sched.fail(f.jobRowId, f.token, `ZN_MODEL_HASH: the result measured model ${msg.measurement.model.sha256.slice(0, 12)}, the job is model ${f.modelSha256.slice(0, 12)}`);
    } else if (msg.status === 'ok') {
      const m = msg.measurement;
      const energyJ = m.energy.status === 'measured' ? m.energy.energyPerInferenceJ : null;
      const wallMs = Date.now() - f.offeredAt;
      dispatchOverheadMs = wallMs - measuredWorkMs(m);
      outcome = sched.complete(f.jobRowId, f.token, {
        agentId: agent.id,
        latencyMedianMs: m.latency.medianMs,
        energyJ,
        result: { ...m, dispatch: { offeredToResultMs: wallMs, overheadMs: dispatchOverheadMs } },
        offeredMs: f.offeredAt,
      });
      if (outcome === 'accepted') agent.completed++;
    } else if (msg.status === 'rejected' || msg.status === 'cancelled') {
      sched.releaseAgent(agent.id);
      outcome = msg.status;
      // Still busy with a job from before a reconnect: offering again at once would loop offer/reject.
      if (msg.status === 'rejected' && msg.error.code === 'ZN_AGENT_BUSY') agent.state = 'busy';
    } else {
      outcome = sched.fail(f.jobRowId, f.token, `${msg.error.code}: ${msg.error.message}`);
    }
    const why = msg.status === 'rejected' ? ` (${msg.error.code})` : '';
    this.log(`job ${job.id} (${job.target}) from ${agent.id}: ${msg.status}${why} -> ${outcome}`);
    this.emit('measurement', {
      jobId: job.id,
      agentId: agent.id,
      target: job.target,
      arch: job.arch,
      outcome,
      ...(msg.status === 'ok' ? { measurement: msg.measurement } : {}),
      ...(dispatchOverheadMs !== undefined ? { dispatchOverheadMs } : {}),
    } satisfies MeasurementEvent);
    this.pump();
  }

  /** Offers queued jobs to idle agents. */
  pump(): void {
    if (!this.activeTargets.length) return;
    for (const [id, agent] of this.agents) {
      if (agent.state !== 'idle') continue;
      const targets = this.activeTargets.filter((t) => agentServesTarget(agent.device, t));
      const lease = this.options.scheduler.lease(id, targets);
      if (!lease) continue;
      // Unique per lease (job id, attempt, random): a stale result from a cut connection cannot match a later lease.
      const wireJobId = `${lease.job.id}.${lease.job.attempts}.${randomBytes(4).toString('hex')}`;
      const spec = JSON.parse(lease.job.settings_json) as JobSpec;
      this.inflight.set(wireJobId, { jobRowId: lease.job.id, token: lease.token, agentId: id, isModelSent: false, offeredAt: Date.now(), modelSha256: lease.job.model_sha256 });
      agent.state = 'busy';
      agent.jobId = wireJobId;
      const size = this.options.store.db.prepare('SELECT size FROM models WHERE sha256 = ?').get(lease.job.model_sha256) as { size: number };
      this.send(this.sockets.get(id)!, {
        v: PROTOCOL_VERSION,
        type: 'job-offer',
        jobId: wireJobId,
        model: { sha256: lease.job.model_sha256, sizeBytes: size.size, label: lease.job.arch.slice(0, 200) },
        inputs: spec.inputs,
        settings: spec.settings,
      });
    }
  }
}

/** Time the agent spent measuring (session creation, warm-up, timed runs, cool-downs are the agent's own work). */
function measuredWorkMs(m: Measurement): number {
  const start = Date.parse(m.startedAt);
  const end = Date.parse(m.finishedAt);
  return Number.isFinite(start) && Number.isFinite(end) ? end - start : m.sessionCreateMs + m.warmup.totalMs + m.timedTotalMs;
}

/** The id an agent is filed under: its name and the start of its device fingerprint. */
export function agentIdOf(device: Pick<DeviceDescriptor, 'name' | 'fingerprint'>): string {
  return `${device.name}@${device.fingerprint.slice(0, 12)}`;
}

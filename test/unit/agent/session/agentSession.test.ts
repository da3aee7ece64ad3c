/**
 * The shared agent session (agent/session/agentSession.ts) against a scripted host in memory: a fake transport whose
 * frames the test writes and whose sent frames it reads back (each checked against the protocol's schema as the
 * host would), and a fake clock, so heartbeats, backoff and timeouts run without waiting.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AgentSession, type AgentSessionOptions, type MeasureOutcome, type ModelStore } from '../../../../agent/session/agentSession.js';
import type { AgentTransport, ConnectTransport, SessionClock, TransportEvents } from '../../../../agent/session/transport.js';
import { CLOSE_CODES, decodeAgentFrame, encodeMessage, encodeModelChunk } from '../../../../shared/protocol/codec.js';
import { HEARTBEAT_TIMEOUT_MS, RECONNECT_BASE_MS } from '../../../../shared/protocol/limits.js';
import type { AgentToHostMessage, HostToAgentMessage, JobOfferMessage, ResultMessage } from '../../../../shared/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../../../shared/protocol/version.js';
import { fakeDescriptor, fakeMeasurement } from '../../../helpers/simAgent.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Timers that fire only when the test advances time. */
class FakeClock implements SessionClock {
  private t = 1_000_000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void; everyMs: number | null }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.timers.set(this.nextId, { at: this.t + ms, fn, everyMs: null });
    return this.nextId++;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  setInterval(fn: () => void, ms: number): unknown {
    this.timers.set(this.nextId, { at: this.t + ms, fn, everyMs: ms });
    return this.nextId++;
  }
  clearInterval(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time forward by `ms`, firing what falls due in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let nextId: number | null = null;
      for (const [id, timer] of this.timers) if (timer.at <= end && (nextId === null || timer.at < this.timers.get(nextId)!.at)) nextId = id;
      if (nextId === null) break;
      const timer = this.timers.get(nextId)!;
      this.t = timer.at;
      if (timer.everyMs === null) this.timers.delete(nextId);
      else timer.at += timer.everyMs;
      timer.fn();
    }
    this.t = end;
  }
}

/** One connection as the host sees it. */
class ScriptedConnection {
  readonly sent: AgentToHostMessage[] = [];
  isOpen = false;
  closedByAgent: { code: number; reason: string } | null = null;
  isTerminated = false;
  pings = 0;
  readonly transport: AgentTransport;

  constructor(private readonly events: TransportEvents, hasPing: boolean) {
    this.transport = {
      isOpen: () => this.isOpen,
      sendText: (text) => {
        // Whatever the agent sends must be a frame the host's own decoder accepts.
        const decoded = decodeAgentFrame(text, false);
        if (!decoded.ok) throw new Error(`agent sent an invalid frame: ${decoded.failure.message}`);
        this.sent.push(decoded.value);
      },
      close: (code, reason) => {
        this.closedByAgent = { code, reason };
        this.end(code, reason);
      },
      terminate: () => {
        this.isTerminated = true;
        this.end(1006, '');
      },
      ...(hasPing ? { ping: () => void this.pings++ } : {}),
    };
  }
  open(): void {
    this.isOpen = true;
    this.events.onOpen();
  }
  say(message: HostToAgentMessage): void {
    this.events.onFrame(encodeMessage(message), false);
  }
  sayRaw(data: string | Uint8Array, isBinary: boolean): void {
    this.events.onFrame(data, isBinary);
  }
  sendModel(offer: JobOfferMessage, bytes: Uint8Array, chunkBytes: number): void {
    for (let offset = 0; offset < bytes.byteLength; offset += chunkBytes) {
      const payload = bytes.subarray(offset, offset + chunkBytes);
      const isLast = offset + chunkBytes >= bytes.byteLength;
      this.sayRaw(encodeModelChunk({ jobId: offer.jobId, sha256: offer.model.sha256, offsetBytes: offset, isLast }, payload), true);
    }
  }
  pong(): void {
    this.events.onPong();
  }
  /** The host (or the network) ends the connection. */
  hostCloses(code: number, reason = ''): void {
    this.end(code, reason);
  }
  of<T extends AgentToHostMessage['type']>(type: T): Extract<AgentToHostMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<AgentToHostMessage, { type: T }> => m.type === type);
  }
  private end(code: number, reason: string): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    // As a real socket: the close event comes later, not inside the call that caused it.
    queueMicrotask(() => this.events.onClose(code, reason));
  }
}

class ScriptedHost {
  readonly connections: ScriptedConnection[] = [];
  constructor(private readonly hasPing = true) {}
  readonly connect: ConnectTransport = (events) => {
    const connection = new ScriptedConnection(events, this.hasPing);
    this.connections.push(connection);
    return connection.transport;
  };
  get last(): ScriptedConnection {
    return this.connections.at(-1)!;
  }
}

/** A measurement the test finishes by hand; cancel() ends it as a real one does (a 'cancelled' outcome). */
class ManualMeasurement {
  readonly done: Promise<MeasureOutcome>;
  isCancelled = false;
  private resolve!: (outcome: MeasureOutcome) => void;
  constructor(readonly model: Uint8Array | null) {
    this.done = new Promise((r) => (this.resolve = r));
  }
  cancel(): void {
    this.isCancelled = true;
    this.resolve({ status: 'cancelled' });
  }
  finish(outcome: MeasureOutcome): void {
    this.resolve(outcome);
  }
}

class MemoryStore implements ModelStore<Uint8Array> {
  readonly models = new Map<string, Uint8Array>();
  list = async (): Promise<string[]> => [...this.models.keys()];
  find = async (sha: string): Promise<Uint8Array | null> => this.models.get(sha) ?? null;
  keep = async (sha: string, bytes: Uint8Array): Promise<Uint8Array> => {
    this.models.set(sha, bytes.slice());
    return bytes;
  };
}

/** Lets the session's promise callbacks (hello, model look-up, outcomes) run. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

const device = fakeDescriptor('session-test');
const modelBytes = new Uint8Array(1000).map((_, i) => (i * 7) % 256);
const offerFor = (jobId: string, bytes = modelBytes, sha = sha256(bytes)): JobOfferMessage => ({
  v: PROTOCOL_VERSION,
  type: 'job-offer',
  jobId,
  model: { sha256: sha, sizeBytes: bytes.byteLength, label: `cell-${jobId}` },
  inputs: [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' }],
  settings: {},
});
const welcome = (heartbeatMs = 2_000): HostToAgentMessage => ({ v: PROTOCOL_VERSION, type: 'welcome', agentId: 'session-test@sim', heartbeatMs, serverTime: new Date(0).toISOString() });
const okOutcome = (offer: JobOfferMessage): MeasureOutcome => ({ status: 'ok', measurement: fakeMeasurement(offer, device, new Date(0), new Date(1)) });

function makeSession(overrides: Partial<AgentSessionOptions<Uint8Array>> = {}, host = new ScriptedHost()) {
  const clock = new FakeClock();
  const store = new MemoryStore();
  const lines: string[] = [];
  const measurements: ManualMeasurement[] = [];
  const results: ResultMessage[] = [];
  const session = new AgentSession<Uint8Array>({
    connect: host.connect,
    hostUrl: 'ws://host.test/agent',
    token: 'secret-token',
    agentVersion: '0.1.0',
    descriptor: () => device,
    models: store,
    maxModelBytes: 10_000,
    selfName: 'agent',
    prepareJob: () => (model) => {
      const m = new ManualMeasurement(model);
      measurements.push(m);
      return m;
    },
    sha256Hex: sha256,
    log: (line) => lines.push(line),
    events: { result: (r) => results.push(r) },
    clock,
    random: () => 1, // the top of the jitter range: delays are exactly base * 2^attempt
    ...overrides,
  });
  return { session, host, clock, store, lines, measurements, results };
}

/** Connects and registers; returns the connection. */
/** The host offers a job and sends its model in chunks of 1000 bytes; the session has handled both. */
async function offerWithModel(host: ScriptedConnection, offer: ReturnType<typeof offerFor>): Promise<void> {
  host.say(offer);
  await settle();
  host.sendModel(offer, modelBytes, 1000);
  await settle();
}

async function registered(t: ReturnType<typeof makeSession>): Promise<ScriptedConnection> {
  t.session.start();
  t.host.last.open();
  await settle();
  t.host.last.say(welcome());
  return t.host.last;
}

describe('agent session: a job from offer to result', () => {
  it('sends hello with its token, device and cached models, then measures an offered model it receives in chunks', async () => {
    const t = makeSession();
    const cachedSha = 'c'.repeat(64);
    t.store.models.set(cachedSha, new Uint8Array(3));
    const host = await registered(t);
    const [hello] = host.of('hello');
    expect(hello).toMatchObject({ token: 'secret-token', agentVersion: '0.1.0', device: { name: 'session-test' }, capabilities: { maxInflightJobs: 1, maxModelBytes: 10_000, cachedModels: [cachedSha] } });
    expect(t.lines).toContain("registered as 'session-test@sim'");

    const offer = offerFor('1');
    host.say(offer);
    await settle();
    expect(host.of('job-accept')).toEqual([{ v: PROTOCOL_VERSION, type: 'job-accept', jobId: '1', needsModel: true }]);
    host.sendModel(offer, modelBytes, 300); // four chunks, the last one short
    await settle();
    expect(t.measurements).toHaveLength(1);
    expect(t.measurements[0]!.model).toEqual(modelBytes);
    expect(t.store.models.get(offer.model.sha256)).toEqual(modelBytes);

    t.measurements[0]!.finish(okOutcome(offer));
    await settle();
    const [result] = host.of('result');
    expect(result).toMatchObject({ jobId: '1', status: 'ok', measurement: { model: { sha256: offer.model.sha256 } } });
    expect(t.results).toEqual([result]);

    // The same model again: held, so no transfer.
    host.say(offerFor('2'));
    await settle();
    expect(host.of('job-accept').at(-1)).toMatchObject({ jobId: '2', needsModel: false });
    expect(t.measurements[1]!.model).toEqual(modelBytes);
  });

  it('an agent without a model store (replay) accepts with needsModel=false and measures with no model', async () => {
    const t = makeSession({ models: null });
    const host = await registered(t);
    host.say(offerFor('7'));
    await settle();
    expect(host.of('job-accept')).toMatchObject([{ jobId: '7', needsModel: false }]);
    expect(t.measurements).toHaveLength(1);
    expect(t.measurements[0]!.model).toBeNull();
  });

  it('rejects an offer while busy (ZN_AGENT_BUSY), one over its cap (ZN_PAYLOAD_TOO_LARGE) and one prepareJob refuses', async () => {
    let isRefusing = false;
    const t = makeSession({
      prepareJob: (offer) => {
        if (isRefusing) throw new Error(`unknown runtime in job '${offer.jobId}'`);
        return (model) => {
          const m = new ManualMeasurement(model);
          t.measurements.push(m);
          return m;
        };
      },
    });
    const host = await registered(t);
    host.say(offerFor('1'));
    await settle();
    host.say(offerFor('2'));
    await settle();
    expect(host.of('result')).toMatchObject([{ jobId: '2', status: 'rejected', error: { code: 'ZN_AGENT_BUSY', message: expect.stringContaining("job '1'") } }]);
    host.say({ v: PROTOCOL_VERSION, type: 'cancel', jobId: '1', reason: 'test' });
    await settle();
    host.say(offerFor('3', new Uint8Array(20_000)));
    expect(host.of('result').at(-1)).toMatchObject({ jobId: '3', status: 'rejected', error: { code: 'ZN_PAYLOAD_TOO_LARGE', message: expect.stringContaining("this agent's cap of 10000 bytes") } });
    isRefusing = true;
    host.say(offerFor('4'));
    expect(host.of('result').at(-1)).toMatchObject({ jobId: '4', status: 'rejected', error: { code: 'ZN_BAD_ARGUMENT', message: "unknown runtime in job '4'" } });
  });

  it('a model whose bytes do not hash to the offered sha256 fails the job with ZN_MODEL_HASH and is not kept', async () => {
    const t = makeSession();
    const host = await registered(t);
    const offer = offerFor('5', modelBytes, 'f'.repeat(64));
    await offerWithModel(host, offer);
    expect(host.of('result')).toMatchObject([{ jobId: '5', status: 'failed', error: { code: 'ZN_MODEL_HASH', message: expect.stringContaining(sha256(modelBytes)) } }]);
    expect(t.store.models.size).toBe(0);
    expect(t.measurements).toHaveLength(0);
  });

  it('a vetModel refusal fails the job before the model is kept or measured', async () => {
    const t = makeSession({ vetModel: () => ({ code: 'ZN_BAD_ARGUMENT', message: 'model has external data' }) });
    const host = await registered(t);
    const offer = offerFor('6');
    await offerWithModel(host, offer);
    expect(host.of('result')).toMatchObject([{ jobId: '6', status: 'failed', error: { code: 'ZN_BAD_ARGUMENT', message: 'model has external data' } }]);
    expect(t.store.models.size).toBe(0);
    expect(t.measurements).toHaveLength(0);
  });
});

describe('agent session: cancel', () => {
  it('a cancel while measuring cancels the measurement and answers cancelled', async () => {
    const t = makeSession();
    const host = await registered(t);
    const offer = offerFor('1');
    await offerWithModel(host, offer);
    host.say({ v: PROTOCOL_VERSION, type: 'cancel', jobId: '1', reason: 'lease expired' });
    await settle();
    expect(t.measurements[0]!.isCancelled).toBe(true);
    expect(host.of('result')).toEqual([{ v: PROTOCOL_VERSION, type: 'result', jobId: '1', status: 'cancelled' }]);
    expect(t.lines).toContain("job '1' cancelled by host: lease expired");
  });

  it('a cancel during the transfer answers at once; a chunk after it is refused as out of sequence', async () => {
    const t = makeSession();
    const host = await registered(t);
    const offer = offerFor('1');
    host.say(offer);
    await settle();
    host.say({ v: PROTOCOL_VERSION, type: 'cancel', jobId: '1', reason: 'test' });
    expect(host.of('result')).toMatchObject([{ jobId: '1', status: 'cancelled' }]);
    host.sendModel(offer, modelBytes, 1000);
    await settle();
    expect(host.of('error')).toMatchObject([{ jobId: '1', error: { code: 'ZN_PROTOCOL_SEQUENCE', message: expect.stringContaining("unexpected model-chunk for job '1'") } }]);
    expect(t.measurements).toHaveLength(0);
  });

  it('a cancel for a job that is not running is answered with an error naming it', async () => {
    const t = makeSession();
    const host = await registered(t);
    host.say({ v: PROTOCOL_VERSION, type: 'cancel', jobId: '42', reason: 'test' });
    expect(host.of('error')).toMatchObject([{ jobId: '42', error: { code: 'ZN_PROTOCOL_SEQUENCE', message: "cancel for job '42', which is not running here" } }]);
  });
});

describe('agent session: connection loss', () => {
  it('reconnects with exponential backoff after the host closes, and resets it after a welcome', async () => {
    const t = makeSession();
    const first = await registered(t);
    first.hostCloses(1006);
    await settle();
    expect(t.lines.at(-1)).toBe(`disconnected (code 1006); reconnecting in ${RECONNECT_BASE_MS} ms`);
    t.clock.advance(RECONNECT_BASE_MS - 1);
    expect(t.host.connections).toHaveLength(1);
    t.clock.advance(1);
    expect(t.host.connections).toHaveLength(2);
    // The second attempt fails before registering: the delay doubles.
    t.host.last.open();
    t.host.last.hostCloses(1011, 'host restarting');
    await settle();
    expect(t.lines.at(-1)).toBe(`disconnected (code 1011, host restarting); reconnecting in ${2 * RECONNECT_BASE_MS} ms`);
    t.clock.advance(2 * RECONNECT_BASE_MS);
    expect(t.host.connections).toHaveLength(3);
    t.host.last.open();
    await settle();
    t.host.last.say(welcome());
    t.host.last.hostCloses(1006);
    await settle();
    expect(t.lines.at(-1)).toBe(`disconnected (code 1006); reconnecting in ${RECONNECT_BASE_MS} ms`);
  });

  it('a result finished while disconnected is kept and sent after the next welcome', async () => {
    const t = makeSession();
    const first = await registered(t);
    const offer = offerFor('1');
    await offerWithModel(first, offer);
    first.hostCloses(1006);
    await settle();
    t.measurements[0]!.finish(okOutcome(offer));
    await settle();
    expect(first.of('result')).toHaveLength(0);
    expect(t.lines).toContain("result for job '1' kept until the host is reachable again");
    t.clock.advance(RECONNECT_BASE_MS);
    const second = t.host.last;
    second.open();
    await settle();
    expect(second.of('result')).toHaveLength(0); // not before the host has taken the hello
    second.say(welcome());
    expect(second.of('result')).toMatchObject([{ jobId: '1', status: 'ok' }]);
    expect(t.results).toHaveLength(1); // reported once, though delivered later
  });

  it('a connection lost during the model transfer fails that job', async () => {
    const t = makeSession();
    const first = await registered(t);
    first.say(offerFor('1'));
    await settle();
    first.hostCloses(1006);
    await settle();
    expect(t.results).toMatchObject([{ jobId: '1', status: 'failed', error: { code: 'ZN_PROTOCOL_SEQUENCE', message: 'connection closed during model transfer' } }]);
  });

  it('drops a host silent past the heartbeat timeout when the transport can ping; never without pings', async () => {
    const t = makeSession();
    const host = await registered(t);
    t.clock.advance(2_000);
    expect(host.of('heartbeat')).toMatchObject([{ state: 'idle', jobId: null }]);
    expect(host.pings).toBe(1);
    host.pong(); // alive: the silence counts from here
    t.clock.advance(HEARTBEAT_TIMEOUT_MS);
    expect(host.isTerminated).toBe(false);
    t.clock.advance(2_000);
    expect(host.isTerminated).toBe(true);
    expect(t.lines).toContain(`host silent for more than ${HEARTBEAT_TIMEOUT_MS} ms; dropping the connection`);

    const quiet = makeSession({}, new ScriptedHost(false));
    const page = await registered(quiet);
    quiet.clock.advance(5 * HEARTBEAT_TIMEOUT_MS);
    expect(page.isTerminated).toBe(false);
    expect(page.of('heartbeat').length).toBeGreaterThanOrEqual(20);
  });

  it('a refused token ends the session where that is final (a page), and is retried where it is not', async () => {
    const states: string[] = [];
    const page = makeSession({ isAuthRefusalFinal: true, selfName: 'page', events: { state: (s) => states.push(s) } });
    page.session.start();
    page.host.last.open();
    await settle();
    page.host.last.hostCloses(CLOSE_CODES.auth, 'ZN_AUTH');
    await settle();
    page.clock.advance(60_000);
    expect(page.host.connections).toHaveLength(1);
    expect(states).toEqual(['connecting', 'refused']);
    expect(page.lines.at(-1)).toBe("the host refused this page's token (ZN_AUTH); pair again with a new code");

    const agent = makeSession({ isAuthRefusalFinal: false });
    agent.session.start();
    agent.host.last.open();
    agent.host.last.hostCloses(CLOSE_CODES.auth, 'ZN_AUTH');
    await settle();
    agent.clock.advance(RECONNECT_BASE_MS);
    expect(agent.host.connections).toHaveLength(2);
  });

  it('stop() cancels the running measurement, closes with 1001 and never reconnects', async () => {
    let isStopped = false;
    const t = makeSession({ onStopped: async () => void (isStopped = true) });
    const host = await registered(t);
    const offer = offerFor('1');
    await offerWithModel(host, offer);
    await t.session.stop();
    expect(t.measurements[0]!.isCancelled).toBe(true);
    expect(host.of('result')).toMatchObject([{ jobId: '1', status: 'cancelled' }]);
    expect(host.closedByAgent).toEqual({ code: CLOSE_CODES.goingAway, reason: 'agent shutting down' });
    expect(isStopped).toBe(true);
    t.clock.advance(120_000);
    expect(t.host.connections).toHaveLength(1);
  });

  it('suspend() abandons the job with the given error, leaves, and comes back only on resume()', async () => {
    const t = makeSession();
    const host = await registered(t);
    host.say(offerFor('1'));
    await settle();
    host.sendModel(offerFor('1'), modelBytes, 1000);
    await settle();
    t.session.suspend('page hidden', { code: 'ZN_PAGE_HIDDEN', message: 'job abandoned: page hidden' });
    await settle();
    expect(host.of('result')).toMatchObject([{ jobId: '1', status: 'rejected', error: { code: 'ZN_PAGE_HIDDEN' } }]);
    expect(t.measurements[0]!.isCancelled).toBe(true); // its 'cancelled' outcome is not sent as well
    expect(host.closedByAgent).toEqual({ code: CLOSE_CODES.goingAway, reason: 'page hidden' });
    t.clock.advance(120_000);
    expect(t.host.connections).toHaveLength(1);
    t.session.resume();
    expect(t.host.connections).toHaveLength(2);
  });
});

describe('agent session: a hostile or broken host', () => {
  it('answers each malformed frame with an error naming what is wrong, and carries on', async () => {
    const t = makeSession();
    const host = await registered(t);
    host.sayRaw('{"v":1,"type":"job-offer"', false);
    host.sayRaw(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), false);
    host.sayRaw(JSON.stringify({ v: PROTOCOL_VERSION, type: 'format-disk', path: '/' }), false);
    host.sayRaw(JSON.stringify({ ...offerFor('9'), jobId: 12 }), false);
    host.sayRaw(new Uint8Array([0, 0]), true);
    const errors = host.of('error').map((e) => e.error);
    expect(errors).toMatchObject([
      { code: 'ZN_PROTOCOL_PARSE', message: expect.stringMatching(/^frame is not JSON: .*starts '\{"v":1,"type":"job-offer"'/) },
      { code: 'ZN_PROTOCOL_PARSE', message: 'text frame is not valid UTF-8' },
      { code: 'ZN_PROTOCOL_SCHEMA', message: expect.stringContaining("unknown message type 'format-disk' from the host") },
      { code: 'ZN_PROTOCOL_SCHEMA', message: expect.stringContaining("'job-offer' message does not match protocol") },
      { code: 'ZN_PROTOCOL_PARSE', message: 'binary frame of 2 bytes is shorter than its 4-byte header length' },
    ]);
    expect(t.lines).toContain('rejected frame from host: ZN_PROTOCOL_PARSE: text frame is not valid UTF-8');
    expect(host.closedByAgent).toBeNull();
    // Still working: the next proper offer is accepted.
    host.say(offerFor('10'));
    await settle();
    expect(host.of('job-accept')).toMatchObject([{ jobId: '10' }]);
  });

  it('closes on a frame of another protocol version, with the close code the codec gives', async () => {
    const t = makeSession();
    const host = await registered(t);
    host.sayRaw(JSON.stringify({ ...welcome(), v: 99 }), false);
    expect(host.of('error')).toMatchObject([{ error: { code: 'ZN_PROTOCOL_VERSION' } }]);
    expect(host.closedByAgent).toEqual({ code: CLOSE_CODES.version, reason: 'ZN_PROTOCOL_VERSION' });
  });

  it('refuses an offer before welcome, and chunks that break the transfer rules', async () => {
    const t = makeSession();
    t.session.start();
    const host = t.host.last;
    host.open();
    await settle();
    host.say(offerFor('1'));
    expect(host.of('error')).toMatchObject([{ jobId: '1', error: { code: 'ZN_PROTOCOL_SEQUENCE', message: 'job-offer before welcome' } }]);
    host.say(welcome());
    const offer = offerFor('2');
    host.say(offer);
    await settle();
    host.sayRaw(encodeModelChunk({ jobId: '2', sha256: offer.model.sha256, offsetBytes: 500, isLast: false }, modelBytes.subarray(0, 100)), true);
    expect(host.of('result')).toMatchObject([{ jobId: '2', status: 'failed', error: { code: 'ZN_PROTOCOL_SEQUENCE', message: 'model-chunk offset 500, expected 0 (chunks must be contiguous and in order)' } }]);
    const big = offerFor('3');
    host.say(big);
    await settle();
    host.sayRaw(encodeModelChunk({ jobId: '3', sha256: big.model.sha256, offsetBytes: 0, isLast: true }, new Uint8Array(1001)), true);
    expect(host.of('result').at(-1)).toMatchObject({ jobId: '3', status: 'failed', error: { code: 'ZN_PAYLOAD_TOO_LARGE', message: 'model transfer reached 1001 bytes, more than the offered 1000 bytes' } });
  });

  it('abandons a transfer the host stops feeding', async () => {
    // A transport without pings, so the host's silence does not end the connection first.
    const t = makeSession({}, new ScriptedHost(false));
    const host = await registered(t);
    const offer = offerFor('1');
    host.say(offer);
    await settle();
    host.sayRaw(encodeModelChunk({ jobId: '1', sha256: offer.model.sha256, offsetBytes: 0, isLast: false }, modelBytes.subarray(0, 300)), true);
    t.clock.advance(59_999);
    expect(host.of('result')).toHaveLength(0);
    t.clock.advance(1);
    expect(host.of('result')).toMatchObject([{ jobId: '1', status: 'failed', error: { code: 'ZN_PROTOCOL_SEQUENCE', message: 'no model-chunk for 60000 ms; transfer abandoned' } }]);
  });
});

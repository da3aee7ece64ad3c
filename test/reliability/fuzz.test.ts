/**
 * Fuzzing both ends of the protocol over real loopback sockets with seeded bad frames (fuzzFrames.ts): malformed,
 * truncated, randomly mutated (structure and bytes), random binary, forged and oversized frames, at least 10,000 per
 * side. For every frame the receiver must do exactly what the protocol says (fuzzFrames.ts `expectFrom*`): answer
 * one typed `error` (same code, same order) or close with the documented code; a sentinel after each batch proves
 * nothing extra was answered. Afterwards both are still up and still work, and nothing from the fuzz was stored.
 * A raw client also shows that a frame announcing more than MAX_MESSAGE_BYTES is refused at its header (1009),
 * before any of its body is sent.
 *
 * Prints a per-category table: `npx vitest run test/reliability/fuzz.test.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { mulberry32 } from '../../host/ir/init.js';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { initWeights } from '../../host/ir/init.js';
import { exportInference } from '../../host/onnx/exportInference.js';
import { decodeAgentFrame, encodeMessage, encodeModelChunk } from '../../shared/protocol/codec.js';
import { MAX_MESSAGE_BYTES, MODEL_CHUNK_BYTES } from '../../shared/protocol/limits.js';
import { AGENT_MESSAGE_TYPES, HOST_MESSAGE_TYPES, type AgentToHostMessage, type HostToAgentMessage, type JobOfferMessage } from '../../shared/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.js';
import { HOST_TOKEN, startInProcessHost, until } from '../helpers/inProcessHost.js';
import { fakeDescriptor, fakeMeasurement, SimAgent } from '../helpers/simAgent.js';
import {
  agentBinaryFrame,
  expectFromAgent,
  expectFromHost,
  hostBinaryFrame,
  makeFrame,
  pick,
  Tally,
  type Category,
  type Expected,
  type FuzzFrame,
} from './fuzzFrames.js';

const SEED = Number(process.env.ZERONAS_FUZZ_SEED ?? 20_260_801);
const FRAMES_PER_SIDE = 10_000;
const BATCH = 250;
const ARCH = '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|';

/** A fixed mix of categories, shuffled by the seed. */
function categoryPlan(rand: () => number, quotas: Record<Category, number>): Category[] {
  const plan = Object.entries(quotas).flatMap(([c, n]) => Array.from({ length: n }, () => c as Category));
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  return plan;
}

interface Reply {
  code: string;
  jobId: string | null;
}

/** A fuzzing connection: what came back (error codes in order) and how it closed. */
class Peer {
  readonly errors: Reply[] = [];
  closeCode: number | null = null;
  /** Frames this connection sent that the host cannot decode (it closes an authenticated peer at a limit). */
  badFrames = 0;
  readonly closed: Promise<number>;

  constructor(
    readonly ws: WebSocket,
    readonly isAuthenticated: boolean,
  ) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
    ws.on('error', () => undefined);
  }

  onError(reply: Reply): void {
    this.errors.push(reply);
  }

  async waitFor(predicate: () => boolean, what: string): Promise<void> {
    await until(() => (predicate() || this.closeCode !== null ? true : undefined), what, 20_000, 5);
  }
}

/** Checks one batch: the error codes answered must equal the expected ones, in order. */
function checkBatch(mismatches: string[], got: Reply[], expected: { exp: Expected; frame: FuzzFrame }[], context: string): void {
  const want = expected.filter((e) => e.exp.reply).map((e) => e.exp.reply!);
  const codes = got.map((r) => r.code);
  if (codes.length === want.length && codes.every((c, i) => c === want[i])) return;
  const at = codes.findIndex((c, i) => c !== want[i]);
  mismatches.push(`${context}: answered ${codes.length} errors, expected ${want.length}; first difference at ${at}: got ${codes[at]} want ${want[at]}`);
}

const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
});

describe('fuzzing the host (HostServer on 127.0.0.1)', () => {
  it(`answers ${FRAMES_PER_SIDE} bad frames as the protocol says, stays up, stores nothing from them, and still records a real result`, async () => {
    const host = await startInProcessHost({ quiet: true });
    try {
      host.server.setTargets(['name:real']);
      const model = randomBytes(3000);
      host.enqueue('name:real', [model]);
      // A well-behaved agent holds a live lease during the fuzz: forged results aim at its job.
      const real = new SimAgent({ url: host.agentUrl, token: HOST_TOKEN, name: 'real', mode: 'hold' });
      await real.connect();
      const offer = (await real.next((m) => m.type === 'job-offer')) as JobOfferMessage;
      await until(() => (real.modelErrors.length === 0 && real.offers.length === 1 ? true : undefined), 'the offer');
      const before = host.snapshot();

      const fuzzerDevice = fakeDescriptor('fuzzer');
      const rand = mulberry32(SEED);
      const now = new Date();
      const liveIds = [offer.jobId, `${offer.jobId.split('.')[0]}.${Number(offer.jobId.split('.')[1]) + 1}`, '1.0', '999.1', 'x'];
      const results = (jobId: string): AgentToHostMessage[] => [
        { v: PROTOCOL_VERSION, type: 'result', jobId, status: 'ok', measurement: fakeMeasurement(offer, fuzzerDevice, now, now) },
        { v: PROTOCOL_VERSION, type: 'result', jobId, status: 'failed', error: { code: 'ZN_MODEL_LOAD', message: 'forged' } },
        { v: PROTOCOL_VERSION, type: 'result', jobId, status: 'rejected', error: { code: 'ZN_AGENT_BUSY', message: 'forged' } },
        { v: PROTOCOL_VERSION, type: 'result', jobId, status: 'cancelled' },
      ];
      const valid: AgentToHostMessage[] = [
        { v: PROTOCOL_VERSION, type: 'hello', token: 'fuzz-not-the-token', agentVersion: 'fuzz', device: fuzzerDevice, capabilities: { maxModelBytes: 1e6, maxInflightJobs: 1, cachedModels: [] } },
        { v: PROTOCOL_VERSION, type: 'heartbeat', sentAt: now.toISOString(), state: 'busy', jobId: offer.jobId },
        { v: PROTOCOL_VERSION, type: 'job-accept', jobId: offer.jobId, needsModel: true },
        { v: PROTOCOL_VERSION, type: 'error', jobId: null, error: { code: 'ZN_IO', message: 'fuzz' } },
        ...results(offer.jobId),
      ];
      const wrongDirection: HostToAgentMessage[] = [
        { v: PROTOCOL_VERSION, type: 'welcome', agentId: 'x', heartbeatMs: 1000, serverTime: now.toISOString() },
        { ...offer },
        { v: PROTOCOL_VERSION, type: 'cancel', jobId: offer.jobId, reason: 'fuzz' },
      ];
      const corpus = {
        valid,
        validTypes: AGENT_MESSAGE_TYPES,
        wrongDirection,
        forged: () => (rand() < 0.15 ? { v: PROTOCOL_VERSION, type: 'job-accept', jobId: pick(rand, liveIds), needsModel: true } : pick(rand, results(pick(rand, liveIds)))),
        binary: hostBinaryFrame,
      };
      const plan = categoryPlan(rand, { malformed: 2_000, truncated: 2_000, mutated: 5_000, binary: 500, forged: 484, oversized: 16 });

      const tally = new Tally();
      const mismatches: string[] = [];
      let peer: Peer | null = null;
      let batch: { exp: Expected; frame: FuzzFrame }[] = [];
      let sentinel = 0;
      let connections = 0;
      const open = async (): Promise<Peer> => {
        connections++;
        const isAuthenticated = rand() < 0.8;
        const ws = new WebSocket(host.agentUrl, { maxPayload: MAX_MESSAGE_BYTES });
        const p = new Peer(ws, isAuthenticated);
        let welcomed = false;
        ws.on('message', (data, isBinary) => {
          if (isBinary) return void mismatches.push('host sent model bytes to the fuzzer');
          const m = JSON.parse(String(data)) as HostToAgentMessage;
          if (m.type === 'error') p.onError({ code: m.error.code, jobId: m.jobId });
          else if (m.type === 'welcome') welcomed = true;
          else mismatches.push(`host sent an unexpected '${m.type}' to the fuzzer`);
        });
        await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
        if (isAuthenticated) {
          ws.send(encodeMessage({ ...(valid[0] as Extract<AgentToHostMessage, { type: 'hello' }>), token: HOST_TOKEN }));
          await p.waitFor(() => welcomed, 'welcome');
        }
        return p;
      };
      const settle = async (p: Peer): Promise<void> => {
        if (p.isAuthenticated) {
          const id = `sentinel-${sentinel++}`;
          p.ws.send(encodeMessage({ v: PROTOCOL_VERSION, type: 'job-accept', jobId: id, needsModel: false }));
          await p.waitFor(() => p.errors.some((e) => e.jobId === id), `the answer to ${id}`);
          const at = p.errors.findIndex((e) => e.jobId === id);
          checkBatch(mismatches, p.errors.slice(0, at), batch, `authenticated batch ending ${id}`);
        } else {
          const want = batch.filter((b) => b.exp.reply).length;
          await p.waitFor(() => p.errors.length >= want, 'unauthenticated answers');
          checkBatch(mismatches, p.errors, batch, 'unauthenticated batch');
        }
        p.errors.length = 0;
        batch = [];
      };

      for (const category of plan) {
        peer ??= await open();
        const frame = makeFrame(rand, category, corpus);
        const exp = expectFromHost(frame, peer.isAuthenticated, peer.badFrames);
        if (exp.reply !== null && exp.decodedType === null) peer.badFrames++;
        peer.ws.send(frame.data, { binary: frame.isBinary });
        tally.add(frame, exp);
        batch.push({ exp, frame });
        if (exp.close !== null) {
          const code = await Promise.race([peer.closed, new Promise<number>((r) => setTimeout(() => r(-1), 20_000))]);
          if (code !== exp.close && code !== exp.altClose) mismatches.push(`${category} frame '${frame.data.subarray(0, 60).toString()}': closed with ${code}, expected ${exp.close}`);
          checkBatch(mismatches, peer.errors, batch, `batch closed by a ${category} frame`);
          batch = [];
          peer = null;
        } else if (batch.length >= BATCH) {
          await settle(peer);
        }
      }
      if (peer) {
        await settle(peer);
        peer.ws.close();
      }
      console.log(`${tally.format(`host fuzz, seed ${SEED}, ${connections} connections`)}\n`);

      expect(tally.total).toBeGreaterThanOrEqual(FRAMES_PER_SIDE);
      expect(mismatches.slice(0, 5)).toEqual([]);
      // Nothing stored: jobs exactly as before (the live lease untouched), no measurement, only the two agents.
      const after = host.snapshot();
      expect(after.jobs).toEqual(before.jobs);
      expect(after.measurements).toEqual([]);
      expect(after.models).toBe(before.models);
      expect(after.agents).toEqual([...before.agents, `fuzzer@${fuzzerDevice.fingerprint.slice(0, 12)}`].sort());
      // Still up and still working: the lease holder's real result is accepted, once.
      real.send(real.resultFor(offer));
      await host.waitForLog(/: ok -> accepted/).catch(() => undefined);
      await until(() => ((host.snapshot().measurements as unknown[]).length === 1 ? true : undefined), 'the real result');
      await real.close();
    } finally {
      await host.close();
    }
  });

  it('refuses a frame that announces more than MAX_MESSAGE_BYTES at its header (1009), before any body byte is sent', async () => {
    const host = await startInProcessHost({ quiet: true });
    try {
      const socket = await rawUpgrade(host.server.port);
      // FIN + text opcode, masked, 64-bit length of 1 GiB; then nothing: the host must not wait for the body.
      const header = Buffer.alloc(14);
      header[0] = 0x81;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(1024 ** 3), 2);
      randomBytes(4).copy(header, 10);
      const reply = collect(socket);
      socket.write(header);
      const closeFrame = await until(() => (reply.bytes.length >= 4 ? reply.bytes : undefined), 'a close frame', 10_000, 5);
      expect(closeFrame[0]).toBe(0x88); // FIN + close
      expect(closeFrame.readUInt16BE(2)).toBe(1009);
      socket.destroy();
    } finally {
      await host.close();
    }
  });
});

/** Opens a raw WebSocket (our own handshake over a TCP socket) to the host's /agent. */
async function rawUpgrade(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => (socket.once('connect', () => resolve()), socket.once('error', reject)));
  const key = randomBytes(16).toString('base64');
  socket.write(`GET /agent HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const head = await new Promise<string>((resolve) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
  });
  expect(head).toMatch(/^HTTP\/1\.1 101/);
  return socket;
}

function collect(socket: Socket): { bytes: Buffer } {
  const out = { bytes: Buffer.alloc(0) };
  socket.on('data', (d: Buffer) => (out.bytes = Buffer.concat([out.bytes, d])));
  socket.on('error', () => undefined);
  return out;
}

/**
 * A host for fuzzing a real agent process: ws on an http server, with the raw TCP socket of each connection kept
 * so raw bytes can be written to the agent as a broken host would.
 */
class AgentFuzzHost {
  readonly http: Server;
  readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly pending: ((c: FuzzTarget) => void)[] = [];
  private readonly ready: FuzzTarget[] = [];
  connections = 0;

  constructor() {
    this.http = createServer((_req, res) => res.writeHead(404).end());
    this.http.on('upgrade', (req, socket, head) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.connections++;
        const target = new FuzzTarget(ws, socket as Socket);
        ws.once('message', (data) => {
          const d = decodeAgentFrame(data as Buffer, false);
          if (!d.ok || d.value.type !== 'hello' || d.value.token !== 'agent-fuzz-token') return void ws.close(1008);
          target.send({ v: PROTOCOL_VERSION, type: 'welcome', agentId: d.value.device.name, heartbeatMs: 2_000, serverTime: new Date().toISOString() });
          const waiter = this.pending.shift();
          if (waiter) waiter(target);
          else this.ready.push(target);
        });
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', () => resolve()));
    return `ws://127.0.0.1:${(this.http.address() as { port: number }).port}/agent`;
  }

  /** The next agent connection that completed hello. */
  next(): Promise<FuzzTarget> {
    const t = this.ready.shift();
    if (t) return Promise.resolve(t);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the agent did not reconnect')), 30_000);
      this.pending.push((c) => (clearTimeout(timer), resolve(c)));
    });
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

class FuzzTarget {
  readonly errors: Reply[] = [];
  readonly results: Extract<AgentToHostMessage, { type: 'result' }>[] = [];
  readonly accepts: string[] = [];
  readonly peer: Peer;

  constructor(
    readonly ws: WebSocket,
    readonly socket: Socket,
  ) {
    this.peer = new Peer(ws, true);
    ws.on('message', (data, isBinary) => {
      const d = decodeAgentFrame(data as Buffer, isBinary);
      if (!d.ok) return;
      const m = d.value;
      if (m.type === 'error') this.peer.onError({ code: m.error.code, jobId: m.jobId });
      else if (m.type === 'result') this.results.push(m);
      else if (m.type === 'job-accept') this.accepts.push(m.jobId);
    });
  }

  send(m: HostToAgentMessage): void {
    this.ws.send(encodeMessage(m));
  }
}

describe('fuzzing a real agent process (zeronas-agent over loopback)', () => {
  it(`answers ${FRAMES_PER_SIDE} bad frames as the protocol says, stays up, caches nothing from them, then measures a real model`, async () => {
    const fuzzHost = new AgentFuzzHost();
    const url = await fuzzHost.listen();
    const cacheDir = mkdtempSync(join(tmpdir(), 'zeronas-fuzz-agent-'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ZERONAS_')));
    let agentLog = '';
    const agent = spawn(process.execPath, ['bin/zeronas-agent.js', '--host', url, '--name', 'fuzz-target', '--cache-dir', cacheDir, '--max-model-mb', '8', '--reconnect-max-ms', '1000'], {
      env: { ...env, ZERONAS_TOKEN: 'agent-fuzz-token' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    procs.push(agent);
    agent.stderr!.on('data', (d: Buffer) => {
      agentLog = (agentLog + d.toString()).slice(-20_000);
    });
    try {
      let target = await fuzzHost.next();
      const rand = mulberry32(SEED ^ 0xa9e47);
      const now = new Date().toISOString();
      const jobIds = ['1.1', 'nb201-1', 'sentinel-0', 'x'];
      const offer: JobOfferMessage = {
        v: PROTOCOL_VERSION,
        type: 'job-offer',
        jobId: '1.1',
        model: { sha256: 'b'.repeat(64), sizeBytes: 1000 },
        inputs: [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' }],
        settings: { minRuns: 5 },
      };
      const valid: HostToAgentMessage[] = [
        { v: PROTOCOL_VERSION, type: 'welcome', agentId: 'fuzz-target', heartbeatMs: 2_000, serverTime: now },
        offer,
        { v: PROTOCOL_VERSION, type: 'cancel', jobId: '1.1', reason: 'fuzz' },
        { v: PROTOCOL_VERSION, type: 'error', jobId: null, error: { code: 'ZN_AUTH', message: 'fuzz' } },
      ];
      const wrongDirection: AgentToHostMessage[] = [
        { v: PROTOCOL_VERSION, type: 'heartbeat', sentAt: now, state: 'idle', jobId: null },
        { v: PROTOCOL_VERSION, type: 'job-accept', jobId: '1.1', needsModel: true },
        { v: PROTOCOL_VERSION, type: 'result', jobId: '1.1', status: 'ok', measurement: fakeMeasurement(offer, fakeDescriptor('x'), new Date(), new Date()) },
      ];
      const corpus = {
        valid,
        validTypes: HOST_MESSAGE_TYPES,
        wrongDirection,
        // Results from a "host" are nonsense to an agent: it must refuse them like any other wrong-direction frame.
        forged: () => pick(rand, wrongDirection),
        binary: (r: () => number) => agentBinaryFrame(r, jobIds),
      };
      const plan = categoryPlan(rand, { malformed: 2_000, truncated: 2_000, mutated: 4_500, binary: 1_000, forged: 496, oversized: 4 });
      const maxCloses = 24;
      let closes = 0;
      let skipped = 0;
      const tally = new Tally();
      const mismatches: string[] = [];
      let batch: { exp: Expected; frame: FuzzFrame }[] = [];
      let sentinel = 0;
      const settle = async (): Promise<void> => {
        const id = `sentinel-${sentinel++}`;
        target.send({ v: PROTOCOL_VERSION, type: 'cancel', jobId: id, reason: 'sentinel' });
        await target.peer.waitFor(() => target.peer.errors.some((e) => e.jobId === id), `the agent's answer to ${id}`);
        const at = target.peer.errors.findIndex((e) => e.jobId === id);
        checkBatch(mismatches, target.peer.errors.slice(0, at), batch, `agent batch ending ${id}`);
        target.peer.errors.length = 0;
        batch = [];
      };

      for (const category of plan) {
        // Closing frames cost a reconnect (backoff): bounded; frames that would start real work are not sent.
        let frame: FuzzFrame;
        let exp: Expected;
        for (let tries = 0; ; tries++) {
          frame = makeFrame(rand, category, corpus);
          exp = expectFromAgent(frame);
          const isTooCostly = (exp.close !== null && (closes >= maxCloses || (category !== 'oversized' && closes >= maxCloses - 4))) || exp.decodedType === 'job-offer';
          if (!isTooCostly || tries > 200) break;
          skipped++;
        }
        if (exp.decodedType === 'job-offer') continue;
        target.ws.send(frame.data, { binary: frame.isBinary });
        tally.add(frame, exp);
        batch.push({ exp, frame });
        if (exp.close !== null) {
          closes++;
          const code = await Promise.race([target.peer.closed, new Promise<number>((r) => setTimeout(() => r(-1), 20_000))]);
          if (code !== exp.close) mismatches.push(`${category} frame: agent closed with ${code}, expected ${exp.close}`);
          checkBatch(mismatches, target.peer.errors, batch, `agent batch closed by a ${category} frame`);
          batch = [];
          target = await fuzzHost.next();
        } else if (batch.length >= BATCH) {
          await settle();
        }
      }
      await settle();

      // The raw oversized header: the agent refuses it at the header (1009) and reconnects.
      target.socket.write(Buffer.from([0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0]));
      expect(await target.peer.closed).toBe(1009);
      target = await fuzzHost.next();
      console.log(`${tally.format(`agent fuzz, seed ${SEED ^ 0xa9e47}, ${fuzzHost.connections} connections, ${skipped} generated frames not sent (would close past the budget of ${maxCloses}, or start a job)`)}\n`);

      expect(tally.total).toBeGreaterThanOrEqual(FRAMES_PER_SIDE);
      expect(mismatches.slice(0, 5)).toEqual([]);
      expect(agent.exitCode).toBeNull();
      expect(target.results).toEqual([]); // no job was started by any of it
      expect(readdirSync(cacheDir)).toEqual([]); // nothing cached from the fuzz

      // Still working: a real NAS-Bench-201 model, sent in chunks, measured.
      const graph = buildNb201Network(ARCH);
      const bytes = exportInference(graph, initWeights(graph, 0), { batch: 1 });
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      target.send({ ...offer, jobId: 'after-fuzz', model: { sha256, sizeBytes: bytes.byteLength }, settings: { threads: 1, warmupRuns: 1, minRuns: 5, minTotalMs: 20, idleBaselineMs: 20, energyMinMs: 20, timeoutMs: 50_000 } });
      await until(() => (target.accepts.includes('after-fuzz') ? true : undefined), 'job-accept', 20_000);
      for (let offset = 0; offset < bytes.byteLength; offset += MODEL_CHUNK_BYTES) {
        const payload = bytes.subarray(offset, Math.min(offset + MODEL_CHUNK_BYTES, bytes.byteLength));
        target.ws.send(encodeModelChunk({ jobId: 'after-fuzz', sha256, offsetBytes: offset, isLast: offset + payload.byteLength >= bytes.byteLength }, payload), { binary: true });
      }
      const result = await until(() => target.results.find((r) => r.jobId === 'after-fuzz'), 'the real result', 50_000);
      expect(result.status, agentLog.slice(-2000)).toBe('ok');
      expect(readdirSync(cacheDir)).toEqual([`${sha256}.onnx`]);
    } finally {
      agent.kill('SIGKILL');
      await fuzzHost.close();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

/**
 * A real agent process (`node bin/zeronas-agent.js`) against the protocol test host on loopback: registration,
 * model transfer with sha256 check, a measurement of a real exported NAS-Bench-201 model, and survival of malformed
 * frames, oversized and corrupt models, a model that fails to load, a job timeout and a dropped connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { initWeights } from '../../host/ir/init.js';
import { exportInference } from '../../host/onnx/exportInference.js';
import { measurement as measurementSchema } from '../../shared/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.js';
import { TestHost, type AgentConnection } from '../helpers/testHost.js';

const ARCH = '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|';
const FAST = {
  threads: 1,
  warmupRuns: 2,
  warmupMinMs: 0,
  minRuns: 10,
  minTotalMs: 50,
  maxTotalMs: 10_000,
  cooldownMs: 0,
  idleBaselineMs: 50,
  energyMinMs: 50,
  timeoutMs: 50_000,
} as const;

let host: TestHost;
let agent: ChildProcess;
let cacheDir: string;
let model: Uint8Array;
let agentLog = '';
let conn: AgentConnection;

function startAgent(url: string): ChildProcess {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ZERONAS_')));
  const child = spawn(
    process.execPath,
    ['bin/zeronas-agent.js', '--host', url, '--name', 'test-agent', '--cache-dir', cacheDir, '--max-model-mb', '8', '--reconnect-max-ms', '1000'],
    { env: { ...env, ZERONAS_TOKEN: 'test-token' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr?.on('data', (d: Buffer) => {
    agentLog += d.toString();
  });
  return child;
}

beforeAll(async () => {
  model = exportInference(buildNb201Network(ARCH), initWeights(buildNb201Network(ARCH), 0), { batch: 1 });
  cacheDir = mkdtempSync(join(tmpdir(), 'zeronas-agent-test-'));
  host = await TestHost.start('test-token');
  agent = startAgent(host.url);
  conn = await host.waitForAgent(0);
});

afterAll(async () => {
  if (agent.exitCode === null) agent.kill('SIGKILL');
  await host?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('zeronas-agent over loopback', () => {
  it('registers with a device descriptor, runtimes and energy meters', () => {
    const hello = conn.hello!;
    expect(hello.v).toBe(PROTOCOL_VERSION);
    expect(hello.device.name).toBe('test-agent');
    expect(hello.device.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(hello.device.cpu.cores).toBeGreaterThan(0);
    expect(hello.device.runtimes.find((r) => r.runtime === 'ort-node')?.isAvailable).toBe(true);
    expect(hello.device.runtimes.find((r) => r.runtime === 'ort-wasm')?.isAvailable).toBe(true);
    expect(hello.device.energyMeters.map((m) => m.method)).toContain('rapl');
    expect(hello.capabilities.maxModelBytes).toBe(8 * 1024 * 1024);
  });

  it('receives a NAS-Bench-201 model by chunks, checks its sha256 and returns a full measurement', async () => {
    const sha = conn.offer('nb201-1', model, { settings: { ...FAST, isProfiling: true, profileRuns: 2 } });
    const accept = await conn.next((m) => m.type === 'job-accept' && m.jobId === 'nb201-1');
    expect(accept).toMatchObject({ needsModel: true });
    const result = await conn.result('nb201-1');
    expect(result.status, agentLog.slice(-2000)).toBe('ok');
    if (result.status !== 'ok') return;
    const m = measurementSchema.parse(result.measurement);
    expect(m.model).toEqual({ sha256: sha, sizeBytes: model.byteLength });
    expect(m.runtime).toMatchObject({ runtime: 'ort-node', version: '1.30.0', executionProvider: 'cpu', requestedExecutionProvider: 'cpu', threads: 1 });
    expect(m.latency.n).toBe(m.samplesMs.length);
    expect(m.latency.n).toBeGreaterThanOrEqual(10);
    expect(m.latency.medianMs).toBeGreaterThan(0);
    expect(m.warmup.runs).toBe(2);
    expect(m.device.fingerprint).toBe(conn.hello!.device.fingerprint);
    expect(m.settings).toMatchObject({ minRuns: 10, threads: 1, isProfiling: true });
    expect(m.energy.status).toBe('unavailable'); // this VM has no RAPL, battery, PMIC, INA or command
    if (m.energy.status === 'unavailable') expect(m.energy.reason).toMatch(/rapl/);
    expect(m.profile?.status).toBe('measured');
    if (m.profile?.status === 'measured') expect(m.profile.opTypes.map((o) => o.opType)).toContain('Conv');
    expect(existsSync(join(cacheDir, `${sha}.onnx`))).toBe(true);
  });

  it('answers malformed frames with typed errors and keeps working', async () => {
    const before = conn.received.length;
    conn.sendRaw('this is not json');
    conn.sendRaw(JSON.stringify({ v: PROTOCOL_VERSION, type: 'job-offer', jobId: 'x' }));
    conn.sendRaw(JSON.stringify({ v: PROTOCOL_VERSION, type: 'launch-missiles' }));
    conn.sendRaw(new Uint8Array([0, 0, 0, 200, 1, 2, 3]), true);
    await conn.next((m) => m.type === 'error' && m.error.code === 'ZN_PROTOCOL_PARSE');
    await conn.next((m) => m.type === 'error' && m.error.code === 'ZN_PROTOCOL_SCHEMA' && /model/.test(m.error.message));
    await conn.next((m) => m.type === 'error' && /launch-missiles/.test(m.error.message));
    // The binary frame's answer comes last; wait for it rather than racing it (bounded: 10 s).
    const errorCount = (): number => conn.received.slice(before).filter((m) => m.type === 'error').length;
    for (let i = 0; i < 200 && errorCount() < 4; i++) await new Promise((r) => setTimeout(r, 50));
    expect(errorCount()).toBeGreaterThanOrEqual(4);
    conn.offer('after-garbage', model, { settings: FAST });
    const accept = await conn.next((m) => m.type === 'job-accept' && m.jobId === 'after-garbage');
    expect(accept).toMatchObject({ needsModel: false }); // cached by sha256
    expect((await conn.result('after-garbage')).status).toBe('ok');
  });

  it('rejects an offered model above its size cap (ZN_PAYLOAD_TOO_LARGE)', async () => {
    conn.offer('too-big', model, { announcedSizeBytes: 9 * 1024 * 1024 });
    const r = await conn.result('too-big');
    expect(r).toMatchObject({ status: 'rejected', error: { code: 'ZN_PAYLOAD_TOO_LARGE' } });
    if (r.status === 'rejected') expect(r.error.message).toMatch(/9437184 bytes/);
  });

  it('fails a transfer that sends more bytes than offered, and one whose sha256 differs', async () => {
    const other = model.slice();
    other[other.length - 1] = other[other.length - 1]! ^ 0xff;
    conn.offer('oversend', other, { extraBytes: 1000 });
    expect(await conn.result('oversend')).toMatchObject({ status: 'failed', error: { code: 'ZN_PAYLOAD_TOO_LARGE' } });
    const corrupt = other.slice();
    corrupt[100] = corrupt[100]! ^ 0xff;
    conn.offer('bad-hash', other, { sentBytes: corrupt });
    const r = await conn.result('bad-hash');
    expect(r).toMatchObject({ status: 'failed', error: { code: 'ZN_MODEL_HASH' } });
  });

  it('reports a model that fails to load as a failed job (ZN_MODEL_LOAD)', async () => {
    const junk = new Uint8Array(4096).map((_, i) => (i * 31) & 0xff);
    conn.offer('junk', junk, { settings: FAST });
    const r = await conn.result('junk');
    expect(r).toMatchObject({ status: 'failed', error: { code: 'ZN_MODEL_LOAD' } });
  });

  it('kills a measurement that overruns its timeout (ZN_JOB_TIMEOUT) and carries on', async () => {
    conn.offer('slow', model, { settings: { ...FAST, minTotalMs: 600_000, maxTotalMs: 600_000, timeoutMs: 4_000 } });
    const r = await conn.result('slow');
    expect(r).toMatchObject({ status: 'failed', error: { code: 'ZN_JOB_TIMEOUT' } });
    conn.offer('after-timeout', model, { settings: FAST });
    expect((await conn.result('after-timeout')).status).toBe('ok');
  });

  it('rejects a second offer while busy (ZN_AGENT_BUSY), honours cancel', async () => {
    conn.offer('long', model, { settings: { ...FAST, minTotalMs: 600_000, maxTotalMs: 600_000 } });
    await conn.next((m) => m.type === 'job-accept' && m.jobId === 'long');
    conn.offer('second', model, { settings: FAST });
    expect(await conn.result('second')).toMatchObject({ status: 'rejected', error: { code: 'ZN_AGENT_BUSY' } });
    conn.send({ v: PROTOCOL_VERSION, type: 'cancel', jobId: 'long', reason: 'test' });
    expect(await conn.result('long')).toMatchObject({ status: 'cancelled' });
  });

  it('reconnects after the connection drops, and after a protocol version mismatch (close 4001)', async () => {
    conn.ws.terminate();
    const second = await host.waitForAgent(1);
    expect(second.hello?.device.fingerprint).toBe(conn.hello!.device.fingerprint);
    expect(second.hello?.capabilities.cachedModels.length).toBeGreaterThan(0);
    second.sendRaw(JSON.stringify({ v: 99, type: 'welcome' }));
    expect((await second.closed).code).toBe(4001);
    const third = await host.waitForAgent(2);
    third.offer('after-reconnect', model, { settings: FAST });
    expect((await third.result('after-reconnect')).status).toBe('ok');
    conn = third;
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((await conn.closed).code).toBe(1001);
  });
});

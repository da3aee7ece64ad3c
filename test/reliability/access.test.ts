/**
 * Who may connect (SECURITY.md): agents need the host token (compared in constant time over sha256 digests) or a
 * token issued for a single-use, expiring pairing code; browsers must come from the host's own origin; the HTTP
 * side serves its fixed table of assets and nothing from the file system; TLS works end to end with a self-signed
 * certificate the agent is told to trust, and is refused by a client that does not trust it.
 * Also covered elsewhere: a bad token on the real CLI (test/integration/orchestrate.test.ts), pairing-code format,
 * rate limit and reuse (test/browser/pairing.test.ts), traversal against the live page (test/browser/browserAgent.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import Database from 'better-sqlite3';
import { tokensEqual } from '../../host/orchestrator/token.js';
import { PairingRegistry } from '../../host/orchestrator/pairing.js';
import { registerBrowserRoutes } from '../../host/orchestrator/browserRoutes.js';
import type { HostToAgentMessage } from '../../shared/protocol/messages.js';
import { HOST_TOKEN, startInProcessHost, startInProcessHostFor, type InProcessHost } from '../helpers/inProcessHost.js';
import { agentEnv, startProcess, type Proc } from '../helpers/processes.js';
import { SimAgent } from '../helpers/simAgent.js';

const timingSafeEqualCalls: [number, number][] = [];
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      timingSafeEqualCalls.push([a.byteLength, b.byteLength]);
      return actual.timingSafeEqual(a, b);
    },
  };
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const host = (options: Parameters<typeof startInProcessHost>[0] = {}): Promise<InProcessHost> => startInProcessHostFor(cleanups, options);

/** Sends hello with `token` and returns how the host answered: welcome, or the error code and close code. */
async function helloWith(url: string, token: string, name = 'probe', profile?: string): Promise<{ welcomed: boolean; error?: string; close?: number }> {
  const agent = new SimAgent({ url, token, name, ...(profile ? { profile } : {}) });
  cleanups.push(() => agent.close());
  try {
    await agent.connect();
    return { welcomed: true };
  } catch {
    const close = (await agent.closed).code;
    const err = agent.received.find((m) => m.type === 'error');
    return { welcomed: false, close, ...(err?.type === 'error' ? { error: err.error.code } : {}) };
  }
}

describe('agent authentication', () => {
  it.each([
    ['a wrong token', 'not-the-token'],
    ['the token minus its last character', HOST_TOKEN.slice(0, -1)],
    ['the token plus one character', `${HOST_TOKEN}x`],
    ['the token in upper case', HOST_TOKEN.toUpperCase()],
  ])('refuses hello with %s (ZN_AUTH, close 1008) and stores no agent', async (_what, token) => {
    const h = await host();
    expect(await helloWith(h.agentUrl, token)).toEqual({ welcomed: false, error: 'ZN_AUTH', close: 1008 });
    expect(h.snapshot().agents).toEqual([]);
  });

  it('accepts the right token', async () => {
    const h = await host();
    expect(await helloWith(h.agentUrl, HOST_TOKEN)).toEqual({ welcomed: true });
  });

  it('answers a hello without a token with a schema error and closes at once (1008): a stranger gets one frame', async () => {
    const h = await host();
    const ws = new WebSocket(h.agentUrl);
    const replies: HostToAgentMessage[] = [];
    ws.on('message', (d) => replies.push(JSON.parse(String(d)) as HostToAgentMessage));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    await new Promise((resolve) => ws.once('open', resolve));
    const probe = new SimAgent({ url: h.agentUrl, token: 'x', name: 'no-token' });
    const noToken = probe.hello('x') as Record<string, unknown>;
    delete noToken.token;
    ws.send(JSON.stringify(noToken));
    expect(await closed).toEqual({ code: 1008, reason: 'hello first' });
    expect(replies).toMatchObject([{ type: 'error', error: { code: 'ZN_PROTOCOL_SCHEMA', message: expect.stringMatching(/'hello' message does not match protocol v1/) } }]);
  });

  it('compares tokens in constant time: both sides hashed to 32 bytes whatever their lengths, never an early exit on length', () => {
    timingSafeEqualCalls.length = 0;
    expect(tokensEqual(HOST_TOKEN, HOST_TOKEN)).toBe(true);
    expect(tokensEqual('', HOST_TOKEN)).toBe(false);
    expect(tokensEqual('x'.repeat(10_000), HOST_TOKEN)).toBe(false);
    expect(tokensEqual(HOST_TOKEN.slice(0, -1), HOST_TOKEN)).toBe(false);
    expect(tokensEqual(42, HOST_TOKEN)).toBe(false); // not a string: refused before any comparison
    expect(timingSafeEqualCalls).toEqual([[32, 32], [32, 32], [32, 32], [32, 32]]);
  });
});

describe('pairing codes over HTTP (single use, expiring) and the tokens they issue', () => {
  it('a code buys one token the WebSocket accepts; the same code again, an expired code and a made-up token are refused', async () => {
    let now = 1_000_000;
    const pairing = new PairingRegistry({ now: () => now, codeTtlMs: 60_000 });
    const h = await host({ server: { acceptToken: (t) => pairing.acceptsToken(t) } });
    registerBrowserRoutes(h.server, { pairing, log: () => undefined });
    const base = `http://127.0.0.1:${h.server.port}`;
    const { code } = pairing.issue();
    const first = await postJson(`${base}/agent/pair`, { code });
    expect(first.status).toBe(200);
    const token = (first.body as { token: string }).token;
    expect(await helloWith(h.agentUrl, token, 'paired', 'browser-wasm')).toEqual({ welcomed: true });
    // The paired token is a browser's: a Node agent profile presenting it is refused.
    expect(await helloWith(h.agentUrl, token, 'paired-node', 'x86-desktop')).toEqual({ welcomed: false, error: 'ZN_AUTH', close: 1008 });
    const again = await postJson(`${base}/agent/pair`, { code });
    expect(again).toMatchObject({ status: 401, body: { code: 'ZN_AUTH', message: expect.stringMatching(/already used/) } });
    const late = pairing.issue();
    now += 60_001;
    expect(await postJson(`${base}/agent/pair`, { code: late.code })).toMatchObject({ status: 401, body: { code: 'ZN_AUTH' } });
    expect(await helloWith(h.agentUrl, 'A'.repeat(43), 'forger')).toEqual({ welcomed: false, error: 'ZN_AUTH', close: 1008 });
    // A page from another origin may not pair at all.
    const { code: fresh } = pairing.issue();
    expect(await postJson(`${base}/agent/pair`, { code: fresh }, { origin: 'http://evil.example' })).toMatchObject({ status: 403 });
  });
});

describe('browser origin check on the WebSocket upgrade', () => {
  it.each([
    ['a foreign origin', 'http://evil.example', 403],
    ['the opaque origin "null"', 'null', 403],
    ['the host\'s own origin', 'SELF', 101],
    ['an origin on the allow list', 'http://lab.example:8080', 101],
    ['no origin (a Node agent, not a browser)', undefined, 101],
  ])('%s -> %s', async (_what, origin, status) => {
    const h = await host({ server: { allowedOrigins: ['http://lab.example:8080'] } });
    const o = origin === 'SELF' ? `http://127.0.0.1:${h.server.port}` : origin;
    const ws = new WebSocket(h.agentUrl, o === undefined ? {} : { origin: o });
    const got = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    ws.terminate();
    expect(got).toBe(status);
  });
});

describe('the HTTP side serves only its own assets', () => {
  const TRAVERSALS = [
    '/../package.json',
    '/agent/../package.json',
    '/agent/ort/../../package.json',
    '/agent/ort/..%2f..%2fpackage.json',
    '/agent/ort/%2e%2e/%2e%2e/package.json',
    '/agent/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/agent/ort/ort.min.mjs/../../../../package.json',
    '/agent/ort/ort.min.mjs%00.txt',
    '/agent/ort/ort.min.js',
    '/agent/page.ts',
    '/agent/index.html',
    '//etc/passwd',
    '/etc/passwd',
    '/agent/..\\..\\package.json',
    '/agent/ort/....//....//package.json',
    '/store.sqlite',
  ];
  it(`answers 404 to ${TRAVERSALS.length} traversal and guessing paths, 200 to its own asset`, async () => {
    const h = await host();
    registerBrowserRoutes(h.server, { pairing: new PairingRegistry(), log: () => undefined });
    for (const path of TRAVERSALS) {
      const r = await rawGet(h.server.port, path);
      expect({ path, status: r.status }).toEqual({ path, status: 404 });
      expect(r.body).not.toMatch(/"name": "zeronas"|root:x:0:0|SQLite format/);
    }
    expect((await rawGet(h.server.port, '/agent/ort/ort.min.mjs')).status).toBe(200);
  });
});

describe('TLS (orchestrate --tls-cert/--tls-key, self-signed certificate)', () => {
  it('a real agent that trusts the certificate completes the run over wss://; clients that do not trust it are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
    const config = join(dir, 'config');
    const run = join(dir, 'run');
    const hostProc: Proc = startProcess('zeronas.js', [
      'orchestrate', '--targets', 'x86-desktop', '--port', '0', '--listen', '127.0.0.1', '--tls-cert', cert, '--tls-key', key,
      '--proxy', 'params', '--max-scored', '4', '--measure', '2', '--rounds', '1', '--min-runs', '5', '--min-time-ms', '30', '--out', run,
    ], { ZERONAS_CONFIG_DIR: config });
    cleanups.push(() => hostProc.kill('SIGKILL'));
    const [, port] = await hostProc.waitFor(/host listening on wss:\/\/127\.0\.0\.1:(\d+)/);
    const url = `wss://127.0.0.1:${port}/agent`;
    const token = readFileSync(join(config, 'token'), 'utf8').trim();

    // Not trusted: the TLS handshake fails before any protocol byte; plain ws:// to a TLS port gets no upgrade.
    const untrusted = await connectError(url);
    expect(untrusted).toMatch(/self-signed certificate|unable to verify/i);
    expect(await connectError(`ws://127.0.0.1:${port}/agent`)).toMatch(/socket hang up|ECONNRESET|Unexpected server response: 400|Parse Error/i);

    const agent = startProcess('zeronas-agent.js', ['--host', url, '--name', 'tls-agent', '--device', 'x86-desktop', '--cache-dir', join(dir, 'cache')], {
      ...agentEnv(token),
      NODE_EXTRA_CA_CERTS: cert,
    });
    cleanups.push(() => agent.kill('SIGKILL'));
    expect(await hostProc.exited, hostProc.output().slice(-3000)).toBe(0);
    expect(agent.output()).toMatch(/connected to wss:\/\/127\.0\.0\.1/);
    const db = new Database(join(run, 'store.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT agent_id, run_id FROM measurements').all() as { agent_id: string; run_id: string }[];
    db.close();
    // 2 measurements in the loop, then 3 verification rounds of the returned architecture (runs <id>.verify-<r>).
    expect(rows.filter((r) => !r.run_id.includes('.verify-')).length).toBe(2);
    expect(rows.length).toBe(2 + 3);
    expect(rows.every((r) => r.agent_id.startsWith('tls-agent@'))).toBe(true);
  });
});

function connectError(url: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => (ws.terminate(), resolve('opened')));
    ws.on('error', (err) => resolve(err.message));
  });
}

function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    body: await r.json().catch(() => null),
  }));
}

/** GET with the path sent exactly as written (fetch would normalise `..`). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('latin1').slice(0, 1000)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

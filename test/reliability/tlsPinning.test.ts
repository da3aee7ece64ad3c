/**
 * Encrypted transport without a CA (SECURITY.md "Transport"): the host's own self-signed certificate, created on first
 * use; the attach command carrying its fingerprint; agents pinning it. Attacked as a machine in the middle would: a
 * hostile TLS server with another certificate, which a pinned agent must not send a single frame (its token) to.
 * Host and agents are real processes on loopback.
 */
import { readFileSync, statSync, mkdtempSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { certificateFingerprint, loadOrCreateHostCertificate } from '../../host/orchestrator/hostCertificate.js';
import { startLiveHost, type LiveHost } from '../helpers/hostAttack.js';
import { agentEnv, startProcess, type Proc } from '../helpers/processes.js';
import { REPO_ROOT } from '../helpers/runCli.js';

let host: LiveHost;
const procs: Proc[] = [];
beforeAll(async () => {
  host = await startLiveHost({ extraArgs: ['--tls'] });
}, 240_000);
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await host?.close();
});

const hostCertPath = (): string => join(host.runDir, '..', 'config', 'tls', 'cert.pem');

describe('the host on its own certificate', () => {
  it('creates it on first use (key 0600), serves wss:// to its own local agent, and prints an attach command that pins it', async () => {
    expect(host.proc.output()).toMatch(/host listening on wss:\/\/127\.0\.0\.1:\d+/);
    expect(statSync(join(hostCertPath(), '..', 'key.pem')).mode & 0o777).toBe(0o600);
    const pin = certificateFingerprint(readFileSync(hostCertPath(), 'utf8'));
    const [, command] = /waiting for an agent for target 'name:ghost': in a zeronas checkout on the device: (.+)/.exec(host.proc.output())!;
    expect(command).toBe(`ZERONAS_TOKEN=${host.token} node bin/zeronas-agent.js --host wss://127.0.0.1:${host.port}/agent --pin ${pin} --name ghost`);
    expect(host.proc.output()).toContain(`sudo bash install-agent.sh --bundle zeronas-agent-arm64.tgz --host wss://127.0.0.1:${host.port}/agent --pin ${pin} --token ${host.token} --name ghost`);
    // Pasted as printed, it attaches.
    const shell = spawn('bash', ['-c', command!], { cwd: REPO_ROOT, detached: true, stdio: 'ignore' });
    try {
      await host.proc.waitFor(/agent ghost@\w+ connected/, 120_000);
    } finally {
      process.kill(-shell.pid!, 'SIGKILL');
    }
  });

  it('sets the dashboard session cookie Secure under TLS', async () => {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: host.port, path: `/?token=${encodeURIComponent(host.token)}`, rejectUnauthorized: false }, resolve);
      req.on('error', reject);
      req.end();
    });
    res.resume();
    expect(res.statusCode).toBe(303);
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
  });
});

describe('a machine in the middle (a TLS server with another certificate)', () => {
  it('gets nothing from an agent that pins the host: no hello, no token; nor from one that verifies against the CAs', async () => {
    const other = await loadOrCreateHostCertificate(join(mkdtempSync(join(tmpdir(), 'zeronas-mitm-')), 'tls'));
    const https = createServer({ cert: readFileSync(other.certPath), key: readFileSync(other.keyPath) });
    const wss = new WebSocketServer({ server: https, path: '/agent' });
    const frames: string[] = [];
    let upgrades = 0;
    wss.on('connection', (ws) => {
      upgrades++;
      ws.on('message', (d) => frames.push(String(d)));
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', () => r()));
    const url = `wss://127.0.0.1:${(https.address() as AddressInfo).port}/agent`;
    try {
      const pin = certificateFingerprint(readFileSync(hostCertPath(), 'utf8'));
      const cache = mkdtempSync(join(tmpdir(), 'zeronas-mitm-agent-'));
      const pinned = startProcess('zeronas-agent.js', ['--host', url, '--pin', pin, '--name', 'pinned', '--cache-dir', cache, '--reconnect-max-ms', '500'], agentEnv(host.token));
      const unpinned = startProcess('zeronas-agent.js', ['--host', url, '--name', 'unpinned', '--cache-dir', cache, '--reconnect-max-ms', '500'], agentEnv(host.token));
      procs.push(pinned, unpinned);
      await pinned.waitFor(/refusing the host at .*: its certificate is sha256:[0-9a-f]{64}, not the pinned/, 60_000);
      await unpinned.waitFor(/connection error: .*(self-signed|certificate)/i, 60_000);
      await new Promise((r) => setTimeout(r, 3_000)); // several reconnect attempts
      expect(frames).toEqual([]);
      expect(frames.join('')).not.toContain(host.token);
      expect(upgrades).toBeGreaterThan(0); // the agents did reach the impostor (so the silence is theirs)
      pinned.kill('SIGKILL');
      unpinned.kill('SIGKILL');
    } finally {
      wss.close();
      https.close();
    }
  });

  it('a malformed --pin, or --pin with a ws:// host, is refused at start, naming the value', async () => {
    const bad = startProcess('zeronas-agent.js', ['--host', 'wss://127.0.0.1:1/agent', '--pin', 'sha256:abc'], agentEnv(host.token));
    procs.push(bad);
    expect(await bad.exited).not.toBe(0);
    expect(bad.output()).toContain("--pin 'sha256:abc' is not a certificate fingerprint");
    const plain = startProcess('zeronas-agent.js', ['--host', 'ws://127.0.0.1:1/agent', '--pin', `sha256:${'a'.repeat(64)}`], agentEnv(host.token));
    procs.push(plain);
    expect(await plain.exited).not.toBe(0);
    expect(plain.output()).toContain('--pin needs a wss:// host');
  });
});

describe('the default transport', () => {
  it.each([
    [['--listen', '0.0.0.0'], 'wss'],
    [['--listen', '0.0.0.0', '--plain-ws'], 'ws'],
    [['--listen', '127.0.0.1'], 'ws'],
  ])('orchestrate %j listens on %s://', async (args, scheme) => {
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-transport-'));
    const p = startProcess('zeronas.js', ['orchestrate', '--targets', 'name:nobody', '--port', '0', '--proxy', 'params', '--wait-agents', '60', '--out', join(dir, 'run'), ...args], { ZERONAS_CONFIG_DIR: join(dir, 'config') });
    procs.push(p);
    const [, got] = await p.waitFor(/host listening on (wss?):\/\//, 120_000);
    p.kill('SIGKILL');
    expect(got).toBe(scheme);
  });
});

/**
 * Attacks on a live `zeronas orchestrate` process (SECURITY.md "Who can connect", "What the host promises under
 * attack"): strangers without a token, a token holder, and what the host prints. The host is a real process on
 * loopback with its embedded local agent attached, waiting for an agent that never comes; attackers connect from other
 * loopback addresses (127.0.0.0/8 is all local) so per-address limits apply to them and not to the honest agents.
 * The figures (stall, log bytes, RSS) before and after the hardening come from scripts/bench/hostAttacks.ts.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.js';
import { deepJsonAttack, honestHelloMs, invalidFrameFlood, openSocket, startLiveHost, type LiveHost } from '../helpers/hostAttack.js';
import { REPO_ROOT } from '../helpers/runCli.js';
import { SimAgent } from '../helpers/simAgent.js';

let host: LiveHost;
beforeAll(async () => {
  host = await startLiveHost();
}, 240_000);
afterAll(async () => {
  await host?.close();
});

/** True once the host dropped its honest local agent (for silence, or any other reason). */
const localAgentDropped = (): boolean => new RegExp(`agent ${host.localAgentId} (disconnected|silent)`).test(host.proc.output());
const settle = (ms = 500): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('strangers (no token)', () => {
  it('eight 4 MiB deep-JSON frames before hello: every socket is cut unparsed, an honest agent is welcomed meanwhile, none is dropped', async () => {
    const attack = deepJsonAttack(host.port, 8);
    const helloMs = await honestHelloMs(host.port, host.token, 'honest-during-deep-json');
    const codes = await attack;
    console.log(`deep JSON x8: close codes ${codes.join(',')}; honest hello -> welcome ${helloMs.toFixed(0)} ms`);
    // 1006: destroyed once more than one small frame arrived; 1009: ws refused the frame at its header first.
    for (const c of codes) expect([1006, 1009]).toContain(c);
    await settle(3_000); // more than a heartbeat: a stalled host would be dropping its agent now
    expect(localAgentDropped()).toBe(false);
  });

  it("an invalid-frame flood: each socket is closed at its first bad frame, and the log grows by a few KB per attacking address", async () => {
    const before = host.logBytes();
    const attackers = 4;
    const flood = await invalidFrameFlood(host.port, 4_000, attackers);
    await settle();
    const grown = host.logBytes() - before;
    console.log(`invalid-frame flood: ${flood.frames} frames over ${flood.connections} connections from ${attackers} addresses; log +${grown} bytes`);
    expect(flood.connections).toBeGreaterThan(attackers); // the host closed them, they came back
    expect(grown).toBeLessThan(attackers * 8 * 1024);
    expect(readFileSync(host.logPath, 'utf8')).toMatch(/is causing more than \d+ log lines/);
    expect(localAgentDropped()).toBe(false);
  });

  it('a ninth unauthenticated socket from one address is refused (1013); an honest agent from another address still gets in', async () => {
    const idle = await Promise.all(Array.from({ length: 8 }, () => openSocket(host.port, '127.0.0.50')));
    const ninth = await openSocket(host.port, '127.0.0.50');
    expect(await ninth.closed).toBe(1013);
    await honestHelloMs(host.port, host.token, 'honest-beside-idle-strangers', '127.0.0.51');
    for (const s of idle) s.ws.terminate();
  });
});

describe('log forging', () => {
  const evilName = 'mallory\n2026-12-06T00:00:00.000Z agent root@000000000000 connected\u001b]0;pwned\u0007\u001b[2J\u202e';

  it('names and messages with newlines and escape sequences are logged inert, on one line, in the file and on the terminal', async () => {
    // Without a token: the refusal names the agent.
    const stranger = new SimAgent({ url: `ws://127.0.0.1:${host.port}/agent`, token: 'not-the-token', name: evilName, profile: null, wsOptions: { localAddress: '127.0.0.60' } });
    await expect(stranger.connect()).rejects.toThrow();
    // With a token: registered under that name, then an error message carrying an OSC 52 clipboard write.
    const holder = new SimAgent({ url: `ws://127.0.0.1:${host.port}/agent`, token: host.token, name: evilName, profile: null, wsOptions: { localAddress: '127.0.0.61' } });
    await holder.connect();
    holder.send({ v: PROTOCOL_VERSION, type: 'error', jobId: null, error: { code: 'ZN_IO', message: 'disk\nfull\u001b]52;c;ZWNobyBwd25lZA==\u0007' } });
    await host.proc.waitFor(/reported ZN_IO: disk\\nfull/);
    await holder.close();
    await settle();
    const file = readFileSync(host.logPath, 'utf8');
    const terminal = host.proc.output();
    for (const text of [file, terminal]) {
      // eslint-disable-next-line no-control-regex -- the point: no raw control character from a peer
      expect(text).not.toMatch(/[\u001b\u0007\u202e]/);
      expect(text).not.toMatch(/^(\S+ )?2026-12-06T00:00:00\.000Z agent root/m); // no forged line
      expect(text).toContain('mallory\\n2026-12-06T00:00:00.000Z agent root@000000000000 connected\\x1b]0;pwned\\x07\\x1b[2J\\u{202e}');
    }
    expect(file).toMatch(/refused agent 'mallory\\n.*' from 127\.0\.0\.60: bad token/);
  });
});

describe('a token holder', () => {
  it("naming a live agent's id is refused; the live agent keeps its place", async () => {
    const [, prefix] = /^local@(\w{12})$/.exec(host.localAgentId)!;
    const impostor = new SimAgent({ url: `ws://127.0.0.1:${host.port}/agent`, token: host.token, name: 'local', profile: null, wsOptions: { localAddress: '127.0.0.70' } });
    impostor.device.fingerprint = prefix!.padEnd(64, '0');
    await expect(impostor.connect()).rejects.toThrow(/closed before welcome: 1008/);
    expect(impostor.received).toMatchObject([{ type: 'error', error: { code: 'ZN_AUTH', message: expect.stringMatching(/is connected and heard from/) } }]);
    await settle(3_000);
    expect(localAgentDropped()).toBe(false);
  });

  it('a frame nested deeper than the limit is answered ZN_PROTOCOL_PARSE, unparsed, and the agent stays connected', async () => {
    const agent = new SimAgent({ url: `ws://127.0.0.1:${host.port}/agent`, token: host.token, name: 'deep-sender', profile: null, wsOptions: { localAddress: '127.0.0.71' } });
    await agent.connect();
    agent.ws.send('['.repeat(500_000) + ']'.repeat(500_000));
    await agent.next((m) => m.type === 'error' && /deeper than/.test(m.error.message));
    expect(agent.ws.readyState).toBe(agent.ws.OPEN);
    await agent.close();
  });
});

describe('a DNS-rebinding page (a foreign name resolving to this machine)', () => {
  /** A request to the live host with the Host (and Origin) headers a rebinding page's browser would send. */
  const request = (path: string, hostHeader: string, extra: Record<string, string> = {}, method = 'GET'): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: host.port, path, method, headers: { host: hostHeader, ...extra } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });

  it('is refused on every route and on the WebSocket upgrade (403), while the served addresses still answer', async () => {
    const evil = `rebind.evil.example:${host.port}`;
    expect(await request('/', evil)).toBe(403);
    expect(await request('/agent/pair', evil, { origin: `http://${evil}`, 'content-type': 'application/json' }, 'POST')).toBe(403);
    const upgrade = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', origin: `http://${evil}` };
    expect(await request('/agent', evil, upgrade)).toBe(403);
    expect(await request('/', `127.0.0.1:${host.port}`)).not.toBe(403);
    expect(await request('/', `localhost:${host.port}`)).not.toBe(403);
    expect(await request('/', `127.0.0.1:${host.port + 1}`)).toBe(403); // another port is another host
  });
});

describe('what the host prints', () => {
  it('the attach hint works as pasted: /agent, the token in the environment (not on the command line); the log has no token and is private', async () => {
    const [, command] = /waiting for an agent for target 'name:ghost': in a zeronas checkout on the device: (.+)/.exec(host.proc.output())!;
    expect(command).toMatch(/^ZERONAS_TOKEN=\S+ node bin\/zeronas-agent\.js --host ws:\/\/127\.0\.0\.1:\d+\/agent --name ghost$/);
    expect(command).not.toContain('--token');
    // Never `npx zeronas-agent`: outside a checkout npx fetches that name from the public registry and runs it.
    expect(host.proc.output()).not.toMatch(/npx (--\S+ )*zeronas-agent/);
    // The installer's way, complete: the bundle that `zeronas agent-bundle` makes, host, token and name.
    expect(host.proc.output()).toMatch(
      new RegExp(`waiting for an agent for target 'name:ghost': on a Raspberry Pi .*'npx zeronas agent-bundle --arch arm64'.* sudo bash install-agent\\.sh --bundle zeronas-agent-arm64\\.tgz --host ws://127\\.0\\.0\\.1:${host.port}/agent --token ${host.token} --name ghost\n`),
    );
    const file = readFileSync(host.logPath, 'utf8');
    expect(file).not.toContain(host.token);
    expect(file).toContain("waiting for an agent for target 'name:ghost': in a zeronas checkout on the device: ZERONAS_TOKEN=<token> node bin/zeronas-agent.js");
    expect(statSync(host.logPath).mode & 0o777).toBe(0o600);
    // Paste it: a shell in the project runs exactly the printed command, and the host gets its `ghost`.
    const shell = spawn('bash', ['-c', command!], { cwd: REPO_ROOT, detached: true, stdio: 'ignore' });
    try {
      await host.proc.waitFor(/agent ghost@\w+ connected/, 120_000);
    } finally {
      process.kill(-shell.pid!, 'SIGKILL');
    }
  });
});

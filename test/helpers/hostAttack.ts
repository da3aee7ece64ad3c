/**
 * Attacks on a live host, shared by test/reliability/hostAttacks.test.ts and scripts/bench/hostAttacks.ts: a real
 * `zeronas orchestrate` process (its embedded local agent attached, waiting for an agent `ghost` that never comes,
 * so it stays up), floods of frames from strangers, and an honest agent timing its hello -> welcome.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { MAX_MESSAGE_BYTES } from '../../shared/protocol/limits.js';
import { startProcess, type Proc } from './processes.js';
import { SimAgent } from './simAgent.js';

export interface LiveHost {
  proc: Proc;
  port: number;
  token: string;
  runDir: string;
  logPath: string;
  /** The embedded agent's id, as the host logged it. */
  localAgentId: string;
  rssKiB(): number;
  logBytes(): number;
  close(): Promise<void>;
}

/**
 * Starts `zeronas orchestrate --targets local,name:ghost` (or `targets`) on 127.0.0.1 with a private config dir (its
 * own token).
 * `bin`: the zeronas entry point to run (default this checkout's; the benchmark passes an older checkout's).
 */
export async function startLiveHost(options: { bin?: string; extraArgs?: string[]; targets?: string } = {}): Promise<LiveHost> {
  const root = mkdtempSync(join(tmpdir(), 'zeronas-attack-'));
  const runDir = join(root, 'run');
  const config = join(root, 'config');
  const targets = options.targets ?? 'local,name:ghost';
  const args = ['orchestrate', '--targets', targets, '--listen', '127.0.0.1', '--port', '0', '--wait-agents', '3600', '--proxy', 'params', '--out', runDir, ...(options.extraArgs ?? [])];
  const proc = startProcess(options.bin ?? 'zeronas.js', args, { ZERONAS_CONFIG_DIR: config });
  const [, port] = await proc.waitFor(/host listening on wss?:\/\/127\.0\.0\.1:(\d+)/, 120_000);
  const localAgentId = targets.split(',').includes('local') ? (await proc.waitFor(/agent (local@\w+) connected/, 120_000))[1]! : '';
  if (targets.split(',').includes('name:ghost')) await proc.waitFor(/waiting for an agent for target 'name:ghost'/, 120_000);
  const token = readFileSync(join(config, 'token'), 'utf8').trim();
  const logPath = join(runDir, 'orchestrate.log');
  return {
    proc,
    port: Number(port),
    token,
    runDir,
    logPath,
    localAgentId,
    rssKiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.child.pid}/status`, 'utf8'))?.[1] ?? Number.NaN),
    logBytes: () => statSync(logPath).size,
    close: async () => {
      proc.kill('SIGKILL');
      await proc.exited;
    },
  };
}

/** Opens a raw WebSocket to the host's /agent (optionally from another loopback address) and resolves once open. */
export function openSocket(port: number, localAddress?: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/agent`, { maxPayload: MAX_MESSAGE_BYTES, ...(localAddress ? { localAddress } : {}) });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed }));
    void closed.then((code) => reject(new Error(`closed before open (${code})`)));
  });
}

/** `connections` strangers each send one frame of `bytes` bytes of nested arrays before any hello; close codes. */
export async function deepJsonAttack(port: number, connections = 8, bytes = 4 * 1024 * 1024 - 64): Promise<number[]> {
  const half = Math.floor(bytes / 2);
  const frame = '['.repeat(half) + ']'.repeat(half);
  const sockets = await Promise.all(Array.from({ length: connections }, (_, i) => openSocket(port, `127.0.0.${10 + i}`)));
  for (const s of sockets) s.ws.send(frame);
  return Promise.all(sockets.map((s) => s.closed));
}

/**
 * Strangers sending 7-byte invalid frames as fast as the socket takes them for `durationMs`, reconnecting whenever the
 * host closes them; returns frames sent and connections opened.
 */
export async function invalidFrameFlood(port: number, durationMs: number, attackers = 1): Promise<{ frames: number; connections: number }> {
  const deadline = Date.now() + durationMs;
  let frames = 0;
  let connections = 0;
  const one = async (i: number): Promise<void> => {
    while (Date.now() < deadline) {
      let s: Awaited<ReturnType<typeof openSocket>>;
      try {
        s = await openSocket(port, `127.0.1.${1 + i}`);
      } catch {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      connections++;
      let isOpen = true;
      void s.closed.then(() => (isOpen = false));
      while (isOpen && Date.now() < deadline) {
        s.ws.send('garbage');
        frames++;
        // Let the socket drain (and the close arrive) before the next burst.
        if (frames % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      s.ws.terminate();
    }
  };
  await Promise.all(Array.from({ length: attackers }, (_, i) => one(i)));
  return { frames, connections };
}

/** An honest agent (host token, a profile no target wants) connects; ms from socket open to welcome. */
export async function honestHelloMs(port: number, token: string, name: string, localAddress = '127.0.0.2'): Promise<number> {
  const agent = new SimAgent({ url: `ws://127.0.0.1:${port}/agent`, token, name, profile: null, wsOptions: { localAddress } });
  let openedAt = 0;
  const welcomed = agent.connect();
  agent.ws.once('open', () => (openedAt = performance.now()));
  try {
    await welcomed;
    return performance.now() - openedAt;
  } finally {
    await agent.close();
  }
}

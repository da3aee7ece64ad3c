/**
 * A real Redis for queue tests: Debian's `redis-server` on a free loopback port, its data in a temporary folder,
 * every write fsynced to its append-only file (so "acknowledged" means "on disk"), optionally with a password.
 * `crash()` kills it with SIGKILL and `start()` brings it back on the same port and data.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  port: number;
  url: string;
  start(): Promise<void>;
  crash(): Promise<void>;
  stop(): Promise<void>;
  log(): string;
}

export function requireRedisServer(): void {
  if (spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status !== 0) {
    throw new Error("redis-server is missing: the scoring-queue tests need it (Debian: apt-get install redis-server; `npm test` installs it when run as root)");
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** `tls`: PEM files; Redis then speaks TLS only (plain port off) and `url` is rediss://localhost:<port>. */
export async function startRedis(o: { password?: string; tls?: { certFile: string; keyFile: string } } = {}): Promise<RedisServer> {
  requireRedisServer();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'zeronas-redis-'));
  let child: ChildProcess | undefined;
  let out = '';
  const start = async (): Promise<void> => {
    const listen = o.tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', o.tls.certFile, '--tls-key-file', o.tls.keyFile, '--tls-auth-clients', 'no'] : ['--port', String(port)];
    const args = [...listen, '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--protected-mode', 'yes', ...(o.password ? ['--requirepass', o.password] : [])];
    const c = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 30_000);
      const onData = (d: Buffer): void => {
        out += d.toString();
        if (/Ready to accept connections/.test(out.slice(-2000))) {
          clearTimeout(timer);
          resolve();
        }
      };
      c.stdout!.on('data', onData);
      c.stderr!.on('data', onData);
      c.on('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)));
    });
  };
  const killWith = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill(signal);
    await exited;
  };
  await start();
  return {
    port,
    url: o.tls ? `rediss://localhost:${port}` : `redis://127.0.0.1:${port}`,
    start: async () => {
      out += '\n--- restart ---\n';
      await start();
    },
    crash: () => killWith('SIGKILL'),
    stop: async () => {
      await killWith('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => out,
  };
}

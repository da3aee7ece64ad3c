/**
 * A TCP proxy on 127.0.0.1 that sits between agents and the host and breaks connections on demand, the way
 * networks do: `cut()` resets every open connection at once (both ends see ECONNRESET); `freeze()` stops carrying
 * bytes in both directions without closing anything, so each end holds a half-open socket that only a heartbeat
 * timeout can detect. New connections after either are carried normally.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket;
}

export class FaultProxy {
  private readonly pairs = new Set<Pair>();
  private readonly frozen = new Set<Pair>();
  connections = 0;

  private readonly server: Server;
  port = 0;

  private constructor(targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      const pair = { client, upstream };
      this.connections++;
      this.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const drop = (): void => {
        if (this.frozen.has(pair)) return; // a frozen link stays half-open until the test ends
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      for (const s of [client, upstream]) {
        s.on('error', () => undefined);
        s.on('close', drop);
      }
    });
  }

  static async start(targetPort: number): Promise<FaultProxy> {
    const proxy = new FaultProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', () => resolve()));
    proxy.port = (proxy.server.address() as { port: number }).port;
    return proxy;
  }

  /** Resets every open connection (RST to both ends). */
  cut(): number {
    const n = this.pairs.size;
    for (const p of [...this.pairs]) {
      this.pairs.delete(p);
      p.client.resetAndDestroy();
      p.upstream.resetAndDestroy();
    }
    return n;
  }

  /** Stops carrying bytes on every open connection, closing nothing: both ends are left with half-open sockets. */
  freeze(): number {
    for (const p of this.pairs) {
      this.frozen.add(p);
      p.client.unpipe(p.upstream);
      p.upstream.unpipe(p.client);
      p.client.pause();
      p.upstream.pause();
    }
    const n = this.pairs.size;
    this.pairs.clear();
    return n;
  }

  async close(): Promise<void> {
    for (const p of [...this.pairs, ...this.frozen]) {
      p.client.destroy();
      p.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

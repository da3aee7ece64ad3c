/**
 * Where the scoring queue lives: a `redis://` or `rediss://` (TLS) URL from `--queue`, with its password taken from
 * the environment or a file, never from the command line (`ps` shows command lines to every user of the machine).
 * Any Redis 6.2+ or Valkey works; BullMQ keeps its keys under `bull:<queue name>:`.
 */
import { readFileSync } from 'node:fs';
import type { RedisOptions } from 'ioredis';
import { ZeronasError } from '../../shared/errors.js';

export const DEFAULT_QUEUE_NAME = 'zeronas-scoring';
export const PASSWORD_ENV = 'ZERONAS_REDIS_PASSWORD';
export const CA_ENV = 'ZERONAS_REDIS_CA';

export interface QueueEndpoint {
  /** The URL as given, safe to print: it never holds a password. */
  url: string;
  queueName: string;
  /** ioredis options for BullMQ's Queue, Worker and QueueEvents connections. */
  connection: RedisOptions;
}

export interface QueueEndpointOptions {
  /** A file holding the password (first line); else ZERONAS_REDIS_PASSWORD. */
  passwordFile?: string | undefined;
  queueName?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export function parseQueueEndpoint(text: string, o: QueueEndpointOptions = {}): QueueEndpoint {
  const env = o.env ?? process.env;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--queue '${text}' is not a URL; expected redis://<host>:<port>[/<db>] or rediss://… for TLS`, { queue: text });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--queue '${text}' has scheme '${url.protocol}'; expected redis:// or rediss:// (TLS)`, { queue: text });
  }
  if (url.password) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--queue must not carry a password (\`ps\` shows command lines to every user): give the URL without it and set ${PASSWORD_ENV}, or --queue-password-file <file>`, {});
  }
  const db = url.pathname && url.pathname !== '/' ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new ZeronasError('ZN_BAD_ARGUMENT', `--queue '${text}': the database '${url.pathname.slice(1)}' is not a non-negative integer`, { queue: text });
  const port = url.port ? Number(url.port) : 6379;
  const queueName = o.queueName ?? DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9._-]+$/.test(queueName)) throw new ZeronasError('ZN_BAD_ARGUMENT', `--queue-name '${queueName}' may hold letters, digits, '.', '_' and '-' only`, { queueName });
  let password: string | undefined;
  if (o.passwordFile !== undefined) {
    try {
      password = readFileSync(o.passwordFile, 'utf8').split(/\r?\n/)[0];
    } catch (err) {
      throw new ZeronasError('ZN_IO', `cannot read --queue-password-file '${o.passwordFile}': ${(err as Error).message}`, { path: o.passwordFile }, err);
    }
  } else if (env[PASSWORD_ENV]) password = env[PASSWORD_ENV];
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const connection: RedisOptions = {
    host,
    port,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(password ? { password } : {}),
    // BullMQ workers block on Redis; they must wait through an outage rather than fail their commands.
    maxRetriesPerRequest: null,
    connectTimeout: 10_000,
    retryStrategy: (times) => Math.min(250 * times, 2_000),
  };
  if (url.protocol === 'rediss:') {
    const caFile = env[CA_ENV];
    let ca: Buffer | undefined;
    if (caFile) {
      try {
        ca = readFileSync(caFile);
      } catch (err) {
        throw new ZeronasError('ZN_IO', `cannot read ${CA_ENV} '${caFile}': ${(err as Error).message}`, { path: caFile }, err);
      }
    }
    connection.tls = { servername: host, ...(ca ? { ca } : {}) };
  }
  return { url: `${url.protocol}//${url.username ? `${url.username}@` : ''}${url.host}${db ? `/${db}` : ''}`, queueName, connection };
}

/**
 * Connects once, without retries, and says plainly why it cannot: refused, unresolvable, a password missing or
 * wrong. Called before a run or a worker starts, so a typo fails in seconds instead of retrying forever.
 */
export async function checkQueueReachable(endpoint: QueueEndpoint, timeoutMs = 10_000): Promise<{ redisVersion: string }> {
  const { Redis } = await import('ioredis'); // loaded only when a queue is used
  const client = new Redis({ ...endpoint.connection, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 1, connectTimeout: timeoutMs, enableReadyCheck: false });
  // Errors during connection setup (AUTH refused) surface from connect() only as 'Connection is closed': keep the
  // event's message to say what really happened. The ready check is off so PING reports NOAUTH itself.
  let setupError: Error | undefined;
  client.on('error', (err: Error) => (setupError = err));
  try {
    await client.connect();
    await client.ping();
    const info = await client.info('server');
    const redisVersion = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
    return { redisVersion };
  } catch (err) {
    throw queueError(endpoint, setupError && /Connection is closed/.test((err as Error).message) ? setupError : err);
  } finally {
    client.disconnect();
  }
}

/** A Redis client error, as a ZeronasError that names the URL and what to do. */
export function queueError(endpoint: QueueEndpoint, err: unknown): ZeronasError {
  const message = (err as Error).message ?? String(err);
  if (/NOAUTH|requires authentication/i.test(message)) {
    return new ZeronasError('ZN_AUTH', `the scoring queue at ${endpoint.url} needs a password: set ${PASSWORD_ENV} or give --queue-password-file <file>`, { queue: endpoint.url }, err);
  }
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message)) {
    return new ZeronasError('ZN_AUTH', `the scoring queue at ${endpoint.url} refused the password (from ${PASSWORD_ENV} or --queue-password-file): give the one in the server's requirepass (or its ACL user's, with redis://<user>@host)`, { queue: endpoint.url }, err);
  }
  if (/certificate|CERT_|self.signed|Hostname\/IP does not match/i.test(message)) {
    return new ZeronasError('ZN_QUEUE_UNAVAILABLE', `the scoring queue at ${endpoint.url} presented a TLS certificate this machine does not trust (${message}): give its CA as ${CA_ENV}=<pem file> (or NODE_EXTRA_CA_CERTS)`, { queue: endpoint.url }, err);
  }
  const tlsHint = endpoint.connection.tls ? '' : ' (a Redis that only speaks TLS wants rediss://)';
  return new ZeronasError('ZN_QUEUE_UNAVAILABLE', `cannot reach the scoring queue at ${endpoint.url}: ${message}; is Redis running there${tlsHint}?`, { queue: endpoint.url }, err);
}

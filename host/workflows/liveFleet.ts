/**
 * `zeronas fleet --host <url>`: asks a running host which agents it knows right now (GET /fleet,
 * host/orchestrator/fleetView.ts).
 *
 * The URL is any address the host prints: `wss://10.0.0.5:8765/agent` (the attach command), `https://10.0.0.5:8765/`
 * (the dashboard), or `ws://127.0.0.1:8765`; only scheme, host and port are used. The token comes from
 * `--token-file`, else ZERONAS_TOKEN, else this machine's own token file (a host on this machine): never from the
 * command line, which `ps` shows to every user. Under TLS the certificate is checked before any byte of the request
 * (and so the token) is sent: against `--pin sha256:<hex>` as the host prints it, like zeronas-agent, or else against
 * the CAs Node trusts (NODE_EXTRA_CA_CERTS for your own).
 */
import { request, type IncomingMessage } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ZeronasError } from '../../shared/errors.js';
import { FLEET_PATH, FLEET_VIEW_VERSION, type LiveFleet } from '../orchestrator/fleetView.js';
import { tokenPath } from '../orchestrator/token.js';

const DEFAULT_TIMEOUT_MS = 15_000;
/** A fleet of many agents with three results each is well under this; more is not a fleet view. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** The fleet endpoint of a host address, as http(s); refuses anything else, naming it. */
export function fleetUrlOf(hostUrl: string): URL {
  let url: URL;
  try {
    url = new URL(hostUrl);
  } catch {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `--host '${hostUrl}' is not an address; give the host's address as it prints it, e.g. wss://192.168.1.10:8765/agent`, { host: hostUrl });
  }
  const scheme = { 'ws:': 'http:', 'http:': 'http:', 'wss:': 'https:', 'https:': 'https:' }[url.protocol];
  if (!scheme) throw new ZeronasError('ZN_BAD_ARGUMENT', `--host '${hostUrl}' must start with ws://, wss://, http:// or https://`, { host: hostUrl });
  if (url.username || url.password) throw new ZeronasError('ZN_BAD_ARGUMENT', `--host must not carry credentials in the address; the token comes from ZERONAS_TOKEN or --token-file`, {});
  return new URL(`${scheme}//${url.host}${FLEET_PATH}`);
}

/** `sha256:<64 hex>` from what people paste (upper case, colons), or undefined. The agent's --pin takes the same forms. */
export function parsePin(text: string): string | undefined {
  const hex = text.trim().replace(/^sha256:/i, '').replace(/:/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? `sha256:${hex}` : undefined;
}

export interface FleetToken {
  token: string;
  /** Where it came from, for messages (never the token itself). */
  source: string;
}

/** The token to present: --token-file, else ZERONAS_TOKEN, else this machine's host token file when it exists. */
export function readFleetToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env): FleetToken {
  const fromFile = (path: string, source: string): FleetToken => {
    let token: string;
    try {
      token = readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new ZeronasError('ZN_BAD_ARGUMENT', `cannot read the token file '${path}': ${(err as Error).message}`, { path });
    }
    if (!token) throw new ZeronasError('ZN_BAD_ARGUMENT', `the token file '${path}' is empty`, { path });
    return { token, source };
  };
  if (tokenFile !== undefined) return fromFile(tokenFile, `--token-file ${tokenFile}`);
  const fromEnv = env.ZERONAS_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, source: 'ZERONAS_TOKEN' };
  const own = tokenPath();
  if (existsSync(own)) return fromFile(own, `this machine's token file ${own}`);
  throw new ZeronasError(
    'ZN_AUTH',
    `no token to present to the host: set ZERONAS_TOKEN to the host's token (\`zeronas token\` on the host) or give --token-file <file holding it>; this machine has no token file at ${own}`,
    {},
  );
}

const CERT_ERRORS = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED']);

/** A connected socket to the host; under TLS, one whose certificate passed (the pin, or the CAs) before it is returned. */
function openSocket(url: URL, pin: string | null, timeoutMs: number): Promise<Socket> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve, reject) => {
    const fail = (err: ZeronasError): void => {
      socket.destroy();
      reject(err);
    };
    const unreachable = (err: NodeJS.ErrnoException): ZeronasError => {
      if (err.code && CERT_ERRORS.has(err.code)) {
        return new ZeronasError(
          'ZN_AUTH',
          `the host at ${url.host} presented a certificate this machine does not trust (${err.code}); a zeronas host serves its own: pass --pin sha256:<hex> as the host prints it (\`zeronas token --pin\` on the host)`,
          { host: url.host },
        );
      }
      return new ZeronasError('ZN_IO', `cannot reach the host at ${url.host}: ${err.message}; is \`zeronas orchestrate\` (or \`zeronas lut\`) running there, and is this its address and port?`, { host: url.host });
    };
    let socket: Socket;
    if (url.protocol === 'https:') {
      const tls: TLSSocket = tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: pin === null });
      socket = tls;
      tls.once('secureConnect', () => {
        if (pin) {
          const cert = tls.getPeerCertificate();
          const presented = cert?.fingerprint256 ? parsePin(cert.fingerprint256) : undefined;
          if (presented !== pin) {
            fail(
              new ZeronasError(
                'ZN_AUTH',
                `refusing the host at ${url.host}: its certificate is ${presented ?? 'missing'}, not the pinned ${pin} (another machine in the way, or the host's certificate was replaced: then use the --pin it prints); the token was not sent`,
                { host: url.host, presented: presented ?? null, pin },
              ),
            );
            return;
          }
        }
        tls.setTimeout(0);
        resolve(tls);
      });
    } else {
      if (pin) {
        reject(new ZeronasError('ZN_BAD_ARGUMENT', `--pin needs a wss:// or https:// host, got --host for ${url.host} without TLS`, {}));
        return;
      }
      socket = netConnect({ host, port });
      socket.once('connect', () => {
        socket.setTimeout(0);
        resolve(socket);
      });
    }
    socket.setTimeout(timeoutMs, () => fail(new ZeronasError('ZN_IO', `the host at ${url.host} did not answer within ${timeoutMs / 1000} s`, { host: url.host })));
    socket.once('error', (err: NodeJS.ErrnoException) => fail(unreachable(err)));
  });
}

/** Reads a response body up to a limit. */
function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_RESPONSE_BYTES) {
        res.destroy();
        reject(new ZeronasError('ZN_BAD_DATA', `the host's fleet answer exceeds ${MAX_RESPONSE_BYTES} bytes`, {}));
      } else chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** Asks the host at `hostUrl` for its fleet. */
export async function queryLiveFleet(options: { hostUrl: string; token: FleetToken; pin: string | null; timeoutMs?: number }): Promise<LiveFleet & { host: string }> {
  const url = fleetUrlOf(options.hostUrl);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const socket = await openSocket(url, options.pin, timeoutMs);
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      { createConnection: () => socket, host: url.hostname, port: url.port, path: url.pathname, method: 'GET', headers: { authorization: `Bearer ${options.token.token}`, accept: 'application/json', connection: 'close' } },
      (res) => readBody(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), reject),
    );
    let isTimedOut = false;
    req.setTimeout(timeoutMs, () => {
      isTimedOut = true;
      req.destroy();
    });
    req.on('error', (err) =>
      reject(new ZeronasError('ZN_IO', isTimedOut ? `the host at ${url.host} did not answer within ${timeoutMs / 1000} s` : `the fleet request to ${url.host} failed: ${err.message}`, { host: url.host })),
    );
    req.end();
  }).finally(() => socket.destroy());
  if (status === 401) {
    throw new ZeronasError('ZN_AUTH', `the host at ${url.host} refused the token from ${options.token.source}; use that host's token (\`zeronas token\` on the host, given through ZERONAS_TOKEN or --token-file)`, { host: url.host });
  }
  if (status === 404) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `the server at ${url.host} has no fleet view (HTTP 404 for ${FLEET_PATH}): is it a zeronas host of this version?`, { host: url.host });
  }
  if (status !== 200) throw new ZeronasError('ZN_IO', `the host at ${url.host} answered HTTP ${status} for ${FLEET_PATH}: ${body.slice(0, 200)}`, { host: url.host, status });
  let fleet: LiveFleet;
  try {
    fleet = JSON.parse(body) as LiveFleet;
  } catch {
    throw new ZeronasError('ZN_BAD_DATA', `the host at ${url.host} answered ${FLEET_PATH} with something that is not JSON`, { host: url.host });
  }
  if (fleet?.fleetView !== FLEET_VIEW_VERSION || !Array.isArray(fleet.agents)) {
    throw new ZeronasError('ZN_BAD_DATA', `the host at ${url.host} answered fleet view version ${String(fleet?.fleetView)}; this zeronas reads version ${FLEET_VIEW_VERSION}`, { host: url.host });
  }
  return { host: `${url.protocol}//${url.host}`, ...fleet };
}

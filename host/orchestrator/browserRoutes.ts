/**
 * What the host serves to browser agents, all under /agent (the WebSocket upgrade at /agent is handled by ws and
 * never reaches these routes):
 *   GET  /agent, /agent/               the page (agent/browser/index.html)
 *   GET  /agent/page.js                agent/browser/page.ts, bundled by esbuild on first request, kept in memory
 *   GET  /agent/measureWorker.js       agent/browser/measureWorker.ts, likewise
 *   GET  /agent/ort/<file>             onnxruntime-web's ESM build and its wasm, read from node_modules (no CDN: the
 *                                      page works on an offline LAN)
 *   POST /agent/pair                   {code} -> {token}: one-time pairing code for an agent token (pairing.ts)
 * Nothing else: files come from a fixed table, so no request path ever reaches the file system. Every response
 * carries COOP same-origin + COEP require-corp (cross-origin isolation: wasm threads and the finer timer) and CORP
 * same-origin, with exact content types and nosniff.
 *
 * Also here: the pairing desk of a run. Exactly one code is live at a time; when it is used or expires, a new one
 * is issued and announced (URL per browser target, code, expiry) so the next device can join.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGET_ALIASES, reachableBaseUrls } from './fleet.js';
import { PairingRegistry, type PairingCode } from './pairing.js';
import type { HostServer } from './server.js';

const BROWSER_DIR = fileURLToPath(new URL('../../agent/browser/', import.meta.url));
/** onnxruntime-web's build with the wasm (JSEP: wasm + WebGPU) backend; its glue and binary sit beside it. */
const ORT_FILES = ['ort.min.mjs', 'ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'] as const;
const MAX_PAIR_BODY_BYTES = 1024;

const SECURITY_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self' ws: wss:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function ortDistDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm'));
}

/** Bundles the page and its worker once (esbuild, imported lazily so hosts without browser targets never load it). */
async function bundle(): Promise<Map<string, string>> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { page: join(BROWSER_DIR, 'page.ts'), measureWorker: join(BROWSER_DIR, 'measureWorker.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    write: false,
    outdir: '/agent',
    logLevel: 'silent',
    legalComments: 'none',
  });
  return new Map(result.outputFiles.map((f) => [`/agent/${f.path.split('/').pop()}`, f.text]));
}

export interface BrowserRoutes {
  /** Builds the bundles now (optional: the first request does it otherwise). */
  warm(): Promise<void>;
}

export function registerBrowserRoutes(server: HostServer, options: { pairing: PairingRegistry; log: (line: string) => void; onPaired?: () => void }): BrowserRoutes {
  let bundles: Promise<Map<string, string>> | null = null;
  const getBundles = (): Promise<Map<string, string>> => {
    bundles ??= bundle().catch((err: unknown) => {
      bundles = null;
      throw new Error(`cannot bundle the browser agent page: ${(err as Error).message}`, { cause: err });
    });
    return bundles;
  };
  const dist = ortDistDir();
  const ortFiles = new Map<string, { path: string; type: string }>(
    ORT_FILES.map((name) => [`/agent/ort/${name}`, { path: join(dist, name), type: name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript; charset=utf-8' }]),
  );
  const html = readFileSync(join(BROWSER_DIR, 'index.html'), 'utf8');

  server.route(async (req, res, url) => {
    const path = url.pathname;
    if (path !== '/agent' && !path.startsWith('/agent/')) return false;
    if (path === '/agent/pair') {
      await handlePair(req, res, options);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/agent' || path === '/agent/') {
      send(res, 200, 'text/html; charset=utf-8', req.method === 'HEAD' ? '' : html, { 'content-security-policy': PAGE_CSP, 'cache-control': 'no-store' });
      return true;
    }
    if (path === '/agent/page.js' || path === '/agent/measureWorker.js') {
      const code = (await getBundles()).get(path);
      if (code === undefined) return false;
      send(res, 200, 'text/javascript; charset=utf-8', req.method === 'HEAD' ? '' : code, { 'cache-control': 'no-store' });
      return true;
    }
    const file = ortFiles.get(path);
    if (!file) return false;
    const size = statSync(file.path).size;
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.type, 'content-length': String(size), 'cache-control': 'public, max-age=3600' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file.path).pipe(res);
    return true;
  });
  return { warm: async () => void (await getBundles()) };
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), { 'cache-control': 'no-store' });
}

async function handlePair(req: IncomingMessage, res: ServerResponse, options: { pairing: PairingRegistry; log: (line: string) => void; onPaired?: () => void }): Promise<void> {
  if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'POST' });
  // JSON only: a cross-site form cannot send it without a CORS preflight, which this host never answers.
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    return sendJson(res, 415, { code: 'ZN_BAD_ARGUMENT', message: 'send the code as application/json {"code": "..."}' });
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !sameHost(origin, req.headers.host)) {
    return sendJson(res, 403, { code: 'ZN_AUTH', message: `origin ${origin} may not pair with this host` });
  }
  let raw: string;
  try {
    raw = await readBody(req, MAX_PAIR_BODY_BYTES);
  } catch {
    return sendJson(res, 413, { code: 'ZN_PAYLOAD_TOO_LARGE', message: `pairing request larger than ${MAX_PAIR_BODY_BYTES} bytes` });
  }
  let code: unknown;
  try {
    code = (JSON.parse(raw) as { code?: unknown }).code;
  } catch {
    return sendJson(res, 400, { code: 'ZN_BAD_ARGUMENT', message: 'pairing request is not JSON' });
  }
  const client = req.socket.remoteAddress ?? 'unknown';
  const result = options.pairing.redeem(code, client);
  if (!result.ok) {
    options.log(`pairing refused for ${client}: ${result.reason}`);
    return sendJson(res, result.reason === 'too-many-attempts' ? 429 : 401, { code: 'ZN_AUTH', message: result.message });
  }
  options.log(`browser at ${client} paired (one-time code used)`);
  sendJson(res, 200, { token: result.token, wsPath: '/agent' });
  options.onPaired?.();
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        reject(new Error('too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The pairing desk of a run

export function isBrowserTarget(target: string): boolean {
  return (TARGET_ALIASES[target] ?? target).startsWith('browser');
}

/** Base URLs a device on the network can open: the listen address, or every non-internal IPv4 address for 0.0.0.0. */
export function pageBaseUrls(listen: string, port: number, isTls: boolean): string[] {
  return reachableBaseUrls(listen, port, isTls ? 'https' : 'http');
}

export interface PairingAnnouncement {
  code: PairingCode;
  /** One page URL (with the code) per browser target of the run. */
  urls: { target: string; url: string }[];
}

export interface PairingDesk {
  registry: PairingRegistry;
  stop(): void;
}

/**
 * Keeps exactly one live pairing code while the run lasts: issues one now, and a fresh one whenever the current
 * one is used or expires, each announced with its page URLs.
 */
export function openPairingDesk(
  server: HostServer,
  options: { targets: string[]; listen: string; isTls: boolean; registry?: PairingRegistry; log: (line: string) => void; announce: (a: PairingAnnouncement) => void },
): PairingDesk {
  const registry = options.registry ?? new PairingRegistry();
  const targets = options.targets.filter(isBrowserTarget);
  const base = pageBaseUrls(options.listen, server.port, options.isTls)[0]!;
  const issue = (): void => {
    const code = registry.issue();
    options.announce({
      code,
      urls: targets.map((t) => ({ target: t, url: `${base}/agent?${t === 'browser' ? '' : `target=${encodeURIComponent(t)}&`}code=${code.code}` })),
    });
  };
  const routes = registerBrowserRoutes(server, { pairing: registry, log: options.log, onPaired: issue });
  void routes.warm().catch((err: Error) => options.log(`browser agent page: ${err.message}`));
  issue();
  const timer = setInterval(() => {
    if (registry.liveCodes() === 0) issue();
  }, 5_000);
  timer.unref();
  return { registry, stop: () => clearInterval(timer) };
}

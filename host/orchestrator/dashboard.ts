/**
 * The live dashboard of a run, on the host's own port:
 *   GET /?token=<host token>   checks the token (constant time), sets a session cookie and redirects to `/`, so
 *                              the token leaves the address bar and the history
 *   GET /                      the page (session cookie required; otherwise a 401 page saying how to get in)
 *   GET /dashboard/app.js      the page's script (host/report/dashboardPage.ts, bundled by esbuild on first use)
 *   GET /dashboard/state       one snapshot as JSON (dashboardState.ts)
 *   GET /dashboard/events      Server-Sent Events: a `state` event on every agent or measurement event, and at
 *                              least once a second
 * Everything but the 401 page needs the session cookie. Sessions are random, kept in memory for the run, and
 * compared with tokensEqual. Pages carry a strict CSP (own script only) and no-store.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { HostServer } from './server.js';
import { tokensEqual } from './token.js';
import { DashboardStateBuilder, type DashboardRun, type DashboardScoringQueue } from './dashboardState.js';

const PAGE_SCRIPT = fileURLToPath(new URL('../report/dashboardPage.ts', import.meta.url));
const COOKIE = 'zeronas_dashboard';
const PUSH_INTERVAL_MS = 1_000;
const MAX_SESSIONS = 64;

const HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
} as const;

const CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface Dashboard {
  /** Progress of the run's current phase (the same numbers as the CLI's bars). */
  setPhase(phase: string, done: number, total: number): void;
  /** A log line for the page's tail. */
  note(line: string): void;
  /** The scoring queue's latest figures (runs with --queue). */
  setScoringQueue(stats: DashboardScoringQueue): void;
  /** Marks the run finished, pushes a last snapshot and closes the event streams. */
  stop(): void;
}

async function bundlePage(): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [PAGE_SCRIPT],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  return result.outputFiles[0]!.text;
}

function cookieValue(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...HEADERS, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}

export function openDashboard(server: HostServer, options: { token: string; store: ConstructorParameters<typeof DashboardStateBuilder>[1]; run: DashboardRun; log: (line: string) => void }): Dashboard {
  const state = new DashboardStateBuilder(server, options.store, options.run);
  const sessions: string[] = [];
  const streams = new Set<ServerResponse>();
  let script: Promise<string> | null = null;
  const getScript = (): Promise<string> => {
    script ??= bundlePage().catch((err: unknown) => {
      script = null;
      throw new Error(`cannot bundle the dashboard page: ${(err as Error).message}`, { cause: err });
    });
    return script;
  };
  void getScript().catch((err: Error) => options.log(`dashboard: ${err.message}`));

  const hasSession = (req: IncomingMessage): boolean => {
    const presented = cookieValue(req);
    return presented !== undefined && sessions.some((s) => tokensEqual(presented, s));
  };

  const push = (): void => {
    if (streams.size === 0) return;
    let data: string;
    try {
      data = JSON.stringify(state.snapshot());
    } catch (err) {
      options.log(`dashboard: snapshot failed: ${(err as Error).message}`);
      return;
    }
    for (const res of streams) res.write(`event: state\ndata: ${data}\n\n`);
  };
  let pending: NodeJS.Timeout | undefined;
  const pushSoon = (): void => {
    pending ??= setTimeout(() => {
      pending = undefined;
      push();
    }, 100);
  };
  server.on('agent', pushSoon);
  server.on('measurement', pushSoon);
  const timer = setInterval(push, PUSH_INTERVAL_MS);
  timer.unref();

  server.route(async (req, res, url) => {
    const path = url.pathname;
    // Browsers ask for an icon on every page of this origin (dashboard, agent page); answer instead of a logged 404.
    if (path === '/favicon.ico') {
      res.writeHead(204, { 'cache-control': 'max-age=86400' }).end();
      return true;
    }
    if (path !== '/' && !path.startsWith('/dashboard/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/' && url.searchParams.has('token')) {
      if (!tokensEqual(url.searchParams.get('token'), options.token)) {
        options.log(`dashboard: refused a wrong token from ${req.socket.remoteAddress ?? 'unknown'}`);
        send(res, 401, 'text/html; charset=utf-8', deniedPage('That token is not this host\'s token.'), { 'content-security-policy': CSP });
        return true;
      }
      const session = randomBytes(32).toString('base64url');
      sessions.push(session);
      if (sessions.length > MAX_SESSIONS) sessions.shift();
      // Secure under TLS: the session cookie never travels over a plain connection to the same host.
      res.writeHead(303, { ...HEADERS, location: '/', 'set-cookie': `${COOKIE}=${session}; Path=/; HttpOnly; SameSite=Strict${server.tlsFingerprint ? '; Secure' : ''}` }).end();
      return true;
    }
    if (!hasSession(req)) {
      if (path === '/') send(res, 401, 'text/html; charset=utf-8', deniedPage('Open this address once with the host token.'), { 'content-security-policy': CSP });
      else send(res, 401, 'application/json; charset=utf-8', JSON.stringify({ code: 'ZN_AUTH', message: 'open /?token=<host token> first' }));
      return true;
    }
    switch (path) {
      case '/':
        send(res, 200, 'text/html; charset=utf-8', req.method === 'HEAD' ? '' : PAGE_HTML, { 'content-security-policy': CSP });
        return true;
      case '/dashboard/app.js':
        send(res, 200, 'text/javascript; charset=utf-8', req.method === 'HEAD' ? '' : await getScript());
        return true;
      case '/dashboard/state':
        send(res, 200, 'application/json; charset=utf-8', JSON.stringify(state.snapshot()));
        return true;
      case '/dashboard/events':
        res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
        res.write(`retry: 2000\nevent: state\ndata: ${JSON.stringify(state.snapshot())}\n\n`);
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return true;
      default:
        return false;
    }
  });

  return {
    setPhase: (phase, done, total) => state.setPhase(phase, done, total),
    note: (line) => state.note(line),
    setScoringQueue: (stats) => state.setScoringQueue(stats),
    stop: () => {
      clearInterval(timer);
      if (pending) clearTimeout(pending);
      server.off('agent', pushSoon);
      server.off('measurement', pushSoon);
      state.isFinished = true;
      push();
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}

function deniedPage(reason: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>zeronas dashboard</title></head>
<body style="font:15px system-ui,sans-serif;margin:40px"><h1>zeronas dashboard</h1><p id="denied">${reason}</p>
<p>Get the token on the host with <code>zeronas token</code>, then open <code>/?token=&lt;token&gt;</code> on this address.</p></body></html>\n`;
}

const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>zeronas: live run</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1240px;padding:12px 24px;color:#222}
h1{font-size:20px;margin:6px 0}h2{font-size:16px;margin:18px 0 6px;border-bottom:1px solid #ddd;padding-bottom:3px}
code{font:12px ui-monospace,Menlo,Consolas,monospace}.dim{color:#666}
#conn{display:inline-block;padding:1px 8px;border-radius:9px;font-size:12px;background:#eee}#conn[data-state=live]{background:#bfe8c4}#conn[data-state=finished]{background:#d6e4f5}#conn[data-state=lost]{background:#f5c6c6}
table{border-collapse:collapse;width:100%;font-size:12.5px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f4f4f4}td.num{text-align:right}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:150px}.card b{font-size:20px;display:block}
.charts{display:flex;flex-wrap:wrap;gap:16px}svg.chart text{font:11px system-ui,sans-serif;fill:#333}
.state-busy{color:#b9770e;font-weight:600}.state-idle{color:#1e8449}.job-leased{background:#fff6e0}.job-failed{background:#fde2e2}
progress{width:260px}#log{font:12px ui-monospace,Menlo,monospace;background:#f7f7f7;padding:8px;max-height:220px;overflow:auto;white-space:pre-wrap}
</style></head>
<body>
<h1>zeronas run <code id="run-id">…</code> <span id="conn" data-state="connecting">connecting</span></h1>
<p><span id="phase-name">waiting for the run</span> <progress id="phase-bar" max="1" value="0"></progress> <span id="phase-count"></span> <span class="dim" id="elapsed"></span></p>
<div class="cards">
  <div class="card">agents<b id="agent-count">0</b></div>
  <div class="card">jobs queued / running<b id="jobs-active">0 / 0</b></div>
  <div class="card">measured<b id="measured-total">0</b></div>
  <div class="card">measurements per minute<b id="per-minute">0</b></div>
  <div class="card">candidates scored<b id="scored">0</b></div>
  <div class="card" id="scoring-queue-card" hidden>scoring queue: waiting · active · workers · jobs/s<b id="scoring-queue">-</b></div>
</div>
<h2>Agents</h2>
<table id="agents"><thead><tr><th>agent</th><th>device</th><th>runtime</th><th>temperature</th><th>state</th><th>current job</th><th>done</th><th>last seen</th></tr></thead><tbody></tbody></table>
<h2>Search progress</h2>
<table id="targets"><thead><tr><th>target</th><th>budget</th><th>measured</th><th>queued</th><th>running</th><th>failed</th><th>best within budget so far</th></tr></thead><tbody></tbody></table>
<div class="charts"><div id="progress-chart"></div><div id="throughput-chart"></div></div>
<h2>Job queue</h2>
<table id="jobs"><thead><tr><th>job</th><th>target</th><th>state</th><th>agent</th><th>attempts</th><th>architecture</th><th>last error</th></tr></thead><tbody></tbody></table>
<h2>Log</h2>
<div id="log"></div>
<script type="module" src="/dashboard/app.js"></script>
</body></html>
`;

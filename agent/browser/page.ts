/**
 * The browser agent page (served by the host at /agent, bundled to /agent/page.js). A phone or laptop joins the
 * fleet by opening it:
 *  1. start the measurement worker, which loads onnxruntime-web from the host and probes which execution providers
 *     really run (a page for the WebGPU target stops here, with the reason, if WebGPU does not run);
 *  2. pair: exchange the one-time code (from `?code=` or the form) for an agent token at POST /agent/pair; the token
 *     is kept in sessionStorage so a reload reconnects without a new code;
 *  3. connect to ws(s)://<host>/agent and serve jobs with the shared measurement loop, showing the state, the model
 *     being measured and the results so far; hold a screen wake lock where the browser has one;
 *  4. when the page is hidden or frozen (browsers throttle such pages), abandon the job and leave the pool; the host
 *     requeues the job. Back in view, reconnect.
 * URL parameters: `code` (pairing code), `target` (browser | browser-webgpu; default browser), `name` (agent name).
 */
import { getDeviceProfile, type DeviceProfile } from '../../devices/index.js';
import type { DeviceDescriptor, JobOfferMessage, ResultMessage } from '../../shared/protocol/messages.js';
import { BrowserAgentClient, type ConnectionState, type MeasurementHandle } from './browserClient.js';
import { browserId, describeBrowser, safeLocalStorage } from './browserDevice.js';
import { profileThreads, resolveBrowserJob } from './browserJobSettings.js';
import type { MeasureOutcome, ProbeReport, WorkerReply, WorkerRequest } from './workerProtocol.js';

const ORT_MODULE_URL = '/agent/ort/ort.min.mjs';
const WORKER_URL = '/agent/measureWorker.js';
const PAIR_URL = '/agent/pair';
const TOKEN_KEY = 'zeronas.agentToken';
const NAME_KEY = 'zeronas.agentName';
/** Largest model this page accepts (page memory, not the protocol limit). */
const PAGE_MAX_MODEL_BYTES = 64 * 1024 * 1024;

const TARGET_PROFILES: Record<string, string> = {
  browser: 'browser-wasm',
  'browser-wasm': 'browser-wasm',
  webgpu: 'browser-webgpu',
  'browser-webgpu': 'browser-webgpu',
};

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const params = new URLSearchParams(location.search);

type PageState = ConnectionState | 'starting' | 'pairing' | 'measuring' | 'error';

function showState(state: PageState, detail = ''): void {
  const el = $('state');
  el.dataset.state = state;
  el.textContent = state;
  $('detail').textContent = detail;
}

function showError(message: string): void {
  const el = $('error');
  el.textContent = message;
  el.hidden = message === '';
}

// ---------------------------------------------------------------------------------------------------------------
// Measurement worker: one at a time; terminated (and replaced) on timeout, cancel or a hidden page.

class MeasureWorker {
  private worker: Worker | null = null;
  private ready: Promise<ProbeReport> | null = null;
  private onReply: ((reply: WorkerReply) => void) | null = null;

  constructor(private readonly threads: number, private readonly log: (line: string) => void) {}

  start(): Promise<ProbeReport> {
    if (this.ready) return this.ready;
    const worker = new Worker(WORKER_URL, { type: 'module', name: 'zeronas-measure' });
    this.worker = worker;
    this.ready = new Promise<ProbeReport>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<WorkerReply>) => {
        const reply = event.data;
        if (reply.type === 'probed') resolve(reply.report);
        else if (reply.type === 'probe-failed') reject(new Error(`${reply.error.code}: ${reply.error.message}`));
        else if (reply.type === 'log') this.log(reply.line);
        else this.onReply?.(reply);
      };
      worker.onerror = (event) => {
        const message = event.message || 'measurement worker crashed';
        reject(new Error(message));
        this.onReply?.({ type: 'outcome', jobId: '', outcome: { status: 'failed', error: { code: 'ZN_JOB_CRASHED', message } } });
      };
    });
    this.post({ type: 'probe', moduleUrl: ORT_MODULE_URL, threads: this.threads });
    return this.ready;
  }

  private post(request: WorkerRequest, transfer: Transferable[] = []): void {
    this.worker!.postMessage(request, transfer);
  }

  private restart(): void {
    this.worker?.terminate();
    this.worker = null;
    this.ready = null;
    this.onReply = null;
    void this.start().catch((err: Error) => this.log(`measurement worker failed to restart: ${err.message}`));
  }

  measure(request: Extract<WorkerRequest, { type: 'measure' }>): MeasurementHandle {
    let settle!: (o: MeasureOutcome) => void;
    const done = new Promise<MeasureOutcome>((resolve) => (settle = resolve));
    let isSettled = false;
    const finish = (o: MeasureOutcome, mustRestart: boolean): void => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      this.onReply = null;
      if (mustRestart) this.restart();
      settle(o);
    };
    const timer = setTimeout(() => {
      finish(
        {
          status: 'failed',
          error: {
            code: 'ZN_JOB_TIMEOUT',
            message: `measurement of job '${request.jobId}' exceeded its timeout of ${request.settings.timeoutMs} ms; the worker was terminated`,
            details: { timeoutMs: request.settings.timeoutMs },
          },
        },
        true,
      );
    }, request.settings.timeoutMs);
    this.start().then(
      () => {
        if (isSettled) return;
        this.onReply = (reply) => {
          if (reply.type !== 'outcome') return;
          finish(reply.outcome, reply.outcome.status === 'failed' && reply.outcome.error.code === 'ZN_JOB_CRASHED');
        };
        this.post(request, [request.modelBytes.buffer]);
      },
      (err: Error) => finish({ status: 'failed', error: { code: 'ZN_RUNTIME_UNAVAILABLE', message: `measurement worker unavailable: ${err.message}` } }, true),
    );
    return { done, cancel: () => finish({ status: 'cancelled' }, true) };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Pairing

async function pair(code: string): Promise<string> {
  const response = await fetch(PAIR_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: string; code?: string; message?: string };
  if (!response.ok || typeof body.token !== 'string') {
    throw new Error(`${body.code ?? `HTTP ${response.status}`}: ${body.message ?? 'pairing refused'}`);
  }
  return body.token;
}

function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function storeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage blocked: the page works until it is reloaded.
  }
}

/** The token: stored, or from the URL's code, or from the form. A refused code shows the form again. */
async function obtainToken(): Promise<string> {
  const existing = storedToken();
  if (existing) return existing;
  const fromUrl = params.get('code');
  if (fromUrl) {
    // A code is single use: drop it from the address bar so a reload does not present it again.
    params.delete('code');
    history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}`);
    try {
      return await pair(fromUrl);
    } catch (err) {
      showError((err as Error).message);
    }
  }
  const form = $('pair-form') as HTMLFormElement;
  const input = $('code') as HTMLInputElement;
  form.hidden = false;
  showState('pairing', 'enter the pairing code printed by `orchestrate`');
  input.focus();
  return new Promise<string>((resolve) => {
    form.onsubmit = (event) => {
      event.preventDefault();
      showError('');
      pair(input.value).then(
        (token) => {
          form.hidden = true;
          form.onsubmit = null;
          resolve(token);
        },
        (err: Error) => {
          showError(err.message);
          input.select();
        },
      );
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Wake lock

let wakeLock: WakeLockSentinel | null = null;

async function holdWakeLock(): Promise<void> {
  if (!('wakeLock' in navigator)) {
    $('wakelock').textContent = 'unsupported';
    return;
  }
  if (wakeLock && !wakeLock.released) return;
  try {
    wakeLock = await navigator.wakeLock.request('screen');
    $('wakelock').textContent = 'held';
    wakeLock.addEventListener('release', () => ($('wakelock').textContent = 'released'));
  } catch (err) {
    $('wakelock').textContent = `refused (${(err as Error).name})`;
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const profileId = TARGET_PROFILES[params.get('target') ?? 'browser'];
  if (!profileId) throw new Error(`unknown target '${params.get('target')}'; use browser or browser-webgpu`);
  const profile: DeviceProfile = getDeviceProfile(profileId);
  const storage = safeLocalStorage();
  const name = (params.get('name') || storage?.getItem(NAME_KEY) || `browser-${browserId().slice(0, 6)}`).slice(0, 64);
  storage?.setItem(NAME_KEY, name);
  $('profile').textContent = `${profile.id} (${profile.executionProvider})`;
  $('isolation').textContent = globalThis.crossOriginIsolated ? 'yes' : 'no (single-threaded wasm, coarse timer: serve over https or localhost)';

  const log = (line: string): void => console.log(`[zeronas] ${line}`);
  const threads = profileThreads(profile, navigator.hardwareConcurrency || 1);
  const worker = new MeasureWorker(threads, log);
  showState('starting', 'loading onnxruntime-web and probing execution providers');
  const report = await worker.start();
  const running = report.probes.filter((p) => p.didRun).map((p) => p.executionProvider);
  $('ort').textContent = report.ortVersion;
  $('threads').textContent = String(report.threads);
  $('timer').textContent = `${(report.timerResolutionMs * 1000).toFixed(1)} µs`;
  $('ep').textContent = report.probes.map((p) => `${p.executionProvider}: ${p.didRun ? 'runs' : 'unavailable'}`).join(', ');
  if (!running.includes(profile.executionProvider)) {
    const probe = report.probes.find((p) => p.executionProvider === profile.executionProvider);
    showState('error');
    showError(`${profile.executionProvider} does not run in this browser: ${probe?.reason ?? 'not probed'}. Open the '?target=browser' (wasm) link instead; nothing falls back silently.`);
    return;
  }

  let token = await obtainToken();
  storeToken(token);
  let results = 0;
  let descriptor: DeviceDescriptor | null = null;
  const describe = (): DeviceDescriptor => (descriptor ??= describeBrowser({ name, profile: profile.id, report }));
  let client: BrowserAgentClient;
  const makeClient = (): BrowserAgentClient =>
    new BrowserAgentClient({
      wsUrl: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/agent`,
      token,
      descriptor: describe,
      maxModelBytes: PAGE_MAX_MODEL_BYTES,
      prepareJob: (offer: JobOfferMessage) => {
        const job = resolveBrowserJob(offer.settings, { profile, runningProviders: running, threads: report.threads });
        return (modelBytes: Uint8Array) => {
          const d = describe();
          return worker.measure({
            type: 'measure',
            jobId: offer.jobId,
            modelBytes,
            model: { sha256: offer.model.sha256, sizeBytes: offer.model.sizeBytes },
            inputs: offer.inputs,
            settings: job.settings,
            device: { fingerprint: d.fingerprint, name: d.name, hostname: d.hostname, profile: d.profile },
            runtimeSelection: job.runtimeSelection,
          });
        };
      },
      events: {
        state: (state, detail) => {
          if (state === 'connected') {
            $('agent').textContent = detail;
            void holdWakeLock();
          }
          if (state === 'refused') {
            storeToken(null);
            showError(detail);
            void obtainToken().then((t) => {
              token = t;
              storeToken(t);
              client = makeClient();
              client.start();
            });
          }
          showState(state, state === 'connected' ? '' : detail);
        },
        job: (job) => {
          $('model').textContent = job ? `${job.label} (${job.phase === 'transfer' ? 'receiving model' : 'measuring'})` : '-';
          if (job?.phase === 'measuring') showState('measuring', `job ${job.jobId}`);
          else if (!job && $('state').dataset.state === 'measuring') showState('connected');
        },
        result: (result: ResultMessage) => {
          if (result.status !== 'ok') {
            log(`job ${result.jobId}: ${result.status}`);
            return;
          }
          const m = result.measurement;
          results++;
          $('results').textContent = String(results);
          $('ep').textContent = `${m.runtime.executionProvider} (ran; ${m.runtime.threads} thread${m.runtime.threads === 1 ? '' : 's'})`;
          const li = document.createElement('li');
          li.textContent = `${m.latency.medianMs.toFixed(3)} ms median of ${m.latency.n} (${m.runtime.executionProvider}) ${m.model.sha256.slice(0, 12)}`;
          $('result-list').prepend(li);
        },
      },
      log,
    });
  client = makeClient();
  client.start();

  // Hidden or frozen pages are throttled: abandon the job (the host requeues it) and come back when visible.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') client.suspend('page hidden');
    else {
      client.resume();
      void holdWakeLock();
    }
  });
  document.addEventListener('freeze', () => client.suspend('page frozen'));
  document.addEventListener('resume', () => {
    if (document.visibilityState === 'visible') client.resume();
  });
  window.addEventListener('pagehide', () => client.suspend('page closed'));
}

main().catch((err: Error) => {
  showState('error');
  showError(err.message);
});

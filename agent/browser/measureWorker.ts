/**
 * The page's measurement worker (bundled to /agent/measureWorker.js). On `probe` it loads onnxruntime-web once,
 * fixes its thread count, measures the timer step and creates one tiny session per execution provider to learn
 * which providers really run here. On `measure` it runs the shared measureModel(): the same procedure, statistics
 * and record as the Node agent. Browsers expose no temperature, frequency, throttle or energy readings, so those
 * are recorded as unavailable with the reason; nothing is estimated.
 */
import { ZeronasError } from '../../shared/errors.js';
import { measureModel } from '../../shared/measure/measureModel.js';
import type { ExecutionProviderProbe } from '../../shared/protocol/messages.js';
import { browserConditions } from './browserConditions.js';
import { browserClock, browserSleep, measureTimerResolutionMs } from './browserClock.js';
import { BROWSER_EXECUTION_PROVIDERS, OrtWebBrowserRuntime } from './ortWebRuntime.js';
import { PROBE_INPUT, probeModelBytes } from './probeModel.js';
import type { MeasureOutcome, ProbeReport, WorkerReply, WorkerRequest } from './workerProtocol.js';

interface WorkerScope {
  postMessage(message: WorkerReply): void;
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;
const post = (m: WorkerReply): void => scope.postMessage(m);

let runtime: OrtWebBrowserRuntime | null = null;
let report: ProbeReport | null = null;

async function probe(moduleUrl: string, threads: number): Promise<ProbeReport> {
  runtime = new OrtWebBrowserRuntime({ moduleUrl, threads });
  await runtime.init();
  const timerResolutionMs = measureTimerResolutionMs();
  const probes: ExecutionProviderProbe[] = [];
  const bytes = probeModelBytes();
  for (const ep of BROWSER_EXECUTION_PROVIDERS) {
    if (ep === 'webgpu' && !(navigator as Navigator & { gpu?: unknown }).gpu) {
      probes.push({ executionProvider: ep, didRun: false, reason: 'navigator.gpu is missing (WebGPU not enabled in this browser or context)' });
      continue;
    }
    try {
      const model = await runtime.load(bytes, { executionProvider: ep, threads, isProfiling: false });
      try {
        await model.run(runtime.prepareInputs([{ name: PROBE_INPUT.name, dims: [...PROBE_INPUT.dims], dtype: 'float32' }], 0));
      } finally {
        await model.dispose();
      }
      probes.push({ executionProvider: ep, didRun: true, reason: null });
    } catch (err) {
      probes.push({ executionProvider: ep, didRun: false, reason: (err as Error).message.slice(0, 1000) });
    }
  }
  return {
    ortVersion: runtime.version(),
    threads: runtime.describe().threads,
    isCrossOriginIsolated: globalThis.crossOriginIsolated === true,
    timerResolutionMs,
    probes,
  };
}

async function measure(request: Extract<WorkerRequest, { type: 'measure' }>): Promise<MeasureOutcome> {
  if (!runtime || !report) {
    return { status: 'failed', error: { code: 'ZN_RUNTIME_UNAVAILABLE', message: 'measurement worker got a job before its probe finished' } };
  }
  try {
    const measurement = await measureModel({
      runtime,
      runtimeSelection: request.runtimeSelection,
      modelBytes: request.modelBytes,
      model: request.model,
      inputs: request.inputs,
      settings: request.settings,
      device: request.device,
      clock: browserClock,
      sleep: browserSleep,
      nowIso: () => new Date().toISOString(),
      probeConditions: async () => browserConditions(),
      energy: { isAvailable: false, reason: 'browsers expose no power or energy API; pair an external meter with this device' },
      log: (line) => post({ type: 'log', line }),
    });
    return {
      status: 'ok',
      measurement: {
        ...measurement,
        browser: {
          isCrossOriginIsolated: report.isCrossOriginIsolated,
          timerResolutionMs: report.timerResolutionMs,
          userAgent: navigator.userAgent.slice(0, 256),
        },
      },
    };
  } catch (err) {
    const e = err instanceof ZeronasError ? err : new ZeronasError('ZN_MODEL_RUN', (err as Error).message ?? String(err));
    return { status: 'failed', error: { code: e.code, message: e.message.slice(0, 4000), details: e.details } };
  }
}

scope.onmessage = (event) => {
  const request = event.data;
  if (request.type === 'probe') {
    probe(request.moduleUrl, request.threads).then(
      (r) => {
        report = r;
        post({ type: 'probed', report: r });
      },
      (err: unknown) => {
        const e = err instanceof ZeronasError ? err : new ZeronasError('ZN_RUNTIME_UNAVAILABLE', (err as Error).message);
        post({ type: 'probe-failed', error: { code: e.code, message: e.message.slice(0, 4000) } });
      },
    );
  } else {
    void measure(request).then((outcome) => post({ type: 'outcome', jobId: request.jobId, outcome }));
  }
};

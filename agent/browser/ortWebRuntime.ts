/**
 * `ort-web`: onnxruntime-web inside a browser page (in the page's measurement worker). Implements the runtime
 * contract of shared/measure/contracts.ts, so the page runs the very same measureModel() as the Node agent.
 *
 * onnxruntime-web is loaded from the host (`/agent/ort/`), never from a CDN, so the page works on an offline LAN.
 * Each session is created with exactly one execution provider: with a list, onnxruntime-web silently falls back
 * from WebGPU to wasm (HARDWARE.md §7.4); alone, a missing provider makes load() fail with ZN_RUNTIME_UNAVAILABLE.
 * `env.wasm.numThreads` is global and fixed when the wasm module starts; without cross-origin isolation
 * onnxruntime-web runs single-threaded whatever was asked, and describe() reports the threads that really run.
 */
import { ZeronasError } from '../../shared/errors.js';
import type { LoadedModel, PreparedInputs, ProfileOutput, Runtime, RuntimeDescription, RuntimeLoadOptions } from '../../shared/measure/contracts.js';
import type { InputSpec } from '../../shared/protocol/messages.js';
import { feedsOf, prepareOrtInputs } from '../runtimes/ortTensors.js';

export type OrtWeb = typeof import('onnxruntime-web');

/** Providers the page knows how to ask for, in the order it probes them. */
export const BROWSER_EXECUTION_PROVIDERS = ['wasm', 'webgpu'] as const;

export interface OrtWebRuntimeOptions {
  /** URL of onnxruntime-web's ESM build (ort.min.mjs) as served by the host; its wasm files sit beside it. */
  moduleUrl: string;
  /** Threads asked for; fixed for the lifetime of the page's wasm module. */
  threads: number;
}

/** onnxruntime-web's own rule: threads need SharedArrayBuffer, which needs cross-origin isolation. */
export function effectiveThreads(requested: number): number {
  const isMultiThreadCapable = typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated === true;
  return requested > 1 && !isMultiThreadCapable ? 1 : requested;
}

export class OrtWebBrowserRuntime implements Runtime {
  readonly id = 'ort-web' as const;
  private ort: OrtWeb | null = null;
  private last: RuntimeDescription | null = null;
  private readonly threads: number;

  constructor(private readonly options: OrtWebRuntimeOptions) {
    this.threads = effectiveThreads(options.threads);
  }

  async init(): Promise<void> {
    if (this.ort) return;
    try {
      // A URL the bundler must not resolve: the host serves onnxruntime-web's files itself.
      const url = this.options.moduleUrl;
      const ort = (await import(/* @vite-ignore */ url)) as OrtWeb;
      ort.env.wasm.numThreads = this.threads;
      ort.env.wasm.wasmPaths = new URL('./', new URL(url, globalThis.location?.href)).href;
      ort.env.logLevel = 'error';
      this.ort = ort;
    } catch (err) {
      throw new ZeronasError('ZN_RUNTIME_UNAVAILABLE', `onnxruntime-web failed to load from ${this.options.moduleUrl}: ${(err as Error).message}`, {}, err);
    }
  }

  version(): string {
    return this.loaded().env.versions.web ?? 'unknown';
  }

  private loaded(): OrtWeb {
    if (!this.ort) throw new ZeronasError('ZN_RUNTIME_UNAVAILABLE', 'ort-web used before init()');
    return this.ort;
  }

  async load(modelBytes: Uint8Array, options: RuntimeLoadOptions): Promise<LoadedModel> {
    const ort = this.loaded();
    const ep = options.executionProvider;
    if (!(BROWSER_EXECUTION_PROVIDERS as readonly string[]).includes(ep)) {
      throw new ZeronasError('ZN_RUNTIME_UNAVAILABLE', `ort-web in this page supports ${BROWSER_EXECUTION_PROVIDERS.join(', ')}, the job asked for '${ep}'`, {
        executionProvider: ep,
      });
    }
    let session: import('onnxruntime-web').InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelBytes, { executionProviders: [ep], graphOptimizationLevel: 'all' });
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      // "no available backend found" = the provider itself could not start (e.g. no WebGPU adapter).
      const code = /backend|adapter|webgpu|not supported/i.test(message) ? 'ZN_RUNTIME_UNAVAILABLE' : 'ZN_MODEL_LOAD';
      throw new ZeronasError(code, `ort-web could not create a ${ep} session: ${message.slice(0, 1000)}`, { executionProvider: ep }, err);
    }
    this.last = { runtime: this.id, version: this.version(), executionProvider: ep, threads: this.threads };
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      run: async (inputs: PreparedInputs) => {
        try {
          const outputs = await session.run(feedsOf(inputs) as never);
          // WebGPU outputs may live on the GPU; dispose them so a long loop does not pile up buffers.
          for (const t of Object.values(outputs)) (t as { dispose?: () => void }).dispose?.();
        } catch (err) {
          throw new ZeronasError('ZN_MODEL_RUN', `ort-web run failed: ${(err as Error).message}`, {}, err);
        }
      },
      endProfiling: async (): Promise<ProfileOutput> => ({
        status: 'unavailable',
        reason: 'onnxruntime-web does not expose its per-operator profile to JavaScript (HARDWARE.md §7.4)',
      }),
      dispose: async () => {
        await session.release();
      },
    };
  }

  prepareInputs(specs: readonly InputSpec[], seed: number): PreparedInputs {
    return prepareOrtInputs(this.loaded().Tensor as never, specs, seed);
  }

  describe(): RuntimeDescription {
    return this.last ?? { runtime: this.id, version: this.ort ? this.version() : 'not loaded', executionProvider: 'wasm', threads: this.threads };
  }
}

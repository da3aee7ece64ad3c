/**
 * `ort-wasm`: onnxruntime-web's WebAssembly build running inside Node. For 32-bit Raspberry Pi OS (no native
 * onnxruntime-node binding) or when the binding fails to load. `env.wasm.numThreads` is global and fixed by the
 * first session, which is fine because every measurement runs in its own child process. Per-operator profiling is
 * reported unavailable: onnxruntime-web does not hand its profile to JavaScript (HARDWARE.md §7.4).
 */
import { ZeronasError } from '../../shared/errors.js';
import type { InputSpec } from '../../shared/protocol/messages.js';
import { classifyLoadError } from './ortNode.js';
import { feedsOf, prepareOrtInputs } from './ortTensors.js';
import type { LoadedModel, PreparedInputs, ProfileOutput, Runtime, RuntimeDescription, RuntimeLoadOptions } from './runtime.js';

type OrtWeb = typeof import('onnxruntime-web');

export class OrtWebRuntime implements Runtime {
  readonly id = 'ort-wasm' as const;
  private ort: OrtWeb | null = null;
  private last: RuntimeDescription | null = null;
  private threadsFixed: number | null = null;

  async init(): Promise<void> {
    if (this.ort) return;
    try {
      this.ort = await import('onnxruntime-web');
    } catch (err) {
      throw new ZeronasError('ZN_RUNTIME_UNAVAILABLE', `onnxruntime-web failed to load: ${(err as Error).message}`, {}, err);
    }
  }

  version(): string {
    return this.loaded().env.versions.web ?? 'unknown';
  }

  executionProviders(): string[] {
    return ['wasm'];
  }

  private loaded(): OrtWeb {
    if (!this.ort) throw new ZeronasError('ZN_RUNTIME_UNAVAILABLE', 'ort-wasm used before init()');
    return this.ort;
  }

  async load(modelBytes: Uint8Array, options: RuntimeLoadOptions): Promise<LoadedModel> {
    const ort = this.loaded();
    if (options.executionProvider !== 'wasm') {
      throw new ZeronasError(
        'ZN_RUNTIME_UNAVAILABLE',
        `ort-wasm in Node has only the 'wasm' execution provider, the job asked for '${options.executionProvider}'`,
        { executionProvider: options.executionProvider },
      );
    }
    if (this.threadsFixed === null) {
      ort.env.wasm.numThreads = options.threads;
      this.threadsFixed = options.threads;
    }
    let session: import('onnxruntime-web').InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelBytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    } catch (err) {
      throw classifyLoadError(this.id, options.executionProvider, err);
    }
    const threads = typeof ort.env.wasm.numThreads === 'number' ? ort.env.wasm.numThreads : this.threadsFixed;
    this.last = { runtime: this.id, version: this.version(), executionProvider: 'wasm', threads };
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      run: async (inputs: PreparedInputs) => {
        try {
          await session.run(feedsOf(inputs) as never);
        } catch (err) {
          throw new ZeronasError('ZN_MODEL_RUN', `ort-wasm run failed: ${(err as Error).message}`, {}, err);
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
    return this.last ?? { runtime: this.id, version: this.ort ? this.version() : 'not loaded', executionProvider: 'wasm', threads: 1 };
  }
}

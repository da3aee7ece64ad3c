/**
 * `ort-node`: onnxruntime-node (native binding, prebuilt for linux x64 and arm64). Loaded lazily in init(), so a
 * missing binding (32-bit Raspberry Pi OS) is a ZN_RUNTIME_UNAVAILABLE error, not a crash at import time.
 * Profiling writes onnxruntime's Chrome-trace JSON into a private temporary directory, read back by endProfiling().
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ZeronasError } from '../../shared/errors.js';
import type { InputSpec } from '../../shared/protocol/messages.js';
import type { ProfileEvent } from '../../shared/measure/contracts.js';
import { feedsOf, prepareOrtInputs } from './ortTensors.js';
import type { LoadedModel, PreparedInputs, ProfileOutput, Runtime, RuntimeDescription, RuntimeLoadOptions } from './runtime.js';

type OrtNode = typeof import('onnxruntime-node');

export function classifyLoadError(runtime: string, executionProvider: string, err: unknown): ZeronasError {
  const message = err instanceof Error ? err.message : String(err);
  const isProvider = /provider|backend/i.test(message) && !/protobuf|model/i.test(message);
  return new ZeronasError(
    isProvider ? 'ZN_RUNTIME_UNAVAILABLE' : 'ZN_MODEL_LOAD',
    isProvider
      ? `${runtime} could not create a session on execution provider '${executionProvider}': ${message}`
      : `${runtime} could not load the model: ${message}`,
    { runtime, executionProvider },
    err,
  );
}

export class OrtNodeRuntime implements Runtime {
  readonly id = 'ort-node' as const;
  private ort: OrtNode | null = null;
  private last: RuntimeDescription | null = null;

  async init(): Promise<void> {
    if (this.ort) return;
    try {
      this.ort = await import('onnxruntime-node');
    } catch (err) {
      throw new ZeronasError(
        'ZN_RUNTIME_UNAVAILABLE',
        `onnxruntime-node failed to load on ${process.platform}/${process.arch}: ${(err as Error).message}` +
          (process.arch === 'arm' ? ' (no prebuilt binding for 32-bit ARM; use --runtime ort-wasm or a 64-bit OS)' : ''),
        { arch: process.arch },
        err,
      );
    }
  }

  version(): string {
    return this.loaded().env.versions.node ?? 'unknown';
  }

  /**
   * Execution providers this binding can really use (cpu always): the binding lists CUDA and TensorRT wherever it was
   * compiled with them, but their provider libraries are a separate download (skipped by the project's install), so
   * an EP whose library is absent is not offered.
   */
  executionProviders(): string[] {
    const ort = this.loaded();
    return availableProviders(ort.listSupportedBackends().map((b) => b.name), bindingDir());
  }

  private loaded(): OrtNode {
    if (!this.ort) throw new ZeronasError('ZN_RUNTIME_UNAVAILABLE', 'ort-node used before init()');
    return this.ort;
  }

  async load(modelBytes: Uint8Array, options: RuntimeLoadOptions): Promise<LoadedModel> {
    const ort = this.loaded();
    const profileDir = options.isProfiling ? mkdtempSync(join(tmpdir(), 'zeronas-profile-')) : null;
    let session: import('onnxruntime-node').InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelBytes, {
        executionProviders: [options.executionProvider as 'cpu'],
        intraOpNumThreads: options.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        ...(profileDir ? { enableProfiling: true, profileFilePrefix: join(profileDir, 'ort') } : {}),
      });
    } catch (err) {
      if (profileDir) rmSync(profileDir, { recursive: true, force: true });
      throw classifyLoadError(this.id, options.executionProvider, err);
    }
    this.last = { runtime: this.id, version: this.version(), executionProvider: options.executionProvider, threads: options.threads };
    let isProfilingEnded = false;
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      run: async (inputs: PreparedInputs) => {
        try {
          await session.run(feedsOf(inputs) as never);
        } catch (err) {
          throw new ZeronasError('ZN_MODEL_RUN', `ort-node run failed: ${(err as Error).message}`, {}, err);
        }
      },
      endProfiling: async (): Promise<ProfileOutput> => {
        if (!profileDir) return { status: 'unavailable', reason: 'session was not created with profiling on' };
        session.endProfiling();
        isProfilingEnded = true;
        const files = readdirSync(profileDir).filter((f) => f.endsWith('.json'));
        if (files.length === 0) return { status: 'unavailable', reason: `onnxruntime wrote no profile file in ${profileDir}` };
        try {
          const events = JSON.parse(readFileSync(join(profileDir, files[0]!), 'utf8')) as ProfileEvent[];
          return { status: 'ok', events };
        } catch (err) {
          return { status: 'unavailable', reason: `profile file is not valid JSON: ${(err as Error).message}` };
        }
      },
      dispose: async () => {
        if (profileDir && !isProfilingEnded) session.endProfiling();
        await session.release();
        if (profileDir) rmSync(profileDir, { recursive: true, force: true });
      },
    };
  }

  prepareInputs(specs: readonly InputSpec[], seed: number): PreparedInputs {
    return prepareOrtInputs(this.loaded().Tensor as never, specs, seed);
  }

  describe(): RuntimeDescription {
    return this.last ?? { runtime: this.id, version: this.ort ? this.version() : 'not loaded', executionProvider: 'cpu', threads: 1 };
  }
}

/** Providers that load from a library of their own, by the file onnxruntime looks for beside the binding. */
const PROVIDER_LIBRARIES: Record<string, string> = { cuda: 'libonnxruntime_providers_cuda.so', tensorrt: 'libonnxruntime_providers_tensorrt.so' };

/** `names` without the providers whose library is missing from `dir` (null, the folder unknown: without all of them). */
export function availableProviders(names: readonly string[], dir: string | null): string[] {
  return names.filter((n) => !(n in PROVIDER_LIBRARIES) || (dir !== null && existsSync(join(dir, PROVIDER_LIBRARIES[n]!))));
}

/** onnxruntime-node's native folder for this platform (bin/napi-v6/<platform>/<arch>), or null. */
function bindingDir(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

/**
 * Runtime registry and selection. `auto` takes the first available runtime in the device profile's order
 * (ort-node, then ort-wasm) and records why; an explicitly requested runtime that is unavailable is an error,
 * never replaced by another one. The measurement always reports the runtime that actually ran.
 */
import { ZeronasError } from '../../shared/errors.js';
import type { RuntimeAvailability } from '../../shared/protocol/messages.js';
import { OrtNodeRuntime } from './ortNode.js';
import { OrtWebRuntime } from './ortWeb.js';
import { NODE_RUNTIME_IDS, type NodeRuntimeId, type Runtime } from './runtime.js';

export { NODE_RUNTIME_IDS, DEFAULT_EXECUTION_PROVIDER, type NodeRuntimeId } from './runtime.js';

export const runtimeFactories = {
  'ort-node': () => new OrtNodeRuntime(),
  'ort-wasm': () => new OrtWebRuntime(),
} satisfies Record<NodeRuntimeId, () => Runtime & { executionProviders(): string[]; version(): string }>;

export function createRuntime(id: NodeRuntimeId): Runtime {
  return runtimeFactories[id]();
}

/** Tries to load one runtime module (no session) and reports version, providers, or the load error. */
export async function probeRuntime(id: NodeRuntimeId): Promise<RuntimeAvailability> {
  const runtime = runtimeFactories[id]();
  try {
    await runtime.init();
    return { runtime: id, isAvailable: true, version: runtime.version(), executionProviders: runtime.executionProviders(), reason: null };
  } catch (err) {
    return { runtime: id, isAvailable: false, version: null, executionProviders: [], reason: (err as Error).message.slice(0, 1000) };
  }
}

/**
 * Every runtime probed in this process. The agent itself uses probeIsolated.ts instead: a runtime whose native
 * module crashes at load (seen: onnxruntime-node under qemu with a foreign /sys) must not take the agent down.
 */
export async function probeRuntimes(): Promise<RuntimeAvailability[]> {
  const out: RuntimeAvailability[] = [];
  for (const id of NODE_RUNTIME_IDS) out.push(await probeRuntime(id));
  return out;
}

export interface RuntimeChoice {
  runtime: NodeRuntimeId;
  /** 'requested' or 'auto: ...' (recorded in every measurement). */
  selection: string;
}

export function selectRuntime(
  requested: 'auto' | string,
  available: readonly RuntimeAvailability[],
  preference: readonly NodeRuntimeId[] = NODE_RUNTIME_IDS,
): RuntimeChoice {
  if (requested !== 'auto') {
    if (!(NODE_RUNTIME_IDS as readonly string[]).includes(requested)) {
      throw new ZeronasError('ZN_RUNTIME_UNAVAILABLE', `runtime '${requested}' is not available in the Node agent; it has ${NODE_RUNTIME_IDS.join(', ')}`, {
        requested,
      });
    }
    const entry = available.find((a) => a.runtime === requested);
    if (!entry?.isAvailable) {
      throw new ZeronasError('ZN_RUNTIME_UNAVAILABLE', `runtime '${requested}' was requested but is unavailable here: ${entry?.reason ?? 'not probed'}`, {
        requested,
      });
    }
    return { runtime: requested as NodeRuntimeId, selection: 'requested' };
  }
  const skipped: string[] = [];
  for (const id of preference) {
    const entry = available.find((a) => a.runtime === id);
    if (entry?.isAvailable) {
      return { runtime: id, selection: skipped.length ? `auto: ${id} (${skipped.join('; ')})` : `auto: ${id} (first available)` };
    }
    skipped.push(`${id} unavailable: ${(entry?.reason ?? 'not probed').slice(0, 200)}`);
  }
  throw new ZeronasError('ZN_RUNTIME_UNAVAILABLE', `no runtime is available: ${skipped.join('; ')}`, {});
}

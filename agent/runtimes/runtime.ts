/**
 * The runtime contract (declared platform-neutral in shared/measure/contracts.ts, so the browser agent implements
 * the same one) plus what only the Node agent needs: which runtimes exist here and their default providers.
 * No silent fallback anywhere: a session is created with exactly one execution provider, so it either runs on
 * the provider asked for or the load fails with ZN_RUNTIME_UNAVAILABLE.
 */
export type {
  LoadedModel,
  PreparedInputs,
  ProfileEvent,
  ProfileOutput,
  Runtime,
  RuntimeDescription,
  RuntimeLoadOptions,
} from '../../shared/measure/contracts.js';
export type { RuntimeAvailability, RuntimeId } from '../../shared/protocol/messages.js';

/** Runtimes the Node agent can host, in the order `auto` tries them. */
export const NODE_RUNTIME_IDS = ['ort-node', 'ort-wasm'] as const;
export type NodeRuntimeId = (typeof NODE_RUNTIME_IDS)[number];

/** The CPU provider each runtime uses when a job says 'default'. */
export const DEFAULT_EXECUTION_PROVIDER: Record<NodeRuntimeId, string> = { 'ort-node': 'cpu', 'ort-wasm': 'wasm' };

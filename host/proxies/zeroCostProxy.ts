/**
 * The contract every zero-cost proxy implements (STYLE.md §6.2). A proxy owns its whole definition: which tensors
 * it needs, its aggregation, its edge cases and its logs. Callers never branch on a proxy's id. The registry is a
 * typed object literal in `index.ts` (no side-effect registration), keyed by ProxyId.
 */
import type { DataBatch } from '../data/dataset.js';
import type { Graph } from '../ir/graph.js';

/**
 * Proxy ids, spelled as the survey / NASLib spell them where they exist, so results join with their tables
 * (ALGORITHMS.md §A.0).
 */
export const PROXY_IDS = [
  'zico',
  'params',
  'flops',
  'grad_norm',
  'snip',
  'grasp',
  'fisher',
  'synflow',
  'jacob_cov',
  'naswot',
  'zen',
  'te_nas_ntk',
  'te_nas_lr',
  'nn_degree',
  'plain',
  'l2_norm',
  'swap',
  'swap_reg',
  'meco',
  'meco_opt',
  'az_expressivity',
  'az_progressivity',
  'az_trainability',
] as const;
export type ProxyId = (typeof PROXY_IDS)[number];

/** What a proxy needs before it can run; the scheduler reads this to prepare data and pick a runner. */
export interface ProxyNeeds {
  /** Real images (false: shape only, or synthetic inputs the proxy makes itself). */
  data: boolean;
  labels: boolean;
  /** A training graph (backward pass) rather than the inference model. */
  gradients: boolean;
  /** Number of real batches consumed (0 when data is false). */
  batches: number;
}

export type ProxyInit = 'pytorch-default' | 'gaussian' | 'kaiming-fanin';

/** Everything a proxy may read. The proxy builds its own sessions, so each proxy sees a fresh network (§F.6). */
export interface ProxyContext {
  /** The architecture, as the one IR every consumer reads. */
  graph: Graph;
  /** Real batches drawn once per search and shared by every candidate (at least `needs.batches`). */
  batches: readonly DataBatch[];
  /** Seed of the weight init (and of any synthetic inputs), recorded with the score. */
  seed: number;
  /** Cancels a long computation (a search that is stopping). */
  signal?: AbortSignal;
}

/** A score, or why there is none: never NaN dressed as a number. */
export type ProxyResult = { ok: true; value: number } | { ok: false; reason: string };

export interface ZeroCostProxy {
  id: ProxyId;
  /** Always true: every proxy is oriented so that a higher score predicts a better architecture. */
  higherIsBetter: true;
  /** Where the exact semantics are written down. */
  spec: `ALGORITHMS.md §${string}` | `PROXIES_SOTA.md §${string}`;
  needs: ProxyNeeds;
  init: ProxyInit;
  score(ctx: ProxyContext): Promise<ProxyResult>;
}

/** Maps a formula's ScoreValue (value -Infinity with a reason on rejection) to a ProxyResult. */
export function toProxyResult(score: { value: number; reason?: string }): ProxyResult {
  if (score.reason !== undefined) return { ok: false, reason: score.reason };
  if (Number.isNaN(score.value)) return { ok: false, reason: 'the score is NaN' };
  return { ok: true, value: score.value };
}

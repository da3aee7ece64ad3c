/**
 * MeCo (NeurIPS 2023; PROXIES_SOTA.md §2): for every module call of the network on one image, the smallest
 * eigenvalue of the Pearson correlation matrix of the output's channels (rows = channels, observations = spatial
 * positions), NaN/±inf entries (zero-variance channels) set to 0 before the eigen-decomposition; the score is the sum.
 *
 * "Every module call" is PyTorch's `named_modules()` hooked: each layer, and each container whose forward is called
 * (a Sequential, a cell, a block), whose output is the output of its last layer; ModuleLists are never called. So a
 * BN at the end of a ReLUConvBN counts three times (BN, its Sequential, the wrapper). `moduleCalls` derives that
 * multiset from the IR's node names (module paths) and the graph's `meta.moduleLists` patterns.
 */
import type { Graph } from '../../ir/graph.js';
import { symmetricEigenvalues } from './linalg.js';

/** IR ops that are functional in the reference model (no module, so no hook call). */
const FUNCTIONAL_OPS = new Set(['input', 'add', 'concat', 'flatten']);

/**
 * The node whose output each module call returns, one entry per call (with repeats), or null when the graph does not
 * record which containers are ModuleLists (`meta.moduleLists`, `|`-separated patterns with `*` for one path part).
 * The root module is left out: its output is the logits (or a tuple of pooled features and logits), vectors whose
 * correlation matrix is all NaN, so it contributes 0.
 */
export function moduleCalls(graph: Graph): string[] | null {
  const patterns = graph.meta?.moduleLists;
  if (typeof patterns !== 'string') return null;
  const lists = patterns.split('|').map((p) => new RegExp(`^${p.split('.').map((part) => (part === '*' ? '[^.]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('\\.')}$`));
  const calls: string[] = [];
  const lastOf = new Map<string, string>();
  for (const node of graph.nodes) {
    if (!FUNCTIONAL_OPS.has(node.op)) calls.push(node.name);
    const parts = node.name.split('.');
    for (let k = 1; k < parts.length; k++) lastOf.set(parts.slice(0, k).join('.'), node.name); // graph order: the last wins
  }
  for (const [container, last] of lastOf) if (!lists.some((re) => re.test(container))) calls.push(last);
  return calls;
}

/**
 * λ_min of the channel correlation matrix of one sample's C×P activation (row-major, channel-major), with the
 * reference's NaN→0 rule: a zero-variance channel gets an all-zero row and column (diagonal included).
 */
export function minCorrelationEigenvalue(activation: ArrayLike<number>, channels: number): number {
  const p = activation.length / channels;
  if (p < 2) return 0; // one observation per channel: every correlation is NaN -> 0
  const centred = new Float64Array(channels * p);
  const norm = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let mean = 0;
    for (let i = 0; i < p; i++) mean += activation[c * p + i]!;
    mean /= p;
    let ss = 0;
    for (let i = 0; i < p; i++) {
      const d = activation[c * p + i]! - mean;
      centred[c * p + i] = d;
      ss += d * d;
    }
    norm[c] = Math.sqrt(ss);
  }
  const r = new Float64Array(channels * channels);
  for (let a = 0; a < channels; a++) {
    if (!(norm[a]! > 0)) continue;
    for (let b = a; b < channels; b++) {
      if (!(norm[b]! > 0)) continue;
      let dot = 0;
      for (let i = 0; i < p; i++) dot += centred[a * p + i]! * centred[b * p + i]!;
      const v = dot / (norm[a]! * norm[b]!);
      r[a * channels + b] = v;
      r[b * channels + a] = v;
    }
  }
  const eig = symmetricEigenvalues(r, channels);
  let min = Number.POSITIVE_INFINITY;
  for (const e of eig) if (e < min) min = e;
  return min;
}

/** MeCo_opt's channels per call (the official `random.sample(range(C), 8)`). */
export const MECO_OPT_CHANNELS = 8;

/**
 * MeCo_opt's term for one call: λ_min of the correlation of 8 channels sampled without replacement, times C / 8
 * (PROXIES_SOTA.md §2). The official script samples with unseeded Python `random`; here the sample is drawn from
 * `rand` (seeded by the caller), so a run is reproducible. With C ≤ 8 every channel is used (factor 1).
 */
export function sampledMinCorrelationEigenvalue(activation: ArrayLike<number>, channels: number, rand: () => number): number {
  const p = activation.length / channels;
  if (channels <= MECO_OPT_CHANNELS) return minCorrelationEigenvalue(activation, channels);
  // Partial Fisher-Yates: the first 8 entries are a uniform sample without replacement.
  const order = Array.from({ length: channels }, (_, i) => i);
  for (let i = 0; i < MECO_OPT_CHANNELS; i++) {
    const j = i + Math.floor(rand() * (channels - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const rows = new Float64Array(MECO_OPT_CHANNELS * p);
  for (let k = 0; k < MECO_OPT_CHANNELS; k++) {
    const c = order[k]!;
    for (let i = 0; i < p; i++) rows[k * p + i] = activation[c * p + i]!;
  }
  return (minCorrelationEigenvalue(rows, MECO_OPT_CHANNELS) * channels) / MECO_OPT_CHANNELS;
}

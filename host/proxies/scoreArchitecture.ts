/**
 * One entry point that turns a proxy id and run settings into `compute(graph) -> ProxyResult`, preparing what
 * the proxy needs once (the data batches, drawn once per run and shared by every candidate, as ZiCo's search does).
 */
import { ZeronasError } from '../../shared/errors.js';
import type { Graph } from '../ir/graph.js';
import type { ProxyResult, ZeroCostProxy } from './zeroCostProxy.js';

export interface ProxyRunSettings {
  dataPath?: string | undefined;
  batchSize: number;
  batches: number;
  seed: number;
}

export interface ProxyComputer {
  /** Identifies the settings a score depends on; part of the cache key. */
  settingsKey: string;
  compute(graph: Graph): Promise<ProxyResult>;
}

export async function createProxyComputer(proxy: string, settings: ProxyRunSettings): Promise<ProxyComputer> {
  const { PROXIES } = await import('./index.js');
  const entry = (PROXIES as Record<string, ZeroCostProxy>)[proxy];
  if (!entry) throw new ZeronasError('ZN_BAD_ARGUMENT', `unknown proxy '${proxy}'; available: ${Object.keys(PROXIES).join(', ')}`, { proxy });
  if (!entry.needs.data && !entry.needs.gradients && entry.needs.batches === 0 && ['params', 'flops', 'nn_degree'].includes(proxy)) {
    return { settingsKey: 'analytic', compute: (graph) => entry.score({ graph, batches: [], seed: settings.seed }) };
  }
  const { openDataset, selectBatches } = await import('../data/index.js');
  // Proxies on synthetic inputs (zen, te_nas_lr) still take their batch size from the run's batches.
  const batches = selectBatches(openDataset(settings.dataPath ? { path: settings.dataPath } : {}), {
    batchSize: settings.batchSize,
    batches: Math.max(entry.needs.batches, settings.batches),
    seed: settings.seed === 0 ? 'first' : settings.seed,
  });
  const settingsKey = JSON.stringify({
    data: entry.needs.data ? (settings.dataPath ?? 'bundled-sample') : null,
    batchSize: settings.batchSize,
    batches: settings.batches,
    seed: settings.seed,
  });
  return { settingsKey, compute: (graph) => entry.score({ graph, batches, seed: settings.seed }) };
}

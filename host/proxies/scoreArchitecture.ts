/**
 * One entry point that turns a proxy id and run settings into `compute(graph) -> ProxyResult`, preparing what
 * the proxy needs once (the data batches, drawn once per run and shared by every candidate, as ZiCo's search does).
 */
import { ZeronasError } from '../../shared/errors.js';
import type { Graph } from '../ir/graph.js';
import { analyticMetrics } from '../metrics/analytic.js';
import type { ProxyResult } from './zeroCostProxy.js';

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

/** Proxies that need only the IR. */
const ANALYTIC: Record<string, (graph: Graph) => number> = {
  params: (g) => analyticMetrics(g).params,
  flops: (g) => analyticMetrics(g).macs,
  nn_degree: (g) => analyticMetrics(g).nnDegree,
};

export async function createProxyComputer(proxy: string, settings: ProxyRunSettings): Promise<ProxyComputer> {
  const analytic = ANALYTIC[proxy];
  if (analytic) {
    return { settingsKey: 'analytic', compute: async (g) => ({ ok: true, value: analytic(g) }) };
  }
  const registry = await import('./index.js').catch(() => undefined);
  const entry = registry?.PROXIES[proxy as keyof typeof registry.PROXIES];
  if (!registry || !entry) {
    throw new ZeronasError('ZN_BAD_ARGUMENT', `unknown proxy '${proxy}'; available: ${[...Object.keys(ANALYTIC), ...Object.keys(registry?.PROXIES ?? {})].join(', ')}`);
  }
  const { openDataset, selectBatches } = await import('../data/index.js');
  const batches = entry.needs.data
    ? selectBatches(openDataset(settings.dataPath ? { path: settings.dataPath } : {}), {
        batchSize: settings.batchSize,
        batches: Math.max(entry.needs.batches, settings.batches),
        seed: settings.seed === 0 ? 'first' : settings.seed,
      })
    : [];
  const settingsKey = JSON.stringify({
    data: entry.needs.data ? (settings.dataPath ?? 'bundled-sample') : null,
    batchSize: settings.batchSize,
    batches: settings.batches,
    seed: settings.seed,
  });
  return { settingsKey, compute: (graph) => entry.score({ graph, batches, seed: settings.seed }) };
}

/** Kept apart from queueScoring.ts so local scoring never loads BullMQ. */
import type { Graph } from '../ir/graph.js';
import type { ProxyComputer } from '../proxies/scoreArchitecture.js';
import type { ProxyResult } from '../proxies/zeroCostProxy.js';
import type { QueueScoring, ScoringRequest } from './queueScoring.js';

/**
 * One score, through the queue when there is one, else here. Analytic proxies (params, flops, nn_degree: no data, no
 * session) are computed here either way: shipping them costs more than computing them.
 */
export function scoreThrough(client: QueueScoring | undefined, local: ProxyComputer, request: ScoringRequest, graph: () => Graph): Promise<ProxyResult & { seconds?: number }> {
  if (!client || local.settingsKey === 'analytic') return local.compute(graph());
  return client.score(request);
}

/**
 * Proxy scores with a durable cache: a score is computed once per (space, arch, proxy, settings) and kept in the
 * run store, so a resumed run never scores an architecture twice. Failures are cached too, with their reason.
 */
import { isScoringInfrastructureError } from '../../shared/errors.js';
import type { Graph } from '../ir/graph.js';
import type { ProxyResult } from '../proxies/zeroCostProxy.js';
import type { Store } from './store.js';

export interface ProxyScorer {
  score(arch: string, graph: Graph): Promise<ProxyResult>;
}

export function cachedProxyScorer(
  store: Store | (() => Store),
  space: string,
  proxy: string,
  settingsKey: string,
  compute: (graph: Graph, arch: string) => Promise<ProxyResult>,
): ProxyScorer {
  const getStore = typeof store === 'function' ? store : () => store;
  return {
    async score(arch, graph) {
      const s = getStore();
      const cached = s.getProxyScore(space, arch, proxy, settingsKey);
      if (cached) return cached.ok ? { ok: true, value: cached.value ?? -Infinity } : { ok: false, reason: cached.reason ?? 'unknown' };
      const t0 = performance.now();
      let result: ProxyResult;
      try {
        result = await compute(graph, arch);
      } catch (err) {
        if (isScoringInfrastructureError(err)) throw err; // not a verdict on this architecture: never cached
        result = { ok: false, reason: `proxy ${proxy} threw: ${(err as Error).message}` };
      }
      const seconds = (performance.now() - t0) / 1000;
      s.putProxyScore(space, arch, proxy, settingsKey, result.ok ? { ok: true, value: result.value, seconds } : { ok: false, reason: result.reason, seconds });
      return result;
    },
  };
}

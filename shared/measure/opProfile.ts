/**
 * Aggregates onnxruntime's Chrome-trace profile per node and per op type. Node events are `cat: "Node"`,
 * `name: "<node>_kernel_time"`, `dur` in µs, `args.op_name` / `args.provider`; node names are post-optimisation,
 * so fused kernels appear as what actually ran. Only events inside the last `runs` `model_run` spans are counted
 * (the profiled session's warm-up run is dropped). Shares are of the summed kernel time: use them to split an
 * end-to-end latency measured with profiling off, not as absolute times (profiling adds overhead).
 */
import type { OpProfile } from '../protocol/messages.js';
import type { ProfileEvent } from './contracts.js';

const KERNEL_SUFFIX = '_kernel_time';

export function aggregateOpProfile(events: readonly ProfileEvent[], runs: number): OpProfile {
  const modelRuns = events
    .filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .sort((a, b) => a.ts - b.ts)
    .slice(-runs);
  const inWindow =
    modelRuns.length === runs
      ? (e: ProfileEvent) => modelRuns.some((r) => e.ts >= r.ts && e.ts <= r.ts + r.dur)
      : () => true;
  const byNode = new Map<string, { opType: string; provider: string | null; totalUs: number }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith(KERNEL_SUFFIX) || !inWindow(e)) continue;
    const name = e.name.slice(0, -KERNEL_SUFFIX.length);
    const entry = byNode.get(name) ?? {
      opType: typeof e.args?.op_name === 'string' ? e.args.op_name : 'unknown',
      provider: typeof e.args?.provider === 'string' ? e.args.provider : null,
      totalUs: 0,
    };
    entry.totalUs += Number.isFinite(e.dur) ? e.dur : 0;
    byNode.set(name, entry);
  }
  if (byNode.size === 0) {
    return { status: 'unavailable', reason: `the profile held no node kernel events (${events.length} events in total)` };
  }
  const runsCounted = modelRuns.length === runs ? runs : Math.max(1, modelRuns.length);
  const totalUs = [...byNode.values()].reduce((a, n) => a + n.totalUs, 0) / runsCounted;
  const share = (us: number): number => (totalUs > 0 ? us / totalUs : 0);
  const nodes = [...byNode.entries()]
    .map(([name, n]) => ({ name, opType: n.opType, provider: n.provider, meanUs: n.totalUs / runsCounted, share: 0 }))
    .map((n) => ({ ...n, share: share(n.meanUs) }))
    .sort((a, b) => b.meanUs - a.meanUs);
  const byType = new Map<string, { nodes: number; meanUs: number }>();
  for (const n of nodes) {
    const t = byType.get(n.opType) ?? { nodes: 0, meanUs: 0 };
    t.nodes++;
    t.meanUs += n.meanUs;
    byType.set(n.opType, t);
  }
  const opTypes = [...byType.entries()]
    .map(([opType, t]) => ({ opType, nodes: t.nodes, meanUs: t.meanUs, share: share(t.meanUs) }))
    .sort((a, b) => b.meanUs - a.meanUs);
  return { status: 'measured', runs: runsCounted, kernelTotalUs: totalUs, nodes, opTypes };
}

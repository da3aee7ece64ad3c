/**
 * Scores one queue job with the same code path as local scoring: the space from the registry, its scoring graph,
 * and `createProxyComputer` (the data batches drawn once per settings, the batch workers, the allocator settings of
 * the process). A worker holds one engine for its life, so the batches and spaces are prepared once.
 */
import type { SpaceEntry } from '../spaces/index.js';
import { openSpace } from '../spaces/index.js';
import type { Graph } from '../ir/graph.js';
import { createProxyComputer, type ProxyComputer } from '../proxies/scoreArchitecture.js';
import type { ProxyResult } from '../proxies/zeroCostProxy.js';
import type { ScoringJob } from './scoringJob.js';

/** The job can never be scored (unknown space or proxy, an architecture that does not parse or build). */
export class PoisonedJob extends Error {}

export class ScoringEngine {
  private readonly spaces = new Map<string, SpaceEntry<unknown>>();
  private readonly computers = new Map<string, Promise<ProxyComputer>>();

  /** `dataPath`: this machine's copy of the data (undefined: the bundled sample), already checked by hash. */
  constructor(private readonly dataPath: string | undefined) {}

  async score(job: ScoringJob): Promise<ProxyResult> {
    let graph: Graph;
    let computer: ProxyComputer;
    try {
      const space = this.space(job);
      graph = space.scoringGraph(space.space.parse(job.arch));
      computer = await this.computer(job);
    } catch (err) {
      throw new PoisonedJob((err as Error).message);
    }
    try {
      return await computer.compute(graph);
    } catch (err) {
      // As local scoring records it (host/orchestrator/proxyScoring.ts): a failed score with its reason.
      return { ok: false, reason: `proxy ${job.proxy} threw: ${(err as Error).message}` };
    }
  }

  private space(job: ScoringJob): SpaceEntry<unknown> {
    const key = `${job.space}@${job.spaceOptions.scoreResolution ?? ''}`;
    let entry = this.spaces.get(key);
    if (!entry) {
      entry = openSpace(job.space, job.spaceOptions.scoreResolution !== undefined ? { scoreResolution: job.spaceOptions.scoreResolution } : {});
      this.spaces.set(key, entry);
    }
    return entry;
  }

  private computer(job: ScoringJob): Promise<ProxyComputer> {
    const key = JSON.stringify([job.proxy, job.settings]);
    let c = this.computers.get(key);
    if (!c) {
      c = createProxyComputer(job.proxy, { dataPath: this.dataPath, ...job.settings });
      // A failed preparation (unknown proxy) is not kept: the next job gets the same clear error, not a stale promise.
      c.catch(() => this.computers.delete(key));
      this.computers.set(key, c);
    }
    return c;
  }
}

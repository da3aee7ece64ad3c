/**
 * The one contract every search space meets (STYLE.md §3, after NASLib's `graph.py` verbs). Search algorithms in
 * host/search/ use only these verbs, so one evolution loop, one NSGA-II and one runSearch serve every space.
 *
 * Representations: each space has a typed genotype `A` (an NB201 cell, an IDW block list, FLASH knobs). `format`
 * gives the space's canonical text (the form users see and join on, e.g. the NAS-Bench-201 string) and `parse` reads
 * it back; `key` is a short stable identity used for caches (two genotypes with the same key are the same network).
 */
import type { Graph } from '../ir/graph.js';

/** A source of uniform floats in [0, 1). Algorithms pass a seeded, serialisable one (host/search/rng.ts). */
export interface Rng {
  next(): number;
}

/** Uniform integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng.next() * n));
}

/** Uniform choice of one element of a non-empty array. */
export function randomChoice<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('randomChoice: empty list');
  return items[randomInt(rng, items.length)]!;
}

/** Cheap analytic size measures used for budget checks (ALGORITHMS.md §C: layers, params, FLOPs). */
export interface ArchMetrics {
  /** Parameters in the space's own counting convention (IDW: ZenNAS `get_model_size`, §A.2). */
  params: number;
  /** Multiply-accumulates in the space's own convention (IDW: ZenNAS `get_FLOPs`, §A.3). */
  flops: number;
  /** Layers in the space's own convention (IDW: Σ sub_layers, §B.5; others: conv + linear layers). */
  layers: number;
}

export interface ToGraphOptions {
  /**
   * The graph a zero-shot proxy scores. IDW drops its residual links for scoring (ZiCo's `no_reslink=True`,
   * ALGORITHMS.md §C) while budgets use the graph with them; other spaces ignore the flag.
   */
  forScoring?: boolean;
}

export interface SearchSpace<A> {
  /** Registry name of the space: 'nb201', 'idw', 'flash'. */
  readonly name: string;
  /** Fixed starting architecture; evolution bootstraps from it (ALGORITHMS.md §C). */
  initial(): A;
  /** A uniformly random architecture (for spaces with an unbounded genotype: a documented distribution). */
  sample(rng: Rng): A;
  /**
   * A random neighbour. `count` is how many elements (edges, blocks, knobs) to try to change; spaces may change
   * fewer, as ZiCo's mutation does when it draws the same block twice. Never mutates its argument.
   */
  mutate(arch: A, rng: Rng, count?: number): A;
  /** All architectures one mutation step away (finite spaces; IDW returns the single-block candidates). */
  neighbourhood(arch: A): A[];
  /** Stable identity for caches: equal keys mean the same network. */
  key(arch: A): string;
  format(arch: A): string;
  /** Inverse of format; throws ZeronasError ZN_BAD_ARCH_STRING naming the bad token. */
  parse(text: string): A;
  toGraph(arch: A, options?: ToGraphOptions): Graph;
  /**
   * Known bad without any data or proxy (e.g. a NAS-Bench-201 cell whose output is cut off from its input: it
   * predicts a constant). Optional; searches that sample blindly skip these before scoring.
   */
  isDegenerate?(arch: A): boolean;
  /**
   * The nearest architecture of the space for a genotype off its lattice (FLASH's continuous optimiser proposes
   * real-valued knobs). Optional; cost models that read a graph price the snapped architecture.
   */
  snap?(arch: A): A;
  /** Analytic budget metrics, without building a graph where the space has closed forms. */
  metrics(arch: A): ArchMetrics;
  /** Mutation counts ZiCo's evolution uses: bootstrap (population ≤ 10) and from the population (§C). */
  readonly evolutionMutations: { bootstrap: number; population: number };
}

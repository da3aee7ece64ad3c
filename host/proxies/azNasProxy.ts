/**
 * AZ-NAS (CVPR 2024; PROXIES_SOTA.md §1) as three proxies, one per score, that share one computation: expressivity,
 * progressivity and trainability. AZ-NAS itself is their log-rank aggregation with FLOPs over the candidate set
 * (`az_nas` in a proxy combination, host/proxies/proxyCombinations.ts), because a rank depends on the set scored.
 *
 * The official NB201 setting: kaiming-normal (fan-in) weights, a Gaussian input of batch 64 (not images), train-mode
 * BN, one forward keeping the stem's and every cell's output, and 17 block-local VJPs with a fresh Rademacher vector
 * per block. The graph declares its feature chain in `meta.features` (NB201 does).
 */
import { gaussianTensor } from '../data/gaussianInputs.js';
import type { Graph } from '../ir/graph.js';
import { inferShapes } from '../ir/shapeInference.js';
import { hash32, MULBERRY32_STEP, mulberry32Output } from '../../shared/random.js';
import { expressivityFromCovariance, featureExpressivity, progressivity, trainability, trainabilityFromCross } from './math/azNas.js';
import { freshWeights, inputShape, withTrainingSession } from './proxyRun.js';
import type { ProxyContext, ProxyResult, ZeroCostProxy } from './zeroCostProxy.js';

/** Offset added to the run seed for AZ-NAS's Gaussian input (seed 0 gives the golden fixture's tensor). */
export const AZ_NAS_INPUT_SEED = 1004;
/** The official batch (NB201's weight-sharing config). */
export const AZ_NAS_BATCH = 64;

export interface AzNasScores {
  expressivity: number;
  progressivity: number;
  trainability: number;
  /** Per feature map F_0..F_L and per block 1..L (for tests and the golden comparison). */
  perFeature: number[];
  perBlock: number[];
}

/** The feature chain the graph declares, or null. */
export function featureChain(graph: Graph): string[] | null {
  const f = graph.meta?.features;
  return typeof f === 'string' && f.length > 0 ? f.split('|') : null;
}

/** g_out for block `block` (1-based): ±1 with probability ½ each, from its own mulberry32 stream. */
export function rademacher(size: number, seed: number, block: number): Float32Array {
  const out = new Float32Array(size);
  let a = hash32(`${seed}:az_nas:g_out:${block}`) >>> 0;
  for (let i = 0; i < size; i++) {
    a = (a + MULBERRY32_STEP) >>> 0;
    out[i] = mulberry32Output(a) < 0.5 ? -1 : 1;
  }
  return out;
}

/**
 * Rademacher vectors by (seed, block, size). Every cell of a space shares its feature shapes, so a search's cells
 * are fed the same ~10^7 signs (NB201, batch 64): drawing them again cost ~150 ms per cell, a third of AZ-NAS's
 * time. onnxruntime only reads its inputs, so one array serves every run. Capped at 2^25 values (128 MB); past
 * that the cache starts again.
 */
const SEED_CACHE_LIMIT = 2 ** 25;
const seedCache = new Map<string, Float32Array>();
let seedCacheValues = 0;
function blockSeed(size: number, seed: number, block: number): Float32Array {
  const key = `${seed}:${block}:${size}`;
  let v = seedCache.get(key);
  if (!v) {
    v = rademacher(size, seed, block);
    if (seedCacheValues + size > SEED_CACHE_LIMIT) {
      seedCache.clear();
      seedCacheValues = 0;
    }
    if (size <= SEED_CACHE_LIMIT) {
      seedCache.set(key, v);
      seedCacheValues += size;
    }
  }
  return v;
}

export async function azNasScores(
  graph: Graph,
  seed: number,
  batch = AZ_NAS_BATCH,
  input?: Float32Array,
): Promise<AzNasScores | { reason: string }> {
  const chain = featureChain(graph);
  if (!chain || chain.length < 2)
    return { reason: "AZ-NAS needs the graph's feature chain (meta.features); only nb201 graphs record it" };
  const shapes = inferShapes(graph.nodes);
  const full = (t: string): [number, number, number, number] => {
    const s = shapes.get(t)!;
    return [batch, s[0]!, s[1]!, s[2]!];
  };
  if (chain.some((t) => shapes.get(t)?.length !== 3))
    return { reason: 'AZ-NAS needs [C, H, W] feature maps along the chain' };
  const blocks = chain.slice(1).map((output, l) => ({ input: chain[l]!, output }));
  const seeds = new Map(blocks.map((b, l) => [b.output, blockSeed(full(b.output).reduce((x, y) => x * y, 1), seed, l + 1)]));
  const x = input ?? gaussianTensor([batch, ...inputShape(graph)], seed + AZ_NAS_INPUT_SEED);
  const k = shapes.get(graph.output)![0]!;
  // The covariances and G_inᵀG_out are computed inside the graph: only small matrices leave onnxruntime. A feature
  // with more channels than observations (B·H·W) leaves as itself instead: its n×n Gram is the smaller problem.
  const fewObservations = (t: string): boolean => {
    const [b, c, h, w] = full(t);
    return b * h * w < c;
  };
  const step = await withTrainingSession(
    graph,
    freshWeights(graph, seed, 'kaiming-fanin'),
    {
      batch,
      objective: 'seed',
      paramGrads: 'none',
      channelCovariances: chain.filter((t) => !fewObservations(t)),
      activations: chain.filter(fewObservations),
      blockVjps: blocks,
      bnStats: false,
    },
    (s) => s.run({ input: x, dlogits: new Float32Array(batch * k), vjpSeeds: seeds }),
  );
  const perFeature = chain.map((t) =>
    fewObservations(t) ? featureExpressivity({ data: step.activations.get(t)!, shape: full(t) }) : expressivityFromCovariance(step.covariances.get(t)!, full(t)[1]),
  );
  const perBlock = blocks.map((b) => {
    // An identity block (g_in == g_out bit for bit, so Σ|g_in − g_out| is exactly 0) is −∞, as in the official code.
    if (step.vjpAbsDiff.get(b.output) === 0) return Number.NEGATIVE_INFINITY;
    const [, co, ho] = full(b.output);
    const [, ci, hi] = full(b.input);
    return trainabilityFromCross(step.vjpCross.get(b.output)!, ci * (hi / ho) ** 2, co);
  });
  const expressivity = perFeature.reduce((a, b) => a + b, 0);
  return {
    expressivity: Number.isNaN(expressivity) ? Number.NEGATIVE_INFINITY : expressivity,
    progressivity: progressivity(perFeature),
    trainability: trainability(perBlock),
    perFeature,
    perBlock,
  };
}

/**
 * The three proxies ask for the same computation one after another on the same architecture; the last few are kept
 * so it runs once (keyed by what it depends on, so different graph objects of one architecture share it).
 */
const recent = new Map<string, Promise<AzNasScores | { reason: string }>>();
function sharedScores(ctx: ProxyContext): Promise<AzNasScores | { reason: string }> {
  const batch = ctx.batches[0]?.shape[0] ?? AZ_NAS_BATCH;
  const key = `${ctx.graph.name}|${JSON.stringify(ctx.graph.meta ?? {})}|${ctx.seed}|${batch}`;
  let p = recent.get(key);
  if (!p) {
    p = azNasScores(ctx.graph, ctx.seed, batch);
    recent.set(key, p);
    p.catch(() => recent.delete(key));
    while (recent.size > 4) recent.delete(recent.keys().next().value!);
  }
  return p;
}

const component = (
  id: 'az_expressivity' | 'az_progressivity' | 'az_trainability',
  pick: keyof Pick<AzNasScores, 'expressivity' | 'progressivity' | 'trainability'>,
): ZeroCostProxy => ({
  id,
  higherIsBetter: true,
  spec: 'PROXIES_SOTA.md §1',
  needs: { data: false, labels: false, gradients: true, batches: 0 },
  init: 'kaiming-fanin',
  async score(ctx): Promise<ProxyResult> {
    const s = await sharedScores(ctx);
    if ('reason' in s) return { ok: false, reason: s.reason };
    // −∞ is AZ-NAS's verdict on a degenerate cell (ranked last), not a failure to compute.
    return { ok: true, value: s[pick] };
  },
});

export const azExpressivityProxy = component('az_expressivity', 'expressivity');
export const azProgressivityProxy = component('az_progressivity', 'progressivity');
export const azTrainabilityProxy = component('az_trainability', 'trainability');

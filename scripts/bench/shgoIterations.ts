/**
 * Benchmark: what SHGO iterations cost in FLASH's co-optimiser (host/search/flash.ts), and the k-NN graph SHGO
 * keeps over its accumulated Sobol samples: rebuilt from scratch every iteration (knnGraph, the way shgo.ts did it
 * before) against kept up to date as points arrive (IncrementalKnn, what it does now), on the same points.
 *
 *   npx tsx scripts/bench/shgoIterations.ts [maxIters=32]
 *
 * The accuracy is the FLASH predictor form with fixed coefficients (acc = 10 + 7·ln g + 1.5·ln P), no costs, no
 * budget: only the optimiser's own work is timed. Times are wall clock on whatever this machine is doing.
 */
import { flashCoOptimize } from '../../host/search/flash.js';
import { IncrementalKnn, knnGraph } from '../../host/search/shgo.js';
import { SobolSequence } from '../../host/search/sobol.js';
import { flashFeatures, flashNnDegree, type FlashArch } from '../../host/spaces/flash.js';

const maxIters = Number(process.argv[2] ?? 32);
const accuracy = (a: FlashArch): number => 10 + 7 * Math.log(flashNnDegree(a)) + 1.5 * Math.log(flashFeatures(a).params);
const N_PER_ITER = 128;
const DIM = 9;
const K = 2 * DIM;

console.log('flashCoOptimize (level 1 SHGO + level 2 lattice) by SHGO iterations:');
for (let iters = 1; iters <= maxIters; iters *= 2) {
  const r = flashCoOptimize({ accuracy, shgo: { iters } });
  console.log(`  iters ${String(iters).padStart(3)}: ${(r.timeMs / 1000).toFixed(2)} s, level-1 evals ${r.evaluations.level1}, best predicted ${r.best?.accuracy.toFixed(3)}`);
}

console.log(`k-NN graph over the accumulated samples (${N_PER_ITER} per iteration, dim ${DIM}, k ${K}), cumulative over iterations:`);
const sobol = new SobolSequence(DIM);
const points: number[][] = [];
const knn = new IncrementalKnn(K);
let rebuildMs = 0;
let incrementalMs = 0;
for (let it = 1; it <= maxIters; it++) {
  const batch = sobol.take(N_PER_ITER);
  points.push(...batch);
  let t = performance.now();
  knnGraph(points, K);
  rebuildMs += performance.now() - t;
  t = performance.now();
  for (const p of batch) knn.add(p);
  knn.adjacency();
  incrementalMs += performance.now() - t;
  if ((it & (it - 1)) === 0) {
    console.log(`  after ${String(it).padStart(3)} iterations (${points.length} points): rebuild ${(rebuildMs / 1000).toFixed(2)} s, incremental ${(incrementalMs / 1000).toFixed(2)} s, ratio ${(rebuildMs / incrementalMs).toFixed(1)}x`);
  }
}

/**
 * Benchmark: FLASH's hierarchical co-optimiser (host/search/flash.ts) with analytic cost functions.
 * Prints the optimiser's own time per run (FLASH reports about 0.1 s, ALGORITHMS.md §D.0/§E.8) and the result.
 *
 *   npx tsx scripts/bench/flashOptimizer.ts [runs=20]
 *
 * The costs are illustrative closed forms in the spirit of §D.3 (not fitted to any device):
 *   latencyMs = 2 + 1e-6·MACs + 2e-6·params + 0.05·layers      (a Pi-3B-like 1 GMAC/s)
 *   energyJ   = 3.5 W · latencyMs / 1000
 *   areaMm2   = 0.5 + 0.1 · params / (128·128)                  (crossbar tiles, relaxed: no ceil)
 * The accuracy predictor acc ≈ a + b·ln g + c·ln P is fitted on 25 Sobol-sampled lattice architectures whose
 * "accuracy" labels come from a synthetic saturating function of g and P (no training happens here).
 */
import { flashFeatures, flashNnDegree, flashSpaceSize, type FlashArch } from '../../host/spaces/flash.js';
import { fitFlashPredictor, flashCoOptimize, flashSobolSamples } from '../../host/search/flash.js';

const runs = Number(process.argv[2] ?? 20);

const latencyMs = (a: FlashArch): number => {
  const f = flashFeatures(a);
  return 2 + 1e-6 * f.macs + 2e-6 * f.params + 0.05 * f.layers;
};
const costs = {
  pi3b: (a: FlashArch) => {
    const l = latencyMs(a);
    return { latencyMs: l, energyJ: (3.5 * l) / 1000 };
  },
  imc: (a: FlashArch) => ({ areaMm2: 0.5 + (0.1 * flashFeatures(a).params) / 16384 }),
};
const budgets = { pi3b: { latencyMs: 300, energyJ: 1.0 }, imc: { areaMm2: 20 } };

const synthetic = (a: FlashArch): number => {
  const g = flashNnDegree(a);
  const p = flashFeatures(a).params;
  return 95 - 30 * Math.exp(-g / 150) - 8 * Math.exp(-p / 1e6);
};

const t0 = performance.now();
const samples = flashSobolSamples(25).map((arch) => ({ arch, accuracy: synthetic(arch) }));
const predictor = fitFlashPredictor(samples);
const fitMs = performance.now() - t0;

const times: number[] = [];
let last;
for (let r = 0; r < runs; r++) {
  last = flashCoOptimize({ accuracy: predictor.predict, costs, budgets });
  times.push(last.timeMs);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
console.log(`space size: ${flashSpaceSize().toLocaleString('en-US')} configurations`);
console.log(
  `predictor fit (25 samples): coef=[${predictor.coef.map((c) => c.toFixed(3)).join(', ')}], rmse=${predictor.rmse.toFixed(3)}, loo-rmse=${predictor.looRmse.toFixed(3)}, ${fitMs.toFixed(1)} ms`,
);
console.log(`optimiser time per run over ${runs} runs: median ${(median / 1000).toFixed(3)} s, min ${(times[0]! / 1000).toFixed(3)} s, max ${(times[times.length - 1]! / 1000).toFixed(3)} s (FLASH reports ~0.1 s)`);
if (last) {
  console.log(`evaluations: level 1 ${last.evaluations.level1}, level 2 ${last.evaluations.level2}; level-1 minima ${last.continuous.length}`);
  const b = last.best;
  if (b) {
    console.log(`best: d=${b.arch.depth.join(',')} w=${b.arch.width.join(',')} t=${b.arch.skip.join(',')} predicted acc ${b.accuracy.toFixed(3)}`);
    console.log(`      pi3b ${b.costs.pi3b?.latencyMs?.toFixed(1)} ms, ${b.costs.pi3b?.energyJ?.toFixed(3)} J; imc ${b.costs.imc?.areaMm2?.toFixed(2)} mm²`);
  } else console.log('no feasible architecture');
}

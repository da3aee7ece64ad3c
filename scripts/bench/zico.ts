/**
 * ZiCo speed per architecture (issue 3): our whole procedure (IR -> training graph -> onnxruntime session -> two
 * batches -> statistics) against PyTorch on the same machine in the same run, as a ratio (< 1: we are faster).
 *   npm run bench:zico -- [--reps 5] [--threads 2] [--batch 64] [--no-torch] [--breakdown] [--no-malloc-tuning]
 * Cells: the heaviest (all nor_conv_3x3, 220 M MACs), ENGINES.md's "typical" W2mix-like cell (82.5 M MACs, heavier
 * than most: about the 80th percentile of the space), and the median-MACs cell of the seed-0 acceptance sample
 * (52.5 M MACs; `zeronas bench proxies --sample 1000 --seed 0 --proxies flops`, sorted, position 500).
 * Two PyTorch procedures, each timed as it runs by default and with our allocator settings (they help PyTorch too):
 *  - "reference": the reference code's way, nn.Module TinyNetwork (scripts/golden/nb201_golden.py) built with default
 *    init, two batches with zero_grad and gradient copies, float32 NumPy statistics
 *    (scripts/bench/zico_reference_sample.py --repeat);
 *  - "functional": the same procedure over our IR with torch.nn.functional (scripts/bench/torch_reference.py --zico),
 *    which measured 10-15 % faster than the module version: the stricter comparison.
 * --breakdown also prints where our time goes (median per phase): graph + weights, training-graph export, ORT
 * session creation, the two fwd+bwd runs, session release, ZiCo statistics.
 * Achieved GFLOP/s = 3 x 2 x MACs x batch x 2 batches / time (forward, input-gradient and weight-gradient passes).
 * Like `zeronas score`, the script relaunches itself with the glibc allocator settings of host/util/mallocTuning.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDataset, selectBatches } from '../../host/data/index.js';
import { validateGraph } from '../../host/ir/graph.js';
import { analyticMetrics } from '../../host/metrics/analytic.js';
import { zicoProxy } from '../../host/proxies/zicoProxy.js';
import { initWeights } from '../../host/ir/init.js';
import { exportTraining } from '../../host/onnx/exportTraining.js';
import { layerWeights } from '../../host/proxies/proxyRun.js';
import { TrainingSession } from '../../host/proxies/trainingSession.js';
import { nchwcBlockSize } from '../../host/proxies/nchwcSupport.js';
import { zico } from '../../host/proxies/math/zico.js';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { MALLOC_TUNABLES, relaunchWithMallocTuning, wantsMallocTuning, withoutMallocTuning } from '../../host/util/mallocTuning.js';
import { flag, option } from '../scriptArgs.js';

if (!flag('no-malloc-tuning') && wantsMallocTuning()) process.exit(await relaunchWithMallocTuning());
const tuned = process.env.GLIBC_TUNABLES === MALLOC_TUNABLES;
const reps = Number(option('reps', '5'));
const threads = option('threads', '2');
const batch = Number(option('batch', '64'));
process.env.ZERONAS_THREADS = threads;
const ARCHS = {
  heaviest: '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|',
  typical: '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|',
  median: '|nor_conv_1x1~0|+|none~0|nor_conv_3x3~1|+|none~0|nor_conv_1x1~1|skip_connect~2|',
};
const batches = selectBatches(openDataset(), { batchSize: batch, batches: 2, seed: 'first' });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dir = mkdtempSync(join(tmpdir(), 'zeronas-bench-zico-'));
const torchScript = fileURLToPath(new URL('./torch_reference.py', import.meta.url));
const referenceScript = fileURLToPath(new URL('./zico_reference_sample.py', import.meta.url));
const failure = (res: ReturnType<typeof spawnSync>): string =>
  (String(res.stderr ?? '') || res.error?.message || '').split('\n').filter(Boolean).at(-1) ?? 'no output';

/** The reference code's procedure (nn.Module TinyNetwork), median of `reps` after a warm-up, in ms. */
function referenceMs(label: string, arch: string, env: NodeJS.ProcessEnv): number | string {
  const archs = join(dir, `${label}-archs.csv`);
  const out = join(dir, `${label}-${env.GLIBC_TUNABLES ? 'tuned' : 'default'}.csv`);
  writeFileSync(archs, `arch\n${arch}\n`);
  const res = spawnSync('/usr/bin/python3', [referenceScript, archs, out, '--repeat', String(reps), '--batch', String(batch), '--threads', threads], { encoding: 'utf8', env });
  if (res.status !== 0 || !existsSync(out)) return failure(res);
  const seconds = Number(readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(',').at(-1));
  return seconds * 1000;
}

/** The same procedure over our IR with torch.nn.functional, median of `reps`, in ms. */
function functionalMs(label: string, graph: ReturnType<typeof buildNb201Network>, env: NodeJS.ProcessEnv): number | string {
  const file = join(dir, `${label}.json`);
  writeFileSync(file, JSON.stringify({ graph, shapes: Object.fromEntries(validateGraph(graph).shapes) }));
  const res = spawnSync('/usr/bin/python3', [torchScript, file, '--zico', '--batch', String(batch), '--threads', threads, '--reps', String(reps)], { encoding: 'utf8', env });
  const m = /zico_median_ms=([0-9.]+)/.exec(res.stdout ?? '');
  return m ? Number(m[1]) : failure(res);
}

/** Our procedure `reps` times on fresh weights (after one warm-up call), in ms. */
async function oursMs(arch: string): Promise<number[]> {
  await zicoProxy.score({ graph: buildNb201Network(arch), batches, seed: 0 });
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const res = await zicoProxy.score({ graph: buildNb201Network(arch), batches, seed: r });
    times.push(performance.now() - t0);
    if (!res.ok) throw new Error(res.reason);
  }
  return times;
}

console.log(`ZiCo per architecture: batch ${batch}, 2 batches, ${threads} threads, median of ${reps}${flag('no-torch') ? '' : ' before + ' + reps + ' after the PyTorch runs'}; our allocator settings ${tuned ? 'on' : 'off'}`);
for (const [label, arch] of Object.entries(ARCHS)) {
  const graph = buildNb201Network(arch);
  const macs = analyticMetrics(graph).macsTextbook;
  // Ours is timed before and after the PyTorch processes, and the median taken over both blocks: on this VM the
  // machine's speed drifts over minutes, and the PyTorch runs leave it in a different state for a while.
  const ours = await oursMs(arch);
  const torch: [string, number | string, number | string][] = [];
  if (!flag('no-torch')) {
    const envs = [withoutMallocTuning(process.env), { ...withoutMallocTuning(process.env), GLIBC_TUNABLES: MALLOC_TUNABLES }];
    torch.push(['reference', ...(envs.map((env) => referenceMs(label, arch, env)) as [number | string, number | string])]);
    torch.push(['functional', ...(envs.map((env) => functionalMs(label, graph, env)) as [number | string, number | string])]);
    ours.push(...(await oursMs(arch)));
  }
  const ms = median(ours);
  const gflops = (3 * 2 * macs * batch * 2) / (ms / 1000) / 1e9;
  const cell = (t: number | string): string => (typeof t === 'number' ? `${t.toFixed(0)} ms (ratio ${(ms / t).toFixed(2)})` : `unavailable (${t})`);
  const torchText = flag('no-torch')
    ? '\n          PyTorch: skipped'
    : torch.map(([what, plain, tunedMs]) => `\n          PyTorch ${what.padEnd(10)}  default allocator ${cell(plain)}, same allocator settings ${cell(tunedMs)}`).join('');
  console.log(`${label.padEnd(9)} ${arch}\n          ours ${ms.toFixed(0)} ms (${gflops.toFixed(1)} GFLOP/s)${torchText}`);
}

/** The zicoProxy path split into phases, timed separately (same calls, same order). */
async function breakdown(arch: string): Promise<string> {
  const phases = ['graph+init', 'export', 'session', 'run 1', 'run 2', 'release', 'statistics'];
  const times: number[][] = phases.map(() => []);
  for (let r = 0; r < reps; r++) {
    const t = [performance.now()];
    const graph = buildNb201Network(arch);
    const weights = initWeights(graph, r, 'pytorch-default');
    t.push(performance.now());
    const model = exportTraining(graph, weights, { batch, objective: 'crossEntropy', paramGrads: 'weights', bnStats: false, nchwcBlock: await nchwcBlockSize() });
    t.push(performance.now());
    const session = await TrainingSession.create(model, { intraOpNumThreads: Number(threads) });
    t.push(performance.now());
    const layers = layerWeights(graph);
    const per = new Map(layers.map((l) => [l.name, [] as Float32Array[]]));
    for (const b of batches) {
      const step = await session.run({ input: b.images, labels: b.labels });
      for (const l of layers) per.get(l.name)!.push(step.grads.get(l.name)!);
      t.push(performance.now());
    }
    await session.dispose();
    t.push(performance.now());
    zico(layers.map((l) => ({ name: l.name, batches: per.get(l.name)! })));
    t.push(performance.now());
    phases.forEach((_, i) => times[i]!.push(t[i + 1]! - t[i]!));
  }
  return phases.map((p, i) => `${p} ${median(times[i]!).toFixed(0)}`).join(', ');
}
if (flag('breakdown')) {
  for (const [label, arch] of Object.entries(ARCHS)) console.log(`${label.padEnd(9)} breakdown (ms, median of ${reps}): ${await breakdown(arch)}`);
}

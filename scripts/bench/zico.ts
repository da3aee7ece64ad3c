/**
 * ZiCo speed per architecture (issue 3): our whole procedure (IR -> training graph -> onnxruntime session -> two
 * batches -> statistics) against the PyTorch reference procedure on the same machine in the same run, as a ratio.
 *   npm run bench:zico -- [--reps 5] [--threads 2] [--batch 64] [--no-torch] [--breakdown]
 * --breakdown also prints where our time goes (median per phase): graph + weights, training-graph export, ORT
 * session creation, the two fwd+bwd runs, session release, ZiCo statistics.
 * Prints per architecture: our median ms, achieved GFLOP/s (3 x 2 x MACs x batch x 2 batches / time: forward,
 * input-gradient and weight-gradient passes), the PyTorch median ms, and ours / PyTorch (< 1 means we are faster).
 * Like `zeronas score`, the script relaunches itself with the glibc allocator settings of host/util/mallocTuning.ts
 * (--no-malloc-tuning: run as is). PyTorch is timed twice, as it runs by default and with the same settings, and
 * both ratios are printed: the allocator helps PyTorch too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
};
const batches = selectBatches(openDataset(), { batchSize: batch, batches: 2, seed: 'first' });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dir = mkdtempSync(join(tmpdir(), 'zeronas-bench-zico-'));
const torchScript = fileURLToPath(new URL('./torch_reference.py', import.meta.url));

console.log(`ZiCo per architecture: batch ${batch}, 2 batches, ${threads} threads, median of ${reps}; our allocator settings ${tuned ? 'on' : 'off'}`);
for (const [label, arch] of Object.entries(ARCHS)) {
  const graph = buildNb201Network(arch);
  const macs = analyticMetrics(graph).macsTextbook;
  await zicoProxy.score({ graph, batches, seed: 0 }); // warm the process (module loading, allocator)
  const ours: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const res = await zicoProxy.score({ graph: buildNb201Network(arch), batches, seed: r });
    ours.push(performance.now() - t0);
    if (!res.ok) throw new Error(res.reason);
  }
  const oursMs = median(ours);
  const gflops = (3 * 2 * macs * batch * 2) / (oursMs / 1000) / 1e9;
  let torchText = '\n          PyTorch: skipped';
  if (!flag('no-torch')) {
    const file = join(dir, `${label}.json`);
    writeFileSync(file, JSON.stringify({ graph, shapes: Object.fromEntries(validateGraph(graph).shapes) }));
    const untunedEnv = withoutMallocTuning(process.env);
    const runs = [
      ['PyTorch (default allocator)', untunedEnv],
      ['PyTorch (same allocator settings)', { ...untunedEnv, GLIBC_TUNABLES: MALLOC_TUNABLES }],
    ] as const;
    torchText = '';
    for (const [what, env] of runs) {
      const res = spawnSync('/usr/bin/python3', [torchScript, file, '--zico', '--batch', String(batch), '--threads', threads, '--reps', String(reps)], { encoding: 'utf8', env });
      const m = /zico_median_ms=([0-9.]+)/.exec(res.stdout ?? '');
      torchText += m
        ? `\n          ${what} ${Number(m[1]).toFixed(0)} ms  ratio ours/PyTorch ${(oursMs / Number(m[1])).toFixed(2)}`
        : `\n          ${what}: unavailable (${(res.stderr || res.error?.message || '').split('\n').filter(Boolean).at(-1) ?? 'no output'})`;
    }
  }
  console.log(`${label.padEnd(9)} ${arch}\n          ours ${oursMs.toFixed(0)} ms (${gflops.toFixed(1)} GFLOP/s)${torchText}`);
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
    const model = exportTraining(graph, weights, { batch, objective: 'crossEntropy', paramGrads: 'weights', bnStats: false });
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

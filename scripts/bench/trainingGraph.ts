/**
 * Benchmark of the generated training graph (ENGINES.md, workloads W2 and W2mix): NAS-Bench-201 TinyNetwork
 * C=16, N=5, batch 64, BN in train mode, mean CE, gradients of every trainable parameter, onnxruntime-node CPU.
 * Prints graph-build time, session-creation time and the median fwd+bwd time; with --torch, times the same
 * fwd+bwd in PyTorch (scripts/bench/torch_reference.py, Debian python3-torch at /usr/bin/python3) and prints the ratio.
 * Never asserted anywhere: speed lives here, not in tests.
 *
 *   npx tsx scripts/bench/trainingGraph.ts [--threads 2] [--batch 64] [--reps 10] [--grads trainable|weights] [--torch]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateGraph, type Graph } from '../../host/ir/graph.js';
import { initWeights } from '../../host/ir/init.js';
import { exportTraining } from '../../host/onnx/exportTraining.js';
import { TrainingSession } from '../../host/proxies/trainingSession.js';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { flag, option } from '../scriptArgs.js';

const ARCHS = {
  heaviest: '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|',
  typical: '|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|',
} as const;

const threads = Number(option('threads', '2'));
const batch = Number(option('batch', '64'));
const reps = Number(option('reps', '10'));
const grads = option('grads', 'trainable') as 'trainable' | 'weights';
const withTorch = flag('torch');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

console.log(`onnxruntime-node training graph: NB201 C=16 N=5, batch ${batch}, ${threads} thread(s), grads=${grads}, ${reps} reps`);
for (const [label, arch] of Object.entries(ARCHS)) {
  let t0 = performance.now();
  const graph = buildNb201Network(arch);
  const weights = initWeights(graph, 0);
  const model = exportTraining(graph, weights, { batch, paramGrads: grads });
  const buildMs = performance.now() - t0;

  t0 = performance.now();
  const session = await TrainingSession.create(model, { intraOpNumThreads: threads });
  const sessionMs = performance.now() - t0;

  const x = new Float32Array(batch * 3 * 32 * 32).map(() => Math.random() * 2 - 1);
  const labels = Array.from({ length: batch }, (_, i) => i % 10);
  for (let i = 0; i < 2; i++) await session.run({ input: x, labels });
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    t0 = performance.now();
    await session.run({ input: x, labels });
    times.push(performance.now() - t0);
  }
  await session.dispose();
  const ms = median(times);
  const line = [
    `${label.padEnd(8)} ${arch}`,
    `  build ${buildMs.toFixed(0)} ms (${model.nodeCount} ONNX nodes, ${(model.bytes.length / 1e6).toFixed(1)} MB)`,
    `  session ${sessionMs.toFixed(0)} ms`,
    `  fwd+bwd median ${ms.toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`,
  ];
  if (withTorch) {
    const torchMs = timeTorch(graph);
    if (torchMs !== null) line.push(`  torch ${torchMs.toFixed(1)} ms  ->  ORT/torch ratio ${(ms / torchMs).toFixed(2)}`);
  }
  console.log(line.join('\n'));
}

/** Runs torch_reference.py on the graph JSON; returns its median ms, or null (printed) when torch is unavailable. */
function timeTorch(graph: Graph): number | null {
  const json = JSON.stringify({ graph, shapes: Object.fromEntries(validateGraph(graph).shapes) });
  const dir = mkdtempSync(join(tmpdir(), 'zeronas-bench-'));
  try {
    const file = join(dir, 'graph.json');
    writeFileSync(file, json);
    const script = fileURLToPath(new URL('./torch_reference.py', import.meta.url));
    const res = spawnSync('/usr/bin/python3', [script, file, '--batch', String(batch), '--threads', String(threads), '--reps', String(reps)], {
      encoding: 'utf8',
    });
    if (res.status !== 0) {
      console.log(`  torch: not measured (${(res.stderr || res.error?.message || '').trim().split('\n').pop()})`);
      return null;
    }
    const m = /median_ms=([\d.]+)/.exec(res.stdout);
    return m ? Number(m[1]) : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

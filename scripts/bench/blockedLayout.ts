/**
 * What the blocked (NCHWc) training graphs buy (issue 3), measured in one run: the same ZiCo training graph
 * emitted plain and run at ORT's level 'all' (ORT's own NCHWc rewrite of the convs), against the graph emitted in
 * the blocked layout and run with the optimiser off. Per NAS-Bench-201 cell: export, session creation, and one
 * warm training pass (median over sessions created alternately, so the machine's drift hits both alike).
 *   npx tsx scripts/bench/blockedLayout.ts [--sessions 3] [--runs 6]
 */
import * as ort from 'onnxruntime-node';
import { initWeights } from '../../host/ir/init.js';
import { exportTraining } from '../../host/onnx/exportTraining.js';
import { nchwcBlockSize } from '../../host/proxies/nchwcSupport.js';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { relaunchWithMallocTuning, wantsMallocTuning } from '../../host/util/mallocTuning.js';
import { option } from '../scriptArgs.js';

// Same allocator settings as `zeronas score` (otherwise page faults dominate the first passes).
if (wantsMallocTuning()) process.exit(await relaunchWithMallocTuning());

const sessions = Number(option('sessions', '3'));
const runs = Number(option('runs', '6'));
const block = await nchwcBlockSize();
if (block === 0) {
  console.log('this CPU / onnxruntime has no NCHWc kernels (or ZERONAS_NCHWC=0): nothing to compare');
  process.exit(0);
}
const ARCHS = {
  heaviest: '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|',
  typical: '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|',
  median: '|nor_conv_1x1~0|+|none~0|nor_conv_3x3~1|+|none~0|nor_conv_1x1~1|skip_connect~2|',
};
const feeds = {
  input: new ort.Tensor('float32', Float32Array.from({ length: 64 * 3 * 32 * 32 }, (_, i) => Math.sin(i)), [64, 3, 32, 32]),
  labels: new ort.Tensor('int64', BigInt64Array.from({ length: 64 }, (_, i) => BigInt(i % 10)), [64]),
};
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

console.log(`batch 64, 2 threads, block size ${block}; median of ${sessions} sessions (export, creation) and ${sessions * runs} warm passes`);
for (const [label, arch] of Object.entries(ARCHS)) {
  const graph = buildNb201Network(arch);
  const weights = initWeights(graph, 0);
  const t = { plain: { export: [] as number[], create: [] as number[], pass: [] as number[], nodes: 0 }, blocked: { export: [] as number[], create: [] as number[], pass: [] as number[], nodes: 0 } };
  for (let s = 0; s < sessions; s++) {
    for (const variant of ['plain', 'blocked'] as const) {
      const r = t[variant];
      let start = performance.now();
      const model = exportTraining(graph, weights, { batch: 64, paramGrads: 'weights', bnStats: false, nchwcBlock: variant === 'plain' ? 0 : block });
      r.export.push(performance.now() - start);
      r.nodes = model.nodeCount;
      start = performance.now();
      const session = await ort.InferenceSession.create(model.bytes, {
        graphOptimizationLevel: model.graphOptimizationLevel,
        intraOpNumThreads: 2,
        interOpNumThreads: 1,
        enableMemPattern: false,
      });
      r.create.push(performance.now() - start);
      await session.run(feeds);
      await session.run(feeds);
      for (let i = 0; i < runs; i++) {
        start = performance.now();
        await session.run(feeds);
        r.pass.push(performance.now() - start);
      }
      await session.release();
    }
  }
  const row = (v: 'plain' | 'blocked'): string =>
    `${String(t[v].nodes).padStart(5)} nodes, export ${median(t[v].export).toFixed(0)} ms, creation ${median(t[v].create).toFixed(0)} ms, pass ${median(t[v].pass).toFixed(0)} ms`;
  console.log(`${label.padEnd(9)} plain   ${row('plain')}\n          blocked ${row('blocked')}   pass ratio blocked/plain ${(median(t.blocked.pass) / median(t.plain.pass)).toFixed(2)}`);
}

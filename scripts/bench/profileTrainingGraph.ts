/**
 * Where the time of one training-graph pass goes (issue 3): onnxruntime's own profiler on the ZiCo training graph of
 * a NAS-Bench-201 cell (batch 64, conv/linear weight gradients, 2 threads), summed per op type and per node.
 * Profiling inflates tiny ops (HARDWARE.md §5.3), so read the shares, not the absolute sum.
 *   npx tsx scripts/bench/profileTrainingGraph.ts [--arch '<nb201 string>'] [--warmup 2] [--runs 5] [--top 15]
 */
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { initWeights } from '../../host/ir/init.js';
import { exportTraining } from '../../host/onnx/exportTraining.js';
import { nchwcBlockSize } from '../../host/proxies/nchwcSupport.js';
import { buildNb201Network } from '../../host/spaces/nb201.js';
import { option } from '../scriptArgs.js';

const arch = option('arch', '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|');
const runs = Number(option('runs', '5'));
// The first runs pay one-off costs (arena growth, first-touch page faults); only the runs after these are summed.
const warmup = Number(option('warmup', '2'));
const top = Number(option('top', '15'));

const graph = buildNb201Network(arch);
// The graph ZiCo runs: blocked layout when the CPU has NCHWc kernels (ZERONAS_NCHWC=0 profiles the plain graph).
const model = exportTraining(graph, initWeights(graph, 0), { batch: 64, paramGrads: 'weights', bnStats: false, nchwcBlock: await nchwcBlockSize() });
const prefix = join(tmpdir(), `zeronas-profile-${process.pid}`);
const session = await ort.InferenceSession.create(model.bytes, {
  intraOpNumThreads: 2,
  interOpNumThreads: 1,
  graphOptimizationLevel: model.graphOptimizationLevel,
  enableProfiling: true,
  profileFilePrefix: prefix,
});
const feeds = {
  input: new ort.Tensor('float32', new Float32Array(64 * 3 * 32 * 32).map(() => Math.random() * 2 - 1), [64, 3, 32, 32]),
  labels: new ort.Tensor('int64', BigInt64Array.from({ length: 64 }, (_, i) => BigInt(i % 10)), [64]),
};
const wall: number[] = [];
for (let i = 0; i < warmup + runs; i++) {
  const t = performance.now();
  await session.run(feeds);
  wall.push(performance.now() - t);
}
// onnxruntime-node 1.30's endProfiling returns nothing; the file is `<prefix>_<date>.json`.
session.endProfiling();
const path = join(tmpdir(), readdirSync(tmpdir()).find((f) => f.startsWith(`zeronas-profile-${process.pid}`))!);
interface Event { cat: string; name: string; ts: number; dur: number; args: { op_name?: string; input_type_shape?: Record<string, number[]>[]; output_type_shape?: Record<string, number[]>[] } }
const events = JSON.parse(readFileSync(path, 'utf8')) as Event[];
unlinkSync(path);
const byOp = new Map<string, number>();
const byNode = new Map<string, { op: string; us: number; shapes: string }>();
let total = 0;
const runStarts = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.ts).sort((a, b) => a - b);
const measuredFrom = runStarts[warmup] ?? Infinity;
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < measuredFrom) continue;
  const op = e.args.op_name ?? '?';
  byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  const shapes = (list?: Record<string, number[]>[]): string => (list ?? []).map((t) => `[${Object.values(t)[0]?.join(',')}]`).join(' ');
  const n = byNode.get(e.name) ?? { op, us: 0, shapes: `${shapes(e.args.input_type_shape)} -> ${shapes(e.args.output_type_shape)}` };
  n.us += e.dur;
  byNode.set(e.name, n);
  total += e.dur;
}
console.log(`${arch}: ${model.nodeCount} ONNX nodes; wall per run ${wall.map((w) => w.toFixed(0)).join(' ')} ms (first ${warmup} not summed); kernel time ${(total / runs / 1000).toFixed(1)} ms per run`);
for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${op.padEnd(16)} ${(us / runs / 1000).toFixed(1).padStart(7)} ms  ${((100 * us) / total).toFixed(1).padStart(5)}%`);
}
console.log('slowest nodes:');
for (const [name, n] of [...byNode].sort((a, b) => b[1].us - a[1].us).slice(0, top)) {
  console.log(`  ${(n.us / runs / 1000).toFixed(2).padStart(7)} ms  ${n.op.padEnd(14)} ${name.replace(/_kernel_time$/, '')}  ${n.shapes}`);
}
